/**
 * Discovery from chat (docs/architecture.md, One job): an admin asks for the current state of a request's target;
 * a read-only job goes to a runner with the target's label (no approval: it changes nothing);
 * its progress and result are shown on the card it was started from. The observed state stays
 * with the job (JobQueue.latestObserved(requestId) is what the planner plans from).
 */
import { discoveryScope } from '../../core/discovery-scope';
import type { ObservedState } from '../../contracts/observed';
import type { JobCardRef, JobQueue, JobRecord, JobResult, RequestRecord, RequestStore, RunnerRegistry, StoredJobEvent } from './ports';
import type { Caller, Refusal } from './caller';

/** The JobContext.purpose of discovery jobs started from chat. */
export const DISCOVERY_PURPOSE = 'discovery';

/** Who starts a discovery: only `id` and `admin` matter here. */
export type DiscoveryCaller = Pick<Caller, 'id' | 'admin'>;

export type DiscoveryRefusal = Refusal<'not-admin' | 'not-found'>;

/** Where a discovery stands, in the words a card uses. */
export type DiscoveryPhase = 'waiting' | 'running' | 'done' | 'failed' | 'interrupted' | 'expired' | 'cancelled';

export interface DiscoveryStatus {
  job: JobRecord;
  phase: DiscoveryPhase;
  /** The request the discovery is for (null if it was deleted meanwhile). */
  request: RequestRecord | null;
  label: string;
  /** Whether any (not revoked) runner with the label has ever contacted the server. */
  runnerSeen: boolean;
  /** Seconds a runner had to pick the job up. */
  timeoutSeconds: number;
  observed: ObservedState | null;
  result: JobResult | null;
  events: StoredJobEvent[];
}

export interface DiscoveryDeps {
  jobs: JobQueue;
  runners: RunnerRegistry;
  requests: RequestStore;
  /** PICBOT_DISCOVERY_TIMEOUT_SECONDS: how long the job waits for a runner to lease it. */
  timeoutSeconds: number;
}

const PHASE: Record<JobRecord['status'], DiscoveryPhase> = {
  queued: 'waiting',
  leased: 'running',
  succeeded: 'done',
  failed: 'failed',
  'aborted-drift': 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  expired: 'expired',
};

export function createDiscoveryWorkflow(deps: DiscoveryDeps) {
  return {
    /**
     * Starts a discovery of the request's target, or returns the one already waiting or running
     * for it (a double click or an invoke retry must not queue a second job). Admins only.
     */
    async start(caller: DiscoveryCaller, requestId: string, card: JobCardRef | null): Promise<{ ok: true; job: JobRecord; reused: boolean } | DiscoveryRefusal> {
      if (!caller.admin) return { ok: false, code: 'not-admin', reason: 'Only picbot admins may start a discovery.' };
      const record = await deps.requests.get(requestId);
      if (!record) return { ok: false, code: 'not-found', reason: `There is no provisioning request ${requestId}; finish the intake first.` };
      const active = await deps.jobs.list({ requestId, purpose: DISCOVERY_PURPOSE, statuses: ['queued', 'leased'], limit: 1 });
      if (active[0]) return { ok: true, job: active[0], reused: true };
      const { target } = record.request;
      const job = await deps.jobs.create({
        kind: 'discover',
        target: target.label,
        profile: target.profile,
        // The same scope the apply job will re-read, so their fingerprints compare.
        discovery: discoveryScope(record.request),
        context: { purpose: DISCOVERY_PURPOSE, requestId, planId: null, card },
        createdBy: caller.id,
        pickupTimeoutSeconds: deps.timeoutSeconds,
      });
      return { ok: true, job, reused: false };
    },

    /** The discovery job as a card shows it; null when there is no such job. */
    async status(jobId: string): Promise<DiscoveryStatus | null> {
      const view = await deps.jobs.get(jobId);
      if (!view) return null;
      const { job } = view;
      const request = job.context.requestId ? await deps.requests.get(job.context.requestId) : null;
      return {
        job,
        phase: PHASE[job.status],
        request,
        label: job.target,
        runnerSeen: await deps.runners.seen(job.target),
        timeoutSeconds: deps.timeoutSeconds,
        observed: view.result?.observed ?? null,
        result: view.result,
        events: view.events,
      };
    },

    /** Whether a job belongs to this workflow (listeners filter changes with it). */
    owns(job: JobRecord): boolean {
      return job.context.purpose === DISCOVERY_PURPOSE;
    },
  };
}

export type DiscoveryWorkflow = ReturnType<typeof createDiscoveryWorkflow>;
