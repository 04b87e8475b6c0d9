/**
 * The drift watch area (docs/drift.md): the `drift [LABEL]` command, `status LABEL`, the drift
 * card's buttons (Plan to restore, Accept as the new baseline, Snooze for 24 h), the job listener
 * The composition root (src/bot/compose.ts) builds the drift watch, its job listener and the
 * periodic check (PICBOT_DRIFT_INTERVAL_MINUTES); a restore plan goes through the plan area's approval.
 */
import { z } from 'zod';
import { RunnerLabel } from '../../contracts/runner-api';
import { MAX_REASON, ReasonText } from '../../core/approval-policy';
import type { Roles } from '../../core/roles';
import type { Clock } from '../../shared/clock';
import type { HandlerSet } from '../app-deps';
import type { Metrics } from '../metrics';
import type { ActionHandler, ActionResult, CommandHandler, MessageTurn } from '../turn';
import { VERBS } from '../verbs';
import { driftNotice, driftStatusCard } from '../views/drift';
import type { DriftMetrics } from '../workflows/drift-ports';
import type { DriftRefusal, DriftRefusalCode, DriftWatch } from '../workflows/drift-watch';
import type { WorkflowRefusal } from '../workflows/plan-context';
import { readCardData } from './card-data';
import { callerOf } from './caller';
import { refusedCard } from './plan-actions';

const DriftRef = z.object({
  target: z.string().trim().toLowerCase().pipe(RunnerLabel),
  signature: z.string().regex(/^([0-9a-f]{64})?$/, 'not a drift signature').default(''),
  reason: ReasonText.optional(),
}).loose();

const TITLE: Record<DriftRefusalCode, string> = {
  'not-admin': 'Admins only',
  'not-reader': 'Admins and approvers only',
  'not-found': 'Not found',
  'no-drift': 'No open drift',
  'reason-required': 'A reason is needed',
  busy: 'Already under way',
  'cannot-restore': 'Cannot restore',
  stale: 'The drift changed',
};

const ADMINS_ONLY_HINT = 'Say "whoami" for your Entra object id; an operator adds it to PICBOT_ADMINS.';

export interface DriftArea {
  handlers: HandlerSet;
  watch: DriftWatch;
  /** `status LABEL` (the intake area's status command asks here for anything that is not an id). */
  statusOfLabel(turn: MessageTurn, label: string): Promise<boolean>;
}

/** The drift counters in the server's metrics object. */
export function driftMetrics(metrics: Metrics): DriftMetrics {
  return {
    checkRun: (status) => metrics.inc('picbot_drift_checks_total', { result: status }),
    driftsOpen: (count) => metrics.set('picbot_drifts_open', count),
    restorePlan: () => metrics.inc('picbot_drift_restore_plans_total'),
  };
}

/** What the drift area's handlers work with. */
export interface DriftAreaDeps {
  watch: DriftWatch;
  roles: Roles;
  clock: Clock;
}

/** The drift area's handlers on the drift watch. */
export function createDriftHandlers(deps: DriftAreaDeps): DriftArea {
  const { watch } = deps;

  const say = (turn: MessageTurn, title: string, lines: string[], color: 'attention' | 'warning' | 'good' | 'default' = 'attention') =>
    turn.say({ card: driftNotice(title, lines, color) }).then(() => undefined);

  const drift: CommandHandler = async (turn, args) => {
    const caller = callerOf(turn, deps.roles);
    if (!caller.admin) return say(turn, 'Admins only', ['Only picbot admins may run a drift check.', ADMINS_ONLY_HINT]);
    const label = args[0] ? RunnerLabel.safeParse(args[0].toLowerCase()) : null;
    if (label && !label.success) return say(turn, 'Not a label', [`"${args[0]!.slice(0, 64)}" is not a runner label.`]);
    const target = label?.data ?? null;
    if (target !== null && !(await watch.status(target))) {
      return say(turn, 'Not watched', [`picbot watches no target ${target}: drift watch starts once picbot has applied a plan there.`], 'warning');
    }
    // The answer first, so the check's results update it in place.
    const activityId = await turn.say({ card: driftNotice('Checking for drift…', [target ? `${target}: asking the runner…` : 'Asking the runners…']) });
    const started = await watch.check(caller.id, target, { conversationId: turn.conversation.id, activityId });
    if (!Array.isArray(started)) await turn.update(activityId, { card: driftNotice(TITLE[started.code], [started.reason], 'warning') });
  };

  async function statusOfLabel(turn: MessageTurn, label: string): Promise<boolean> {
    const parsed = RunnerLabel.safeParse(label.toLowerCase());
    if (!parsed.success) return false;
    const record = await watch.status(parsed.data);
    if (!record) return false;
    const caller = callerOf(turn, deps.roles);
    if (!caller.reader) {
      await say(turn, 'Admins and approvers only', ['Only picbot admins and approvers may see the drift watch.', ADMINS_ONLY_HINT]);
      return true;
    }
    await turn.say({ card: driftStatusCard(record, deps.clock.now()) });
    return true;
  }

  const refusal = (r: DriftRefusal | WorkflowRefusal): ActionResult => {
    if ('code' in r && r.code in TITLE) return { card: driftNotice(TITLE[r.code as DriftRefusalCode], [r.reason]), scope: 'clicker' };
    return refusedCard(r as WorkflowRefusal);
  };
  const malformed = (reason: string): ActionResult =>
    ({ card: driftNotice('That card can\'t be used', [`${reason}. Say "drift" to check again.`]), scope: 'clicker' });

  /** The drift card as it stands now, for everyone (the click changed it). */
  async function shown(target: string): Promise<ActionResult> {
    const card = await watch.currentCard(target);
    return card ? { card } : { card: driftNotice('Not found', [`picbot watches no target ${target}.`]), scope: 'clicker' };
  }

  const restore: ActionHandler = async (turn) => {
    const data = readCardData(DriftRef, turn.data);
    if (!data.ok) return malformed(data.reason);
    const r = await watch.restore(callerOf(turn, deps.roles), data.value.target, data.value.signature);
    if (!r.ok) return refusal(r);
    return shown(data.value.target);
  };

  const accept: ActionHandler = async (turn) => {
    const data = readCardData(DriftRef, turn.data);
    if (!data.ok) return malformed(data.reason);
    const reason = data.value.reason ?? '';
    const r = await watch.accept(callerOf(turn, deps.roles), data.value.target, data.value.signature, reason);
    if (!r.ok && r.code === 'reason-required') {
      // The message under the field, with what was typed kept.
      const card = await watch.currentCard(data.value.target, { reasonValue: reason.slice(0, MAX_REASON), reasonError: r.reason });
      return card ? { card, scope: 'clicker' } : refusal(r);
    }
    if (!r.ok) return refusal(r);
    return shown(data.value.target);
  };

  const snooze: ActionHandler = async (turn) => {
    const data = readCardData(DriftRef, turn.data);
    if (!data.ok) return malformed(data.reason);
    const r = await watch.snooze(callerOf(turn, deps.roles), data.value.target, data.value.signature);
    if (!r.ok) return refusal(r);
    return shown(data.value.target);
  };

  return {
    handlers: {
      commands: { drift },
      actions: { [VERBS.driftRestore]: restore, [VERBS.driftAccept]: accept, [VERBS.driftSnooze]: snooze },
    },
    watch,
    statusOfLabel,
  };
}
