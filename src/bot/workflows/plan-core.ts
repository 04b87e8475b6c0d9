/**
 * The plan use cases and the hand-offs between them, built in one place (the composition root
 * calls it): approval emits "approved" and apply dispatches; retry and rollback put new plans up
 * through approval; every plan job's changes go to the use case that started the job. No use
 * case calls another in a circle.
 */
import { createApplyPlan, type ApplyPlan } from './plan-apply';
import { createApprovalWorkflow, type ApprovalWorkflow } from './plan-approval';
import { createCancelPlan, type CancelPlan } from './plan-cancel';
import type { PlanContext } from './plan-context';
import { createFollowUps } from './plan-follow-ups';
import { createRetryPlan, type RetryPlan } from './plan-retry';
import { createRollBackPlan, type RollBackPlan } from './plan-rollback';
import type { JobChange } from './ports';

export interface PlanCore {
  approval: ApprovalWorkflow;
  apply: ApplyPlan;
  cancel: CancelPlan;
  retry: RetryPlan;
  rollback: RollBackPlan;
  /** Every change of a plan's job: apply progress and report, and the reads retry and rollback wait for. */
  onJobChange(change: JobChange): Promise<void>;
  /**
   * At start (and safe at any time): pending plans their stored votes already decide move first
   * (an approved one is then dispatched), then apply's resync.
   */
  resync(): Promise<{ dispatched: number; finished: number; cards: number }>;
}

export function createPlanCore(ctx: PlanContext): PlanCore {
  const approval = createApprovalWorkflow(ctx);
  const apply = createApplyPlan(ctx);
  // The hand-off: approval only says a plan was approved; apply listens and dispatches it.
  approval.onApproved((planId) => apply.dispatch(planId));
  const followUps = createFollowUps(ctx.deps);
  const rollback = createRollBackPlan({ ctx, putUp: approval.putUp, followUps });
  const retry = createRetryPlan({ ctx, putUp: approval.putUp, planFor: approval.planFor, buildRollback: rollback.build, followUps });
  const cancel = createCancelPlan(ctx);
  return {
    approval,
    apply,
    cancel,
    retry,
    rollback,
    async onJobChange(change) {
      await apply.onJobChange(change);
      await retry.onJobChange(change);
      await rollback.onJobChange(change);
    },
    async resync() {
      for (const plan of await ctx.deps.plans.list({ statuses: ['pending-approval'], limit: 500 })) await approval.recount(plan.id);
      return apply.resync();
    },
  };
}
