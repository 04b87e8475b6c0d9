/**
 * Apply, progress and report (docs/architecture.md, One job): an approved plan becomes a signed
 * apply (or rollback) job for the target's runners; the job's events keep the plan's card up to
 * date; its end is the report (cancel, retry and rollback are plan-cancel.ts, plan-retry.ts and
 * plan-rollback.ts). A restart loses nothing:
 * the runner gateway stores events as they arrive, and `resync` brings plans and cards up to date.
 */
import { tally } from '../../core/approval-policy';
import { nextPlanStatus, type JobOutcome } from '../../core/plan-status';
import { planHash } from '../../core/planner';
import { CodedError } from '../../shared/errors';
import { JOB_PURPOSE, type PlanContext, type PlanDeps } from './plan-context';
import type { JobChange, JobRecord, JobResult, JobView, PlanRecord } from './ports';

const FINAL_JOB: ReadonlySet<string> = new Set(['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired']);

/** How a finished job ends its plan. A job nobody leased in time counts as interrupted. */
function outcomeOf(job: JobRecord): JobOutcome {
  return job.status === 'expired' ? 'interrupted' : (job.status as JobOutcome);
}

const OUTCOME_TITLE: Record<JobOutcome, { title: string; color: 'good' | 'attention' | 'warning' }> = {
  succeeded: { title: 'Your plan was applied', color: 'good' },
  failed: { title: 'Your plan failed', color: 'attention' },
  'aborted-drift': { title: 'Your plan was not applied: the server changed', color: 'warning' },
  cancelled: { title: 'Your plan was cancelled', color: 'warning' },
  interrupted: { title: 'Your plan was interrupted', color: 'attention' },
};

/** Dispatch, progress and report of approved plans. */
export interface ApplyPlan {
  /** Creates the signed job of an approved plan (the approval's `onApproved` calls it). */
  dispatch(planId: string): Promise<void>;
  /** A change of an apply or rollback job (other jobs are ignored). */
  onJobChange(change: JobChange): Promise<void>;
  /** At start (and safe at any time): dispatch approved plans, finish plans whose job ended, bring cards up to date. */
  resync(): Promise<{ dispatched: number; finished: number; cards: number }>;
}

