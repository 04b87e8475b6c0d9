import { z } from 'zod';

/**
 * The life of a plan put up for approval, as a state machine over values:
 *
 *   pending-approval ──quorum──► approved ──dispatch──► applying ──result──► succeeded | failed |
 *          │                        │                      │                 aborted-drift | cancelled
 *          ├──reject──► rejected    └──refuse──► failed    └──lease lost──► interrupted
 *          └──ttl────► expired
 *
 * Every other move is refused, so a late click, a replayed runner result or a second dispatch
 * cannot move a finished plan again.
 */
export const PLAN_STATUSES = [
  'pending-approval', 'approved', 'applying', 'succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'rejected', 'expired',
] as const;
export const PlanStatus = z.enum(PLAN_STATUSES);
export type PlanStatus = z.infer<typeof PlanStatus>;

/** What a plan is for: the planned change, or the rollback of an applied job. */
export const PLAN_KINDS = ['apply', 'rollback'] as const;
export const PlanKind = z.enum(PLAN_KINDS);
export type PlanKind = z.infer<typeof PlanKind>;

/** How a job of the plan ended (the runner's result, or the gateway's lease expiry). */
export type JobOutcome = 'succeeded' | 'failed' | 'aborted-drift' | 'cancelled' | 'interrupted';

export type PlanEvent =
  | { type: 'quorum' }
  | { type: 'reject' }
  | { type: 'expire' }
  | { type: 'dispatch' }
  /** Dispatch refused (the recomputed hash differs, no signing key): the approved plan does not run. */
  | { type: 'dispatch-refused' }
  | { type: 'job-finished'; outcome: JobOutcome };

/** The statuses in which nothing will happen to the plan any more. */
export const FINAL_STATUSES: ReadonlySet<PlanStatus> = new Set(['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'rejected', 'expired']);

/** Final statuses after which the server may have been changed, so a rollback can be offered. */
export const ROLLBACK_FROM: ReadonlySet<PlanStatus> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Final statuses after which "Retry" (re-discover and re-plan) is offered. */
export const RETRY_FROM: ReadonlySet<PlanStatus> = new Set(['failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired', 'rejected']);

const MOVES: Record<PlanStatus, Partial<Record<PlanEvent['type'], true>>> = {
  'pending-approval': { quorum: true, reject: true, expire: true },
  approved: { dispatch: true, 'dispatch-refused': true },
  applying: { 'job-finished': true },
  succeeded: {},
  failed: {},
  'aborted-drift': {},
  cancelled: {},
  interrupted: {},
  rejected: {},
  expired: {},
};

export type Transition = { ok: true; status: PlanStatus } | { ok: false; code: 'illegal-transition'; reason: string };

/** The status after `event`, or a refusal naming the move that is not allowed. */
export function nextPlanStatus(status: PlanStatus, event: PlanEvent): Transition {
  if (!MOVES[status][event.type]) {
    return { ok: false, code: 'illegal-transition', reason: `a plan that is ${status} cannot take "${event.type}"` };
  }
  switch (event.type) {
    case 'quorum':
      return { ok: true, status: 'approved' };
    case 'reject':
      return { ok: true, status: 'rejected' };
    case 'expire':
      return { ok: true, status: 'expired' };
    case 'dispatch':
      return { ok: true, status: 'applying' };
    case 'dispatch-refused':
      return { ok: true, status: 'failed' };
    case 'job-finished':
      return { ok: true, status: event.outcome };
  }
}

/** Words for a status, for cards and the `plans` list. */
export const PLAN_STATUS_TEXT: Record<PlanStatus, string> = {
  'pending-approval': 'waiting for approval',
  approved: 'approved, starting',
  applying: 'applying',
  succeeded: 'applied',
  failed: 'failed',
  'aborted-drift': 'stopped: the server changed since the plan was made',
  cancelled: 'cancelled',
  interrupted: 'interrupted: the runner stopped answering',
  rejected: 'rejected',
  expired: 'expired',
};
