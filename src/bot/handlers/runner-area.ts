/**
 * The runner area (issue 3): `runner token`, `runner revoke`, `runners` (and `runners revoke`),
 * and the review card's "Discover current state" (`request.discover`), whose card follows the
 * job until it ends. Served through src/bot/areas.ts.
 */
import { z } from 'zod';
import { RunnerLabel } from '../../contracts/runner-api';
import type { AppDeps, HandlerSet } from '../app-deps';
import { createRequestStore } from '../stores/requests';
import type { ActionHandler, CommandHandler, MessageTurn } from '../turn';
import { VERBS } from '../verbs';
import { refusalCard } from '../views/common';
import { discoveryCard } from '../views/discovery';
import { runnerListCard, runnerTokenCard } from '../views/runners';
import { createCardScheduler, systemTimerClock, type CardScheduler, type TimerClock } from '../workflows/card-scheduler';
import { createDiscoveryWorkflow, type DiscoveryWorkflow } from '../workflows/discovery';
import { callerOf } from './caller';

const DiscoverData = z.object({ requestId: z.string().regex(/^req_[0-9a-z]{16}$/, 'not a request id') });

const ADMINS_ONLY_HINT = 'Say "whoami" for your Entra object id; an operator adds it to PICBOT_ADMINS.';

export interface RunnerArea extends HandlerSet {
  discovery: DiscoveryWorkflow;
  /** The discovery cards' updates (coalesced, throttled, retried); tests wait on idle(). */
  cards: CardScheduler;
}

export interface RunnerAreaOptions {
  /** Timers of the card scheduler (tests move them by hand). */
  timers?: TimerClock;
}

/** Builds the runner area on AppDeps; subscribes to job changes to keep discovery cards current. */
export function createRunnerArea(deps: AppDeps, options: RunnerAreaOptions = {}): RunnerArea {
  const log = deps.logger.child({ component: 'runner-area' });
  const discovery = createDiscoveryWorkflow({
    jobs: deps.jobs,
    runners: deps.runners,
    requests: createRequestStore(deps.db),
    timeoutSeconds: deps.config.discoveryTimeoutSeconds,
  });

  const cards = createCardScheduler({ notifier: deps.notifier, clock: options.timers ?? systemTimerClock, logger: log });
  deps.jobs.onChange((change) => {
    const card = change.job.context.card;
    if (!discovery.owns(change.job) || !card) return;
    // Rendered when the update goes out, from the job as it is then: never an older state.
    cards.update(card, async () => {
      const status = await discovery.status(change.job.id);
      return status ? discoveryCard(status) : null;
    });
  });

  const say = (turn: MessageTurn, title: string, reason: string, hint = '') => turn.say({ card: refusalCard(title, reason, hint) }).then(() => undefined);

  async function token(turn: MessageTurn, args: string[]): Promise<void> {
    // An enrollment token lets its holder act as a runner: never post it where others read.
    if (turn.conversation.type !== 'personal') {
      return say(turn, 'Personal chat only', 'An enrollment token must not be posted where others can read it. Ask for it in a personal chat with picbot.');
    }
    const caller = callerOf(turn.actor, deps.roles);
    if (!caller.admin) return say(turn, 'Admins only', 'Only picbot admins may create runner enrollment tokens.', ADMINS_ONLY_HINT);
    const labels = args.join(',').split(',').map((l) => l.trim().toLowerCase()).filter((l) => l.length > 0);
    if (labels.length === 0) return say(turn, 'Which labels?', 'Name the deployment label(s) the runner will serve, for example: runner token pool-eu', 'The label is the "runner label" chosen on the intake\'s target card.');
    const bad = labels.find((l) => !RunnerLabel.safeParse(l).success);
    if (bad) return say(turn, 'Not a label', `"${bad.slice(0, 64)}" is not a runner label: use letters, digits, dot, underscore or hyphen (at most 63).`);
    const made = await deps.runners.createEnrollmentToken({ labels, createdBy: caller.id });
    await turn.say({ card: runnerTokenCard({ ...made, serverUrl: deps.runnerUrl() }) });
  }

  async function revoke(turn: MessageTurn, args: string[]): Promise<void> {
    const caller = callerOf(turn.actor, deps.roles);
    if (!caller.admin) return say(turn, 'Admins only', 'Only picbot admins may revoke runners.', ADMINS_ONLY_HINT);
    const id = args[0];
    if (!id || !/^run_[0-9a-z]{16}$/.test(id)) return say(turn, 'Which runner?', 'Give the runner id, for example: runners revoke run_0123456789abcdef', 'Say "runners" to see the ids.');
    const r = await deps.runners.revoke(id, caller.id);
    if (!r.ok) return say(turn, r.code === 'not-found' ? 'No such runner' : 'Already revoked', `${r.reason}.`);
    await turn.say({ card: runnerListCard(await deps.runners.list(), `Revoked ${r.runner.name} (${id}): its token is refused from now on. A job it holds is marked interrupted when its lease runs out.`) });
  }

  async function list(turn: MessageTurn): Promise<void> {
    const caller = callerOf(turn.actor, deps.roles);
    if (!caller.reader) return say(turn, 'Admins and approvers only', 'Only picbot admins and approvers may see the runners.', ADMINS_ONLY_HINT);
    await turn.say({ card: runnerListCard(await deps.runners.list()) });
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
    const data = DiscoverData.safeParse(turn.data);
    if (!data.success) return { card: refusalCard('That card can\'t be used', 'This button did not say which provisioning request to discover.', 'Say "status" for the saved requests.'), scope: 'clicker' };
    const caller = callerOf(turn.actor, deps.roles);
    const card = turn.messageId ? { conversationId: turn.conversation.id, activityId: turn.messageId } : null;
    const started = await discovery.start(caller, data.data.requestId, card);
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
    discovery,
    cards,
  };
}