export function createApplyPlan(
  ctx: Pick<PlanContext, 'log' | 'serialize' | 'audit' | 'approverCheck' | 'policyConfig' | 'updateCard' | 'tellRequester' | 'shows'> & { deps: Pick<PlanDeps, 'plans' | 'votes' | 'jobs' | 'drafts' | 'clock'> },
): ApplyPlan {
  const { deps, log } = ctx;
  const { plans, votes, jobs } = deps;

  /** Creates the signed job of an approved plan, after checking again what it was approved for. */
  async function dispatch(planId: string): Promise<void> {
    await ctx.serialize(planId, async () => {
      const plan = await plans.get(planId);
      if (!plan || plan.status !== 'approved') return;
      // Fail closed at the last moment too: the votes are counted again, and the hash is
      // recomputed from the stored steps, so a plan altered after approval never runs.
      const planVotes = await votes.list(planId);
      const counted = tally({ ...plan, planHash: plan.plan.planHash }, planVotes, ctx.approverCheck(), ctx.policyConfig);
      const recomputed = planHash(plan.plan.profile, plan.plan.fingerprint, plan.plan.steps);
      if (recomputed !== plan.plan.planHash) return refuseDispatch(plan, 'the stored plan no longer matches the hash that was approved', { recomputed });
      if (counted.outcome !== 'approved') return refuseDispatch(plan, 'the approvals no longer reach the quorum (an approver was removed?)', { approvals: counted.approvals.length });

      const existing = (await jobs.list({ planId, purpose: JOB_PURPOSE.apply, limit: 5 }))[0];
      let job: JobRecord;
      try {
        job = existing ?? await jobs.create({
          kind: plan.kind,
          target: plan.targetLabel,
          profile: plan.plan.profile,
          discovery: plan.discovery,
          steps: plan.plan.steps,
          expectedFingerprint: plan.plan.fingerprint,
          planHash: plan.plan.planHash,
          approvals: counted.approvals.map((v) => ({ approver: `${v.voterName} (${v.voterId})`, at: v.at })),
          context: { purpose: JOB_PURPOSE.apply, requestId: plan.requestId, planId: plan.id, card: plan.card },
          createdBy: plan.requesterId,
          pickupTimeoutSeconds: null,
        });
      } catch (err) {
        if (err instanceof CodedError && err.code === 'bad_request') return refuseDispatch(plan, err.message, {});
        throw err;
      }
      const t = nextPlanStatus(plan.status, { type: 'dispatch' });
      const moved = t.ok ? await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status, jobId: job.id }, [{
        action: 'plan.dispatched', actor: 'picbot', subjectId: plan.id,
        detail: { jobId: job.id, kind: plan.kind, target: plan.targetLabel, planHash: plan.plan.planHash, approvals: counted.approvals.map((v) => v.voterId) },
      }]) : null;
      if (!moved) {
        log.warn({ planId, jobId: job.id }, 'the plan moved while its job was created; cancelling the job');
        await jobs.cancel(job.id, 'picbot');
        return;
      }
      ctx.updateCard(plan.id, moved.card);
      // The job may have finished before the plan moved to applying (a very fast runner).
      const view = await jobs.get(job.id);
      if (view && FINAL_JOB.has(view.job.status)) await finish(moved, view.job, view.result);
    });
  }

  async function refuseDispatch(plan: PlanRecord, why: string, detail: Record<string, unknown>): Promise<void> {
    const t = nextPlanStatus(plan.status, { type: 'dispatch-refused' });
    if (!t.ok) return;
    const moved = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [{ action: 'plan.dispatch-refused', actor: 'picbot', subjectId: plan.id, detail: { reason: why, ...detail } }]);
    if (!moved) return;
    log.error({ planId: plan.id, reason: why }, 'refused to dispatch an approved plan');
    ctx.updateCard(plan.id, moved.card);
    await ctx.tellRequester(moved, 'Your plan was not started', 'attention', [`picbot refused to start plan ${plan.id}: ${why}. Nothing was changed.`]);
  }

  /** The end of an apply/rollback job: the plan takes the job's outcome (once). */
  async function finish(plan: PlanRecord, job: JobRecord, result: JobResult | null): Promise<void> {
    const outcome = outcomeOf(job);
    const t = nextPlanStatus(plan.status, { type: 'job-finished', outcome });
    if (!t.ok) return;
    const warnings = (result?.replication ?? []).filter((r) => !r.upToDate).map((r) => r.replicaFqdn);
    const moved = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [{
      action: 'plan.finished', actor: 'picbot', subjectId: plan.id,
      detail: { jobId: job.id, outcome, runner: job.runnerName ?? job.runnerId, error: result?.error ?? null, replicasBehind: warnings },
    }]);
    if (!moved) return;
    ctx.updateCard(plan.id, moved.card);
    const what = plan.kind === 'rollback' ? 'The rollback' : 'The plan';
    const lines: Record<JobOutcome, string> = {
      succeeded: `${what} ${plan.id} for ${plan.targetLabel} was applied${warnings.length > 0 ? `; ${warnings.length} replica(s) were not up to date yet (replication can take minutes)` : ''}.`,
      failed: `${what} ${plan.id} for ${plan.targetLabel} stopped at a failed step: ${result?.error?.message ?? 'see the report'}. The report offers a rollback.`,
      'aborted-drift': `The server changed since plan ${plan.id} was made, so nothing was changed. Re-plan from the report.`,
      cancelled: `${what} ${plan.id} for ${plan.targetLabel} was cancelled; it stopped after the step that was running.`,
      interrupted: `The runner stopped answering during plan ${plan.id} (or none picked it up). Re-discover and plan again, or roll back what was done.`,
    };
    const look = OUTCOME_TITLE[outcome];
    const closed = outcome === 'succeeded' && plan.kind === 'apply' && await closeIntake(plan);
    const closedLine = closed ? [`Its intake ${plan.requestId} is closed: the request record stays ("status ${plan.requestId}"), and "start" begins a new one.`] : [];
    await ctx.tellRequester(moved, plan.kind === 'rollback' ? look.title.replace('plan', 'rollback') : look.title, look.color, [lines[outcome], ...closedLine]);
  }

  /**
   * An applied plan finishes the intake it came from (as "Finish" on the review would), so the
   * admin is not later offered to resume or discard an intake whose plan is done. True when it
   * closed an open intake.
   */
  async function closeIntake(plan: PlanRecord): Promise<boolean> {
    const drafts = deps.drafts;
    if (!drafts) return false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const draft = await drafts.get(plan.requestId);
      if (!draft || draft.state !== 'open') return false;
      const saved = await drafts.update({ ...draft, state: 'closed', position: 'review', updatedAt: deps.clock.now().toISOString() });
      if (saved.ok) {
        await ctx.audit('picbot', 'intake.finished', plan.requestId, { by: 'plan-applied', planId: plan.id });
        return true;
      }
      // Saved by someone else meanwhile (stale): read it again.
    }
    return false;
  }

  /** Full step output and errors go to the audit log (the card shows them cut to fit). */
  async function auditSteps(planId: string, job: JobRecord, change: Extract<JobChange, { type: 'events' }>): Promise<void> {
    for (const e of change.events) {
      if (e.type !== 'step-finished' || (e.output === undefined && e.error === undefined)) continue;
      await ctx.audit(job.runnerId ?? 'runner', 'plan.step-output', planId, { jobId: job.id, stepId: e.stepId, status: e.status, output: e.output ?? null, error: e.error ?? null });
    }
  }

  /** A change of an apply or rollback job: progress on the card, and the end of its plan. */
  async function onJobChange(change: JobChange): Promise<void> {
    const { job } = change;
    const planId = job.context.planId;
    if (!planId) return;
    if (job.context.purpose === JOB_PURPOSE.apply) {
      // Progress comes in many batches: only the plan's id and card place are read for those.
      const plan = (await plans.cardOfJob(job.id)) ?? (await plans.get(planId));
      if (!plan) return;
      if (change.type === 'events') await auditSteps(plan.id, job, change);
      if (change.type === 'finished') await ctx.serialize(plan.id, async () => {
        const current = await plans.get(plan.id);
        if (current && current.jobId === job.id) await finish(current, job, change.result);
      });
      else ctx.updateCard(plan.id, plan.card);
      return;
    }
  }

  /**
   * At start (and safe at any time): dispatch approved plans, finish plans whose job ended, and
   * bring every card that shows less than its plan and job to date.
   */
  async function resync(): Promise<{ dispatched: number; finished: number; cards: number }> {
    let dispatched = 0;
    let finished = 0;
    let cards = 0;
    for (const plan of await plans.list({ statuses: ['approved', 'applying'], limit: 500 })) {
      if (plan.status === 'approved') {
        await dispatch(plan.id);
        dispatched += 1;
        continue;
      }
      const view = plan.jobId ? await jobs.get(plan.jobId) : null;
      if (view && FINAL_JOB.has(view.job.status)) {
        await ctx.serialize(plan.id, () => finish(plan, view.job, view.result));
        finished += 1;
      }
    }
    for (const plan of await plans.list({ limit: 100 })) {
      const view: JobView | null = plan.jobId ? await jobs.get(plan.jobId) : null;
      if (plan.card && ctx.shows(plan, view) !== plan.cardShows) {
        ctx.updateCard(plan.id, plan.card);
        cards += 1;
      }
    }
    return { dispatched, finished, cards };
  }

  return { dispatch, onJobChange, resync };
}
