/**
 * The runner area: `runner token`, `runner revoke`, `runners` (and `runners revoke`),
 * and the review card's "Discover current state" (`request.discover`), whose card follows the
 * job until it ends (the composition root, src/bot/compose.ts, keeps it current from the job).
 */
import { z } from 'zod';
import { idPattern } from '../../shared/ids';
import type { Roles } from '../../core/roles';
import type { HandlerSet } from '../app-deps';
import type { ActionHandler, CommandHandler, MessageTurn } from '../turn';
import { VERBS } from '../verbs';
import { refusalCard } from '../views/common';
import { discoveryCard } from '../views/discovery';
import { runnerListCard, runnerTokenCard } from '../views/runners';
import type { DiscoveryWorkflow } from '../workflows/discovery';
import type { RunnerAdmin, RunnerAdminRefusal, RunnerAdminRefusalCode } from '../workflows/runner-admin';
import { readCardData } from './card-data';
import { callerOf } from './caller';

const DiscoverData = z.object({ requestId: z.string().regex(idPattern('request'), 'not a request id') });

const ADMINS_ONLY_HINT = 'Say "whoami" for your Entra object id; an operator adds it to PICBOT_ADMINS.';

const REFUSAL_TITLE: Record<RunnerAdminRefusalCode, string> = {
  'not-admin': 'Admins only',
  'not-reader': 'Admins and approvers only',
  'no-labels': 'Which labels?',
  'bad-label': 'Not a label',
  'no-runner-id': 'Which runner?',
  'not-found': 'No such runner',
  'already-revoked': 'Already revoked',
};
const REFUSAL_HINT: Partial<Record<RunnerAdminRefusalCode, string>> = {
  'not-admin': ADMINS_ONLY_HINT,
  'not-reader': ADMINS_ONLY_HINT,
  'no-labels': 'The label is the "runner label" chosen on the intake\'s target card.',
  'no-runner-id': 'Say "runners" to see the ids.',
};

/** What the runner area's handlers work with. */
export interface RunnerAreaDeps {
  discovery: DiscoveryWorkflow;
  admin: RunnerAdmin;
  roles: Roles;
  /** The base URL a runner should use (the enrollment card shows it). */
  runnerUrl(): string;
}

/** The runner area's handlers: runner commands and the review card's discovery. */
export function createRunnerHandlers(deps: RunnerAreaDeps): HandlerSet {
  const { discovery } = deps;

  const say = (turn: MessageTurn, title: string, reason: string, hint = '') => turn.say({ card: refusalCard(title, reason, hint) }).then(() => undefined);
  const refused = (turn: MessageTurn, r: RunnerAdminRefusal) => say(turn, REFUSAL_TITLE[r.code], r.reason, REFUSAL_HINT[r.code] ?? '');

  async function token(turn: MessageTurn, args: string[]): Promise<void> {
    // An enrollment token lets its holder act as a runner: never post it where others read.
    if (turn.conversation.type !== 'personal') {
      return say(turn, 'Personal chat only', 'An enrollment token must not be posted where others can read it. Ask for it in a personal chat with picbot.');
    }
    const made = await deps.admin.enrollmentToken(callerOf(turn, deps.roles), args);
    if (!made.ok) return refused(turn, made);
    await turn.say({ card: runnerTokenCard({ ...made, serverUrl: deps.runnerUrl() }) });
  }

  async function revoke(turn: MessageTurn, args: string[]): Promise<void> {
    const r = await deps.admin.revoke(callerOf(turn, deps.roles), args[0]);
    if (!r.ok) return refused(turn, r);
    await turn.say({ card: runnerListCard(r.runners, `Revoked ${r.runner.name} (${r.runner.id}): its token is refused from now on. A job it holds is marked interrupted when its lease runs out.`) });
  }

  async function list(turn: MessageTurn): Promise<void> {
    const r = await deps.admin.list(callerOf(turn, deps.roles));
    if (!r.ok) return refused(turn, r);
    await turn.say({ card: runnerListCard(r.runners) });
  }

  const runner: CommandHandler = async (turn, args) => {
    const sub = (args[0] ?? '').toLowerCase();
    if (sub === 'token') return token(turn, args.slice(1));
    if (sub === 'revoke') return revoke(turn, args.slice(1));
    return say(turn, 'Runner commands', 'Say "runner token LABEL" (personal chat, admins) for an enrollment token, "runner revoke ID" to revoke a runner, or "runners" for the list.');
  };

  const runners: CommandHandler = async (turn, args) => {
    if ((args[0] ?? '').toLowerCase() === 'revoke') return revoke(turn, args.slice(1));
    return list(turn);
  };

  const discover: ActionHandler = async (turn) => {
    const data = readCardData(DiscoverData, turn.data);
    if (!data.ok) return { card: refusalCard('That card can\'t be used', 'This button did not say which provisioning request to discover.', 'Say "status" for the saved requests.'), scope: 'clicker' };
    const caller = callerOf(turn, deps.roles);
    const card = turn.messageId ? { conversationId: turn.conversation.id, activityId: turn.messageId } : null;
    const started = await discovery.start(caller, data.value.requestId, card);
    if (!started.ok) {
      return { card: refusalCard(started.code === 'not-admin' ? 'Admins only' : 'Not found', started.reason, started.code === 'not-admin' ? ADMINS_ONLY_HINT : ''), scope: 'clicker' };
    }
    const status = await discovery.status(started.job.id);
    // The clicker sees the card now; the message itself is updated for everyone by the card
    // scheduler from the job's state (see onChange above), so a late update never shows an older state.
    return { card: discoveryCard(status!), scope: 'clicker' };
  };

  return {
    commands: { runner, runners },
    actions: { [VERBS.requestDiscover]: discover },
  };
}
