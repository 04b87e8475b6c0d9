/**
 * "Retry" / "Re-plan" on a report: discover the server again, then plan from the request as it
 * is now. On a rollback plan it builds the rollback of the original plan's job again, from the new read.
 */
import { discoveryScope } from '../../core/discovery-scope';
import { PLAN_STATUS_TEXT, RETRY_FROM } from '../../core/plan-status';
import type { ApprovalWorkflow } from './plan-approval';
import type { FollowUps } from './plan-follow-ups';
import { JOB_PURPOSE, refuse, type Outcome, type PlanActor, type PlanContext, type PlanDeps } from './plan-context';
import type { RollBackPlan } from './plan-rollback';
import type { JobChange, JobRecord, JobResult, PlanRecord } from './ports';

export interface RetryPlan {
  retry(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>>;
  /** The end of a re-discovery: the new plan (or the rollback again) follows. */
  onJobChange(change: JobChange): Promise<void>;
}

export interface RetryDeps {
  ctx: Pick<PlanContext, 'audit' | 'auditRefusal' | 'serialize' | 'updateCard' | 'tellRequester'> & { deps: Pick<PlanDeps, 'plans' | 'requests'> };
  putUp: ApprovalWorkflow['putUp'];
  planFor: ApprovalWorkflow['planFor'];
  buildRollback: RollBackPlan['build'];
  followUps: FollowUps;
}

export function createRetryPlan({ ctx, putUp, planFor, buildRollback, followUps }: RetryDeps): RetryPlan {
  const { deps } = ctx;
  const { plans } = deps;
  const { openRollbackOf, readingFor, startRead, askerOf, rediscoveryProblem } = followUps;

  async function afterRediscovery(planId: string, job: JobRecord, result: JobResult | null): Promise<void> {
    const source = await plans.get(planId);
    if (!source) return;
    ctx.updateCard(source.id, source.card);
    if (job.status !== 'succeeded' || !result?.observed) {
      await ctx.tellRequester(source, 'Re-discovery did not finish', 'attention', [rediscoveryProblem(job, result)]);
      return;
    }
    if (source.kind === 'rollback') {
      // Retrying a rollback means rolling back the original plan's job again, from the state now;
      // re-planning the forward request here would undo the rollback's purpose.
      const original = source.follows ? await plans.get(source.follows) : null;
      if (!original) {
        await ctx.tellRequester(source, 'No rollback plan', 'attention', [`The plan ${source.follows ?? '?'} that rollback ${source.id} undoes is gone.`]);
        return;
      }
      const built = await buildRollback(await askerOf(job, source), original, result.observed);
      if (!built.ok) await ctx.tellRequester(source, 'No rollback plan', built.code === 'nothing-to-change' ? 'good' : 'attention', built.refusals ? built.refusals.map((r) => r.reason) : [built.reason]);
      return;
    }
    const record = await deps.requests.get(source.requestId);
    const request = record?.request ?? source.request;
    const planned = planFor(request, result.observed);
    if (!planned.ok) {
      await ctx.audit(job.createdBy, planned.code === 'plan-refused' ? 'plan.refused' : 'plan.nothing-to-change', source.requestId, { follows: source.id, jobId: job.id, refusals: planned.refusals?.map((r) => r.code) ?? [] });
      const lines = planned.refusals ? planned.refusals.map((r) => r.reason) : [planned.reason];
      await ctx.tellRequester(source, planned.code === 'plan-refused' ? 'The new plan was refused' : 'Nothing left to change', planned.code === 'plan-refused' ? 'attention' : 'good', lines);
      return;
    }
    const actor = await askerOf(job, source);
    const put = await putUp({ kind: 'apply', requestId: source.requestId, request, plan: planned.plan, discovery: discoveryScope(request), actor, rollbackOf: null, follows: source.id });
    if (put.ok) ctx.updateCard(source.id, source.card);
  }

  /**
   * "Retry" / "Re-plan": discover the server again, then plan from the request as it is now. On
   * a rollback plan it builds the rollback of the original plan's job again, from the new read.
   */
  async function retry(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.retry-refused', planId, await retryAsked(actor, planId));
  }

  async function retryAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may re-plan.');
    return ctx.serialize(`follow:${planId}`, async () => {
      const source = await plans.get(planId);
      if (!source) return refuse('not-found', `There is no plan ${planId}.`);
      if (!RETRY_FROM.has(source.status)) return refuse('not-final', `Plan ${planId} is ${source.status}: retry is offered once it has ended without success.`);
      const running = await readingFor(planId);
      if (running) return refuse('busy', `A re-discovery for this plan is already running (${running.id}).`);
      if (source.kind === 'rollback') {
        const original = source.follows ? await plans.get(source.follows) : null;
        if (!original || !original.jobId) return refuse('no-rollback', `The plan ${source.follows ?? '?'} that rollback ${source.id} undoes is gone.`);
        const open = await openRollbackOf(original);
        if (open && open.id !== source.id) return refuse('busy', `A rollback of plan ${original.id} is already ${PLAN_STATUS_TEXT[open.status]}: ${open.id}.`, { planId: open.id });
      }
      const job = await startRead(actor, source, JOB_PURPOSE.replan);
      if (!job) return refuse('not-found', `The provisioning request ${source.requestId} is gone.`);
      await ctx.audit(actor.id, 'plan.retry', source.id, { jobId: job.id, kind: source.kind });
      ctx.updateCard(source.id, source.card);
      return { ok: true, plan: source, job };
    });
  }

  return {
    retry,
    async onJobChange(change) {
      const planId = change.job.context.planId;
      if (change.type === 'finished' && planId && change.job.context.purpose === JOB_PURPOSE.replan) await afterRediscovery(planId, change.job, change.result);
    },
  };
}
