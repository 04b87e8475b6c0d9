/**
 * A hand-written JobQueue (the workflows' port of the runner gateway) for unit tests of the plan
 * workflows: jobs live in memory, and the test plays the runner (lease, events, finish). Changes
 * are told to listeners like the real queue does, after they are "stored". The real queue, its
 * signing and its SQLite leasing are tested through the gateway over HTTP.
 */
import type { ObservedState } from '../../src/contracts/observed';
import { fingerprint } from '../../src/contracts/observed';
import { PROTOCOL_VERSION, type JobEvent } from '../../src/contracts/runner-api';
import type { JobChange, JobQueue, JobRecord, JobResult, JobView, NewJob, ObservedSnapshot } from '../../src/bot/workflows/ports';

export interface FakeJobQueue extends JobQueue {
  created: NewJob[];
  /** The test is the runner. */
  lease(jobId: string, runnerName?: string): Promise<void>;
  events(jobId: string, events: JobEvent[]): Promise<void>;
  finish(jobId: string, result: Partial<JobResult> & Pick<JobResult, 'status'>): Promise<void>;
  /** Ends a job without a runner result (lease expiry → interrupted, pickup expiry → expired). */
  end(jobId: string, status: 'interrupted' | 'expired'): Promise<void>;
  setObserved(requestId: string, observed: ObservedState, discovery: ObservedSnapshot['discovery']): void;
  /** Makes the next create() throw this error. */
  failNextCreate(err: Error): void;
}

export function fakeJobQueue(now: () => string): FakeJobQueue {
  const jobs = new Map<string, JobView>();
  const listeners: ((c: JobChange) => void | Promise<void>)[] = [];
  const snapshots = new Map<string, ObservedSnapshot>();
  const created: NewJob[] = [];
  let n = 0;
  let createError: Error | null = null;

  const emit = async (change: JobChange) => {
    for (const l of listeners) await l(change);
  };
  const view = (id: string) => {
    const v = jobs.get(id);
    if (!v) throw new Error(`fake job queue: no job ${id}`);
    return v;
  };

  return {
    created,
    async create(job) {
      if (createError) {
        const err = createError;
        createError = null;
        throw err;
      }
      created.push(job);
      n += 1;
      const id = `job_${String(n).padStart(16, '0')}`;
      const record: JobRecord = {
        id, kind: job.kind, target: job.target, status: 'queued',
        envelope: {
          protocolVersion: PROTOCOL_VERSION, jobId: id, kind: job.kind, target: job.target, profile: job.profile, discovery: job.discovery,
          steps: job.steps ?? [], expectedFingerprint: job.expectedFingerprint, planHash: job.planHash, approvals: job.approvals ?? [], issuedAt: now(),
        },
        signature: 'fake', context: job.context, createdBy: job.createdBy, createdAt: now(), pickupDeadline: null,
        runnerId: null, runnerName: null, leasedAt: null, leaseExpiresAt: null, cancelRequested: false, finishedAt: null, eventCount: 0, timeLimitAt: null, lateAt: null,
      };
      jobs.set(id, { job: record, events: [], result: null });
      await emit({ type: 'created', job: record });
      return record;
    },
    async get(jobId) {
      const v = jobs.get(jobId);
      return v ? structuredClone(v) : null;
    },
    async cardView(jobId) {
      // The same selection as the SQLite store: per step its last started and finished event, the first warnings.
      const v = jobs.get(jobId);
      if (!v) return null;
      const last = new Map<string, number>();
      v.events.forEach((e, i) => {
        if (e.event.type !== 'log') last.set(`${e.event.stepId}\u0000${e.event.type}`, i);
      });
      const warnings = v.events.map((e, i) => [e, i] as const).filter(([e]) => e.event.type === 'log' && e.event.level !== 'info').slice(0, 20).map(([, i]) => i);
      const keep = new Set([...last.values(), ...warnings]);
      return structuredClone({ ...v, events: v.events.filter((_, i) => keep.has(i)) });
    },
    async list(filter = {}) {
      return [...jobs.values()].map((v) => v.job).reverse().filter((j) =>
        (filter.requestId === undefined || j.context.requestId === filter.requestId)
        && (filter.planId === undefined || j.context.planId === filter.planId)
        && (filter.purpose === undefined || j.context.purpose === filter.purpose)
        && (filter.statuses === undefined || filter.statuses.includes(j.status))).slice(0, filter.limit ?? 50);
    },
    async cancel(jobId, _by) {
      const v = jobs.get(jobId);
      if (!v) return { ok: false, code: 'not-found', reason: `no job ${jobId}` };
      if (!['queued', 'leased'].includes(v.job.status)) return { ok: false, code: 'finished', reason: `job ${jobId} is ${v.job.status}` };
      if (v.job.status === 'queued') {
        v.job.status = 'cancelled';
        v.job.finishedAt = now();
        await emit({ type: 'finished', job: v.job, result: null });
        return { ok: true, job: v.job };
      }
      v.job.cancelRequested = true;
      await emit({ type: 'cancel-requested', job: v.job });
      return { ok: true, job: v.job };
    },
    async latestObserved(requestId) {
      return snapshots.get(requestId) ?? null;
    },
    onChange(listener) {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
    async lease(jobId, runnerName = 'fe01') {
      const v = view(jobId);
      Object.assign(v.job, { status: 'leased', runnerId: 'run_0000000000000001', runnerName, leasedAt: now() });
      await emit({ type: 'leased', job: v.job });
    },
    async events(jobId, events) {
      const v = view(jobId);
      const seq = v.events.length;
      events.forEach((event, index) => v.events.push({ seq, index, event, receivedAt: now(), late: false }));
      v.job.eventCount = v.events.length;
      await emit({ type: 'events', job: v.job, events });
    },
    async finish(jobId, result) {
      const v = view(jobId);
      const full: JobResult = { observed: null, after: null, replication: null, error: null, reportedAt: now(), ...result };
      v.result = full;
      Object.assign(v.job, { status: result.status, finishedAt: now() });
      if (v.job.kind === 'discover' && result.status === 'succeeded' && full.observed && v.job.context.requestId) {
        snapshots.set(v.job.context.requestId, {
          requestId: v.job.context.requestId, jobId, observed: full.observed, fingerprint: fingerprint(full.observed),
          discovery: v.job.envelope.discovery, observedAt: now(), runnerId: v.job.runnerId, runnerName: v.job.runnerName,
        });
      }
      await emit({ type: 'finished', job: v.job, result: full });
    },
    async end(jobId, status) {
      const v = view(jobId);
      Object.assign(v.job, { status, finishedAt: now() });
      await emit({ type: 'finished', job: v.job, result: null });
    },
    setObserved(requestId, observed, discovery) {
      snapshots.set(requestId, { requestId, jobId: 'job_discovery00000000', observed, fingerprint: fingerprint(observed), discovery, observedAt: now(), runnerId: null, runnerName: null });
    },
    failNextCreate(err) {
      createError = err;
    },
  };
}
