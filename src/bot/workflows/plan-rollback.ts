/**
 * "Roll back" on a report: the server is read again first, then the rollback plan is built from
 * the job's captured state and step statuses, checked against that fresh read, and put up for
 * approval like any plan (docs/lync-reference.md, Plan order and rollback).
 */
import { stepProgress, stepStatuses } from '../../core/job-progress';
import { PLAN_STATUS_TEXT, ROLLBACK_FROM } from '../../core/plan-status';
import { rollbackPlan } from '../../core/rollback-plan';
import { fingerprint, type ObservedState } from '../../contracts/observed';
import type { ApprovalWorkflow } from './plan-approval';
import type { FollowUps } from './plan-follow-ups';
import { JOB_PURPOSE, refuse, type Outcome, type PlanActor, type PlanContext, type PlanDeps } from './plan-context';
import type { JobChange, JobRecord, JobResult, PlanRecord } from './ports';

export interface RollBackPlan {
  /** "Roll back": starts the read the rollback plan is built from. */
  rollback(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>>;
  /** Builds the rollback plan of `source`'s job against `current`, and puts it up for approval. */
  build(actor: PlanActor, source: PlanRecord, current: ObservedState): ReturnType<ApprovalWorkflow['putUp']>;
  /** The end of a rollback read: the rollback plan follows. */
  onJobChange(change: JobChange): Promise<void>;
}

export interface RollBackDeps {
  ctx: Pick<PlanContext, 'audit' | 'auditRefusal' | 'serialize' | 'updateCard' | 'tellRequester'> & { deps: Pick<PlanDeps, 'plans' | 'jobs'> };
  putUp: ApprovalWorkflow['putUp'];
  followUps: FollowUps;
}

export function createRollBackPlan({ ctx, putUp, followUps }: RollBackDeps): RollBackPlan {
  const { plans, jobs } = ctx.deps;
  const { openRollbackOf, readingFor, startRead, askerOf, rediscoveryProblem } = followUps;

  async function afterRollbackRead(planId: string, job: JobRecord, result: JobResult | null): Promise<void> {
    const source = await plans.get(planId);
    if (!source) return;
    ctx.updateCard(source.id, source.card);
    if (job.status !== 'succeeded' || !result?.observed) {
      await ctx.tellRequester(source, 'Reading the server for the rollback did not finish', 'attention', [rediscoveryProblem(job, result)]);
      return;
    }
    const open = await openRollbackOf(source);
    if (open) return;
    const actor = await askerOf(job, source);
    const built = await buildRollback(actor, source, result.observed);
    if (!built.ok) await ctx.tellRequester(source, 'No rollback plan', built.code === 'nothing-to-change' ? 'good' : 'attention', built.refusals ? built.refusals.map((r) => r.reason) : [built.reason]);
  }

  /**
   * The state before the apply when the job reported none (it ended before its result, or its
   * runner was lost): the read the plan was made from. The runner changes nothing unless the
   * state it reads first has exactly that fingerprint, so that read is the state before.
   */
  async function capturedBefore(source: PlanRecord): Promise<ObservedState | null> {
    const reads = await jobs.list({ requestId: source.requestId, statuses: ['succeeded'], limit: 50 });
    for (const job of reads) {
      // Only the result is needed: the card view spares reading every event of each job.
      const view = await jobs.cardView(job.id);
      const observed = view?.result?.observed ?? null;
      if (observed && fingerprint(observed) === source.plan.fingerprint) return observed;
    }
    return null;
  }

  /** Builds the rollback plan of a finished job from its captured state, and puts it up for approval. */
  async function buildRollback(actor: PlanActor, source: PlanRecord, current: ObservedState) {
    const view = source.jobId ? await jobs.get(source.jobId) : null;
    if (!view) return refuse('no-rollback', `Plan ${source.id} has no job to roll back.`);
    const progress = stepProgress(source.plan.steps, view.events.map((e) => e.event));
    const captured = view.result?.observed ?? await capturedBefore(source);
    const rb = rollbackPlan({
      profile: source.plan.profile,
      steps: source.plan.steps,
      statuses: stepStatuses(progress),
      current,
      planFingerprint: source.plan.fingerprint,
      ...(captured ? { captured } : {}),
    });
    if (rb.refusals.length > 0) {
      await ctx.audit(actor.id, 'plan.rollback-refused', source.id, { jobId: view.job.id, refusals: rb.refusals.map((r) => r.code) });
      return refuse('plan-refused', 'The rollback plan was refused.', { refusals: rb.refusals });
    }
    if (rb.steps.length === 0) {
      await ctx.audit(actor.id, 'plan.rollback-nothing', source.id, { jobId: view.job.id });
      return refuse('nothing-to-change', `Job ${view.job.id} changed nothing, so there is nothing to roll back.`);
    }
    return putUp({ kind: 'rollback', requestId: source.requestId, request: source.request, plan: rb, discovery: source.discovery, actor, rollbackOf: view.job.id, follows: source.id });
  }

  /**
   * "Roll back" on the report: the server is read again first, and the rollback plan is built
   * from the job's captured state and statuses checked against that fresh read. Building it from
   * the job's own read after its last change would pin the rollback to that moment: any later
   * change on the server, even an unrelated one, would end every rollback in aborted-drift.
   */
  async function rollback(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.rollback-refused', planId, await rollbackAsked(actor, planId));
  }

  async function rollbackAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may request a rollback (it becomes a plan that needs approval).');
    return ctx.serialize(`follow:${planId}`, async () => {
      const source = await plans.get(planId);
      if (!source) return refuse('not-found', `There is no plan ${planId}.`);
      if (!ROLLBACK_FROM.has(source.status) || !source.jobId) return refuse('not-final', `Plan ${planId} is ${source.status}: only a finished, failed, cancelled or interrupted plan can be rolled back.`);
      const open = await openRollbackOf(source);
      if (open) return refuse('busy', `A rollback of this plan is already ${PLAN_STATUS_TEXT[open.status]}: ${open.id}.`, { planId: open.id });
      const reading = await readingFor(source.id);
      if (reading) return refuse('busy', `picbot is already reading the server for a follow-up of this plan (${reading.id}).`);
      const view = await jobs.get(source.jobId);
      if (!view) return refuse('no-rollback', `The job ${source.jobId} of plan ${planId} is gone.`);
      const job = await startRead(actor, source, JOB_PURPOSE.rollbackRead);
      if (!job) return refuse('not-found', `The provisioning request ${source.requestId} is gone.`);
      await ctx.audit(actor.id, 'plan.rollback-asked', source.id, { jobId: source.jobId, readJobId: job.id });
      ctx.updateCard(source.id, source.card);
      return { ok: true, plan: source, job };
    });
  }

  return {
    rollback,
    build: buildRollback,
    async onJobChange(change) {
      const planId = change.job.context.planId;
      if (change.type === 'finished' && planId && change.job.context.purpose === JOB_PURPOSE.rollbackRead) await afterRollbackRead(planId, change.job, change.result);
    },
  };
}
