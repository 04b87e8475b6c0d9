import type { HandlerSet } from '../../../../src/bot/app-deps';
import { createRouter, parseCommand } from '../../../../src/bot/routing/router';
import type { ActionHandler, ActionTurn, MessageTurn, Reply } from '../../../../src/bot/turn';

const VERBS = ['a.one', 'a.two'] as const;

function actionsFor(verbs: readonly string[], tag = 'x'): Record<string, ActionHandler> {
  return Object.fromEntries(verbs.map((v) => [v, async () => ({ card: { tag, verb: v } })]));
}

const calls: string[] = [];
const base: HandlerSet<string> = {
  commands: { start: async (_t, args) => void calls.push(`start ${args.join(',')}`) },
  actions: actionsFor(VERBS),
  help: async (turn) => void calls.push(`help "${turn.text}"`),
  added: async () => void calls.push('added'),
};

const turnBase = {
  actor: { aadObjectId: null, teamsUserId: '29:x', name: 'x' },
  conversation: { id: 'c', type: 'personal' as const, tenantId: null },
  say: async (_r: Reply) => 'id',
  update: async () => undefined,
};
const message = (text: string): MessageTurn => ({ kind: 'message', text, ...turnBase });
const action = (verb: string): ActionTurn => ({ kind: 'action', verb, data: {}, messageId: null, ...turnBase });

beforeEach(() => {
  calls.length = 0;
});

describe('parseCommand', () => {
  it.each([
    { text: 'start', want: { command: 'start', args: [] } },
    { text: '  STATUS   req_1  ', want: { command: 'status', args: ['req_1'] } },
    { text: 'Runner Token now', want: { command: 'runner', args: ['Token', 'now'] } },
    { text: '', want: { command: '', args: [] } },
  ])('$text', ({ text, want }) => {
    expect(parseCommand(text)).toEqual(want);
  });
});

describe('createRouter wiring', () => {
  it.each([
    { name: 'a verb without a handler', sets: [{ ...base, actions: actionsFor(['a.one']) }], want: /verb without a handler: a\.two/ },
    { name: 'a handler for an unlisted verb', sets: [{ ...base, actions: actionsFor([...VERBS, 'a.three']) }], want: /"a\.three", which src\/bot\/verbs\.ts does not list/ },
    { name: 'a verb handled twice', sets: [base, { actions: actionsFor(['a.one']) }], want: /verb "a\.one" has two handlers/ },
    { name: 'a command registered twice', sets: [base, { commands: { start: base.commands!.start! } }], want: /command "start" is registered twice/ },
    { name: 'a command that is not one lower-case word', sets: [base, { commands: { 'Run it': base.commands!.start! } }], want: /must be one lower-case word/ },
    { name: 'no help handler', sets: [{ ...base, help: undefined }], want: /no help handler/ },
    { name: 'no welcome handler', sets: [{ ...base, added: undefined }], want: /no welcome/ },
    { name: 'two help handlers', sets: [base, { help: base.help }], want: /two help handlers/ },
  ])('refuses to start with $name', ({ sets, want }) => {
    expect(() => createRouter(sets as HandlerSet<string>[], VERBS)).toThrow(want);
  });

  it('merges areas: commands and verbs from several sets', async () => {
    const router = createRouter([{ ...base, actions: actionsFor(['a.one']) }, { commands: { plans: async () => void calls.push('plans') }, actions: actionsFor(['a.two'], 'y') }], VERBS);
    await router.handle(message('plans'));
    expect(calls).toEqual(['plans']);
    expect(await router.handle(action('a.two'))).toEqual({ card: { tag: 'y', verb: 'a.two' } });
    expect(router.commands()).toEqual(['help', 'plans', 'start']);
  });
});

describe('routing', () => {
  const router = createRouter([base], VERBS);

  it.each([
    { text: 'start', want: ['start '] },
    { text: 'Start pool-eu lync2013', want: ['start pool-eu,lync2013'] },
    { text: 'help', want: ['help "help"'] },
    { text: 'what now?', want: ['help "what now?"'] },
    { text: '', want: ['help ""'] },
  ])('message "$text"', async ({ text, want }) => {
    await router.handle(message(text));
    expect(calls).toEqual(want);
  });

  it('routes a verb to its handler', async () => {
    expect(await router.handle(action('a.one'))).toEqual({ card: { tag: 'x', verb: 'a.one' } });
  });

  it('refuses an unknown verb with a card for the clicker only', async () => {
    const result = await router.handle(action('intake.nope'));
    expect(result.scope).toBe('clicker');
    expect(JSON.stringify(result.card)).toContain('does not know the action \\"intake.nope\\"');
  });

  it('routes the bot being added to the welcome handler', async () => {
    await router.handle({ kind: 'added', ...turnBase });
    expect(calls).toEqual(['added']);
  });
});
