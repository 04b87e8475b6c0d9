/**
 * The drift watch area (docs/drift.md): the `drift [LABEL]` command, `status LABEL`, the drift
 * card's buttons (Plan to restore, Accept as the new baseline, Snooze for 24 h), the job listener
 * that sets baselines and compares checks, and the periodic check (PICBOT_DRIFT_INTERVAL_MINUTES).
 * Built once per server on AppDeps, beside the plan area whose approval a restore plan goes through.
 */
import { z } from 'zod';
import { RunnerLabel } from '../../contracts/runner-api';
import type { AppDeps, HandlerSet } from '../app-deps';
import { createDriftStore } from '../stores/drift-watch';
import { createRequestStore } from '../stores/requests';
import { createPlanStore } from '../stores/plans';
import type { ActionHandler, ActionResult, CommandHandler, MessageTurn } from '../turn';
import { VERBS } from '../verbs';
import { driftCard, driftNotice, driftStatusCard } from '../views/drift';
import type { DriftMetrics } from '../workflows/drift-ports';
import { createDriftWatch, type DriftRefusal, type DriftRefusalCode, type DriftWatch } from '../workflows/drift-watch';
import type { WorkflowRefusal } from '../workflows/plan-context';
import { callerOf } from './caller';
import type { PlanArea } from './plan-area';
import { planActor, refusedCard } from './plan-actions';

const DriftRef = z.object({
  target: z.string().trim().toLowerCase().pipe(RunnerLabel),
  signature: z.string().regex(/^([0-9a-f]{64})?$/, 'not a drift signature').default(''),
  reason: z.string().max(2000, 'the reason is too long (500 characters at most)').optional(),
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
export function driftMetrics(metrics: AppDeps['metrics']): DriftMetrics {
  return {
    checkRun: (status) => metrics.inc('picbot_drift_checks_total', { result: status }),
    driftsOpen: (count) => metrics.set('picbot_drifts_open', count),
    restorePlan: () => metrics.inc('picbot_drift_restore_plans_total'),
  };
}

export function createDriftArea(deps: AppDeps, plans: PlanArea): DriftArea {
  const watch = createDriftWatch({
    store: createDriftStore(deps.db),
    plans: createPlanStore(deps.db, () => deps.clock.now().toISOString(), deps.auditInTransaction),
    jobs: deps.jobs,
    runners: deps.runners,
    requests: createRequestStore(deps.db),
    preflightRuns: plans.preflightRuns,
    audit: deps.audit,
    cards: plans.cards,
    views: {
      driftCard,
      checkNotice: (lines, done) => driftNotice(done ? 'Drift check' : 'Checking for drift…', lines, 'default'),
    },
    putUp: plans.putUp,
    metrics: driftMetrics(deps.metrics),
    clock: deps.clock,
    logger: deps.logger,
    pickupTimeoutSeconds: deps.config.discoveryTimeoutSeconds,
  });
  deps.jobs.onChange((change) => watch.onJobChange(change));
  deps.periodic.every('drift-check', deps.config.driftIntervalMinutes * 60_000, async () => {
    if (!deps.db.open) return;
    await watch.check('picbot', null);
  });

  const say = (turn: MessageTurn, title: string, lines: string[], color: 'attention' | 'warning' | 'good' | 'default' = 'attention') =>
    turn.say({ card: driftNotice(title, lines, color) }).then(() => undefined);

  const drift: CommandHandler = async (turn, args) => {
    const caller = callerOf(turn.actor, deps.roles);
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
    const caller = callerOf(turn.actor, deps.roles);
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
  const malformed = (e: z.ZodError): ActionResult =>
    ({ card: driftNotice('That card can\'t be used', [`${e.issues[0]?.path.join('.') || 'data'}: ${e.issues[0]?.message ?? 'invalid'}. Say "drift" to check again.`]), scope: 'clicker' });

  /** The drift card as it stands now, for everyone (the click changed it). */
  async function shown(target: string): Promise<ActionResult> {
    const card = await watch.currentCard(target);
    return card ? { card } : { card: driftNotice('Not found', [`picbot watches no target ${target}.`]), scope: 'clicker' };
  }

  const restore: ActionHandler = async (turn) => {
    const data = DriftRef.safeParse(turn.data);
    if (!data.success) return malformed(data.error);
    const r = await watch.restore(planActor(turn, deps.roles), data.data.target, data.data.signature);
    if (!r.ok) return refusal(r);
    return shown(data.data.target);
  };

  const accept: ActionHandler = async (turn) => {
    const data = DriftRef.safeParse(turn.data);
    if (!data.success) return malformed(data.error);
    const reason = data.data.reason ?? '';
    const r = await watch.accept(planActor(turn, deps.roles), data.data.target, data.data.signature, reason);
    if (!r.ok && r.code === 'reason-required') {
      // The message under the field, with what was typed kept.
      const card = await watch.currentCard(data.data.target, { reasonValue: reason.slice(0, 500), reasonError: r.reason });
      return card ? { card, scope: 'clicker' } : refusal(r);
    }
    if (!r.ok) return refusal(r);
    return shown(data.data.target);
  };

  const snooze: ActionHandler = async (turn) => {
    const data = DriftRef.safeParse(turn.data);
    if (!data.success) return malformed(data.error);
    const r = await watch.snooze(planActor(turn, deps.roles), data.data.target, data.data.signature);
    if (!r.ok) return refusal(r);
    return shown(data.data.target);
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

const built = new WeakMap<AppDeps, DriftArea>();

/** The one drift area of a server (built on first use, like the plan area it works with). */
export function driftAreaFor(deps: AppDeps, plans: PlanArea): DriftArea {
  let area = built.get(deps);
  if (!area) {
    area = createDriftArea(deps, plans);
    built.set(deps, area);
  }
  return area;
}
