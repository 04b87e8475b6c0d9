import { observeTurns, type TurnKind, type TurnOutcome } from '../../../../src/bot/routing/observed-router';
import type { Router } from '../../../../src/bot/routing/router';
import type { ActionResult, ActionTurn, AddedTurn, MessageTurn, Reply, Turn } from '../../../../src/bot/turn';
import { VERBS } from '../../../../src/bot/verbs';

const turnBase = {
  actor: { aadObjectId: null, teamsUserId: '29:x', name: 'x' },
  conversation: { id: 'c', type: 'personal' as const, tenantId: null },
  say: async (_r: Reply) => 'id',
  update: async () => undefined,
};
const message = (text: string): MessageTurn => ({ kind: 'message', text, ...turnBase });
const action = (verb: string): ActionTurn => ({ kind: 'action', verb, data: {}, messageId: null, ...turnBase });
const added: AddedTurn = { kind: 'added', ...turnBase };

/** A router that answers each turn as the test says: a card, a refusal, or a throw. */
function scriptedRouter(answer: (turn: Turn) => ActionResult | void | 'throw'): Router {
  async function handle(turn: Turn): Promise<ActionResult | void> {
    const a = answer(turn);
    if (a === 'throw') throw new Error('the database is locked');
    return a;
  }
  return { handle: handle as Router['handle'], commands: () => ['help', 'start', 'status'] };
}

describe('observeTurns', () => {
  it.each([
    { turn: message('start'), answer: undefined, want: ['message', 'start', 'ok'] },
    { turn: message('  STATUS req_1'), answer: undefined, want: ['message', 'status', 'ok'] },
    { turn: message('what is this'), answer: undefined, want: ['message', 'other', 'ok'] },
    { turn: message('start'), answer: 'throw' as const, want: ['message', 'start', 'error'] },
    { turn: action(VERBS.planApprove), answer: { card: {} }, want: ['invoke', VERBS.planApprove, 'ok'] },
    { turn: action(VERBS.planApprove), answer: { card: {}, refusal: true }, want: ['invoke', VERBS.planApprove, 'refused'] },
    { turn: action('made.up.verb'), answer: { card: {}, refusal: true }, want: ['invoke', 'other', 'refused'] },
    { turn: action(VERBS.planApprove), answer: 'throw' as const, want: ['invoke', VERBS.planApprove, 'error'] },
    { turn: added, answer: undefined, want: ['added', 'added', 'ok'] },
  ])('$turn.kind $want.1 → $want.2', async ({ turn, answer, want }) => {
    const seen: [TurnKind, string, TurnOutcome][] = [];
    const router = observeTurns(scriptedRouter(() => answer), (...args) => seen.push(args));
    const handled = router.handle(turn);
    if (answer === 'throw') await expect(handled).rejects.toThrow('the database is locked');
    else await expect(handled).resolves.toEqual(answer);
    expect(seen).toEqual([want]);
  });
});
