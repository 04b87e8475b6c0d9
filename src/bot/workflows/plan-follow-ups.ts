/**
 * What retry and rollback share: both read the server again before they plan (a discovery job
 * for a follow-up of a plan), and both must not start twice for the same plan.
 */
import { discoveryScope } from '../../core/discovery-scope';
import { FINAL_STATUSES } from '../../core/plan-status';
import { JOB_PURPOSE, type PlanActor, type PlanDeps } from './plan-context';
import type { JobRecord, JobResult, PlanRecord } from './ports';

export interface FollowUps {
  /** A read for a follow-up of this plan that is still queued or running, if any. */
  readingFor(planId: string): Promise<JobRecord | undefined>;
  /** A discovery job for a follow-up of `source` (retry or rollback read); null when the request is gone. */
  startRead(actor: PlanActor, source: PlanRecord, purpose: string): Promise<JobRecord | null>;
  /** Who asked for a follow-up job, as the new plan's requester (the job keeps only the id). */
  askerOf(job: JobRecord, source: PlanRecord): Promise<PlanActor>;
  /** Why a follow-up read gave nothing to plan from, in the requester's words. */
  rediscoveryProblem(job: JobRecord, result: JobResult | null): string;
  /** An open (not final) rollback plan of `source`, if any: a second one would undo the same job twice. */
  openRollbackOf(source: PlanRecord): Promise<PlanRecord | undefined>;
}

export function createFollowUps(deps: Pick<PlanDeps, 'plans' | 'jobs' | 'requests' | 'userIds' | 'config'>): FollowUps {
  const { plans, jobs } = deps;
  async function readingFor(planId: string): Promise<JobRecord | undefined> {
    return (await jobs.list({ planId, statuses: ['queued', 'leased'], limit: 5 })).find((j) => j.context.purpose !== JOB_PURPOSE.apply);
  }

  async function startRead(actor: PlanActor, source: PlanRecord, purpose: string): Promise<JobRecord | null> {
    // A retry of a forward plan reads what the request needs now; a rollback (and the retry of
    // one) re-reads exactly what the plan read, which covers every user its steps touched.
    const forward = purpose === JOB_PURPOSE.replan && source.kind === 'apply';
    const request = forward ? (await deps.requests.get(source.requestId))?.request : source.request;
    if (!request) return null;
    const scope = forward ? discoveryScope(request) : source.discovery;
    return jobs.create({
      kind: 'discover', target: request.target.label, profile: request.target.profile, discovery: scope,
      context: { purpose, requestId: source.requestId, planId: source.id, card: source.card },
      createdBy: actor.id, pickupTimeoutSeconds: deps.config.discoveryTimeoutSeconds,
    });
  }

  async function askerOf(job: JobRecord, source: PlanRecord): Promise<PlanActor> {
    const known = job.createdBy === source.requesterId ? source.requesterName : (await deps.userIds.get(job.createdBy))?.name;
    return { id: job.createdBy, aadObjectId: job.createdBy.startsWith('teams:') ? null : job.createdBy, name: known || job.createdBy, admin: true, reader: true, conversationId: source.requestedIn };
  }

  async function openRollbackOf(source: PlanRecord): Promise<PlanRecord | undefined> {
    const related = await plans.list({ requestId: source.requestId, limit: 50 });
    return related.find((p) => p.follows === source.id && p.kind === 'rollback' && !FINAL_STATUSES.has(p.status));
  }

  function rediscoveryProblem(job: JobRecord, result: JobResult | null): string {
    if (job.status === 'expired') return `No runner with the label ${job.target} picked up the discovery in time. Start a runner for ${job.target}, then try again.`;
    return `The discovery job ${job.id} ended ${job.status}${result?.error ? `: ${result.error.message}` : ''}.`;
  }

  return { readingFor, startRead, askerOf, rediscoveryProblem, openRollbackOf };
}
