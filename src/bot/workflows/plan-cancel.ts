/** "Cancel" on a running plan's card: the requester or an approver; the runner stops after the current step. */
import { refuse, type Outcome, type PlanActor, type PlanContext, type PlanDeps } from './plan-context';
import type { JobRecord, PlanRecord } from './ports';

export interface CancelPlan {
  cancel(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>>;
}

export function createCancelPlan(ctx: Pick<PlanContext, 'approverCheck' | 'audit' | 'auditRefusal' | 'updateCard'> & { deps: Pick<PlanDeps, 'plans' | 'jobs'> }): CancelPlan {
  const { plans, jobs } = ctx.deps;

  async function cancel(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.cancel-refused', planId, await cancelAsked(actor, planId));
  }

  async function cancelAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    const plan = await plans.get(planId);
    if (!plan) return refuse('not-found', `There is no plan ${planId}.`);
    const isApprover = actor.aadObjectId !== null && actor.approver !== false && (ctx.approverCheck()?.(actor.aadObjectId.toLowerCase()) ?? false);
    if (actor.id !== plan.requesterId && !isApprover) return refuse('not-allowed', 'Only the requester or an approver may cancel a running plan.');
    if (plan.status !== 'applying' || !plan.jobId) return refuse('not-running', plan.status === 'approved' ? 'The plan is being started; try again in a moment.' : `Plan ${planId} is ${plan.status}: there is nothing running to cancel.`);
    const r = await jobs.cancel(plan.jobId, actor.id);
    if (!r.ok) return refuse('not-running', r.code === 'finished' ? 'The job has already finished.' : r.reason);
    await ctx.audit(actor.id, 'plan.cancel-requested', plan.id, { jobId: plan.jobId, jobStatus: r.job.status });
    ctx.updateCard(plan.id, plan.card);
    return { ok: true, plan, job: r.job };
  }

  return { cancel };
}
