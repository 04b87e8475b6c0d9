/**
 * The JobQueue port (what workflows see) and the job side of the runner protocol (what the
 * routes call), on the SQLite job store: jobs are signed at creation, leased atomically, their
 * leases renewed by heartbeats and expired by a sweeper timer set to the next deadline (no
 * polling), and every change is audited in the store's own transaction (`jobAudit` says what
 * each row holds) and told to the listeners after it is stored.
 */
import { fingerprint } from '../../contracts/observed';
import { checkOpCall, isReadOp, isWriteOp } from '../../contracts/ops';
import { JobEnvelope, PROTOCOL_VERSION, type JobEvent, type ResultRequest } from '../../contracts/runner-api';
import { signEnvelope } from '../../contracts/signing';
import type { Clock } from '../../shared/clock';
import { CodedError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { Logger } from '../../shared/logger';
import type { EventsOutcome, FinishOutcome, JobAudit, JobStore, Lease, LeaseCheck } from '../stores/jobs';
import { FINAL_JOB_STATUSES } from '../stores/jobs';
import type { JobChange, JobQueue, JobRecord, NewJob, RunnerInfo } from '../workflows/ports';
import type { LeaseWaiters } from './waiters';

/** Lease life and the longest long-poll (docs/architecture.md, Runner protocol). */
export const DEFAULT_LEASE_MS = 60_000;
export const MAX_WAIT_SECONDS = 30;
/** The time limit of a job without a pickup deadline (an apply waits for a runner this long at most). */
export const JOB_TIME_LIMIT_SECONDS = 24 * 3600;
// The sweeper re-reads the next deadline at least this often (another process may add one).
const MAX_SWEEP_DELAY_MS = 60_000;

/** What prompted a lease attempt: a long-poll's first look, a wake-up, or the fallback poll. */
export type LeaseFound = 'first-look' | 'woken' | 'poll';

export interface JobQueueDeps {
  store: JobStore;
  clock: Clock;
  logger: Logger;
  signingKeys: { privateKeyPem: string };
  /** SHA-256 of the lync-ops.ps1 this release ships (script-hash.ts), signed into every envelope. */
  scriptSha256: string;
  waiters: LeaseWaiters;
  leaseMs?: number;
  /** Tells the other instances a job is queued (PostgreSQL NOTIFY); absent with one process. */
  announce?: (label: string) => Promise<void>;
  /**
   * Sweep at least this often even with no deadline known here (other instances create jobs
   * whose deadlines this one never hears of); absent: only at the deadlines this process knows.
   */
  sweepEveryMs?: number;
  /**
   * Hears, synchronously, of every change this queue made itself (not of another instance's):
   * the server's metrics count lease pickups and ended jobs here, each once.
   */
  observe?: (change: JobChange) => void;
}

/** The gateway's own view: the port plus what the runner routes need. */
export interface GatewayJobQueue extends JobQueue {
  readonly leaseMs: number;
  /** Looks for a job for the runner's labels; the route waits on the waiters between tries. */
  tryLease(runner: RunnerInfo, found?: LeaseFound): Promise<Lease | null>;
  heartbeat(jobId: string, runner: RunnerInfo, leaseId: string): Promise<LeaseCheck>;
  appendEvents(jobId: string, runner: RunnerInfo, leaseId: string, seq: number, events: JobEvent[], envelopeHash?: string): Promise<EventsOutcome>;
  finish(jobId: string, runner: RunnerInfo, body: ResultRequest): Promise<FinishOutcome | { ok: false; code: 'bad-result'; reason: string }>;
  /** Expires due leases and pickups now (the timer calls it; tests with a fake clock too). */
  sweep(): Promise<void>;
  close(): void;
}

/** What the audit rows of job changes hold (the store writes them in the change's transaction). */
export const jobAudit: JobAudit = {
  created: (job) => ({
    action: 'job.created',
    actor: job.createdBy,
    subjectId: job.id,
    detail: {
      kind: job.kind, target: job.target, purpose: job.context.purpose, requestId: job.context.requestId, planId: job.context.planId,
      steps: job.envelope.steps.length, planHash: job.envelope.planHash ?? null, pickupDeadline: job.pickupDeadline,
    },
  }),
  leased: (lease, runner) => ({
    action: 'job.leased', actor: runner.id, subjectId: lease.jobId,
    detail: { target: lease.target, ...(runner.name !== undefined ? { runner: runner.name } : {}), leaseExpiresAt: lease.leaseExpiresAt },
  }),
  interrupted: (job, why) => ({
    action: 'job.interrupted',
    actor: 'picbot',
    subjectId: job.id,
    detail: { target: job.target, runnerId: job.runnerId, reason: why, timeLimitAt: job.timeLimitAt, requestId: job.context.requestId, planId: job.context.planId },
  }),
  expired: (job) => ({ action: 'job.expired', actor: 'picbot', subjectId: job.id, detail: { target: job.target, runnerId: job.runnerId, requestId: job.context.requestId, planId: job.context.planId } }),
  events: (job, runnerId, events, late) => events.flatMap((e) => (e.type !== 'step-finished' ? [] : [{
    action: 'job.step',
    actor: runnerId,
    subjectId: job.id,
    detail: { stepId: e.stepId, status: e.status, durationMs: e.durationMs, error: e.error ?? null, ...(late ? { late: true } : {}) },
  }])),
  result: (job, runnerId, result, late) => ({
    action: late ? 'job.late-result' : 'job.result',
    actor: runnerId,
    subjectId: job.id,
    detail: {
      status: result.status,
      error: result.error ?? null,
      observedFingerprint: result.observed ? fingerprint(result.observed) : null,
      afterFingerprint: result.after ? fingerprint(result.after) : null,
      requestId: job.context.requestId,
      planId: job.context.planId,
      ...(late ? { late: true, jobStatus: job.status } : {}),
    },
  }),
  cancelled: (job, moved, by) => ({ action: moved === 'cancelled' ? 'job.cancelled' : 'job.cancel-requested', actor: by, subjectId: job.id, detail: { target: job.target } }),
};

/** Why a job cannot be created, or null: the same rules the runner enforces, checked first here. */
export function jobProblem(job: NewJob): string | null {
  const steps = job.steps ?? [];
  for (const step of steps) {
    const checked = checkOpCall({ op: step.op, params: step.params });
    if (!checked.ok) return `step ${step.id}: ${checked.reason}`;
    if (job.kind === 'discover' && !isReadOp(step.op)) return `step ${step.id}: ${step.op} is not a read op; a discovery job may only contain read ops`;
    if (job.kind !== 'discover' && !isWriteOp(step.op)) return `step ${step.id}: ${step.op} is not a write op; an ${job.kind} job runs write steps`;
    for (const undo of step.rollback) {
      const r = checkOpCall(undo);
      if (!r.ok) return `step ${step.id} rollback: ${r.reason}`;
    }
  }
  if (job.kind !== 'discover' && job.expectedFingerprint === undefined) return `an ${job.kind} job needs the expected fingerprint (the state it was planned from)`;
  return null;
}

export function createJobQueue(deps: JobQueueDeps): GatewayJobQueue {
  const { store, clock, logger, waiters } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const log = logger.child({ component: 'runner-gateway' });
  const listeners = new Set<(change: JobChange) => void | Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function emit(change: JobChange): void {
    try {
      deps.observe?.(change);
    } catch (err) {
      log.error({ err, jobId: change.job.id, change: change.type }, 'the job change observer failed');
    }
    // After the caller's transaction and outside the runner's HTTP call: a slow card update
    // must never hold up a lease or a heartbeat.
    setImmediate(() => {
      for (const listener of [...listeners]) {
        Promise.resolve()
          .then(() => listener(change))
          .catch((err: unknown) => log.error({ err, jobId: change.job.id, change: change.type }, 'a job change listener failed'));
      }
    });
  }

  async function schedule(): Promise<void> {
    if (closed) return;
    let next: string | null;
    try {
      next = await store.nextDeadline();
    } catch (err) {
      // The database is away: sweep later all the same, so a deadline is never left unwatched.
      if (!timer) arm(deps.sweepEveryMs ?? MAX_SWEEP_DELAY_MS);
      throw err;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    if (next === null && deps.sweepEveryMs === undefined) return;
    const due = next === null ? Number.POSITIVE_INFINITY : Math.max(0, Date.parse(next) - clock.now().getTime());
    const delay = Math.min(MAX_SWEEP_DELAY_MS, deps.sweepEveryMs ?? MAX_SWEEP_DELAY_MS, due);
    arm(delay);
  }

  /** Sweeps after `delay` ms; a failed sweep (the database is away) tries again later. */
  function arm(delay: number): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      sweep().catch((err: unknown) => {
        log.error({ err }, 'sweeping job leases failed; trying again later');
        if (!timer) arm(deps.sweepEveryMs ?? MAX_SWEEP_DELAY_MS);
      });
    }, delay + 5);
    timer.unref();
  }

  async function sweep(): Promise<void> {
    const changed = await store.sweep();
    for (const job of changed) interrupted(job);
    await schedule();
  }

  /** Tells that a job ended by the server's clock (its audit row is already stored with it). */
  function interrupted(job: JobRecord): void {
    log.warn({ jobId: job.id, status: job.status, runnerId: job.runnerId }, job.status === 'interrupted' ? 'job lease expired (or the job ran past its time limit): the runner stopped answering' : 'job expired: no runner leased it in time');
    emit({ type: 'finished', job, result: null });
  }

  const queue: GatewayJobQueue = {
    leaseMs,

    async create(input) {
      const problem = jobProblem(input);
      if (problem) throw new CodedError('bad_request', `creating a ${input.kind} job for ${input.target}: ${problem}`);
      const issuedAt = clock.now().toISOString();
      const envelope = JobEnvelope.parse({
        protocolVersion: PROTOCOL_VERSION,
        jobId: newId('job'),
        kind: input.kind,
        target: input.target.toLowerCase(),
        profile: input.profile,
        discovery: input.discovery,
        steps: input.steps ?? [],
        ...(input.expectedFingerprint !== undefined ? { expectedFingerprint: input.expectedFingerprint } : {}),
        ...(input.planHash !== undefined ? { planHash: input.planHash } : {}),
        approvals: input.approvals ?? [],
        issuedAt,
        scriptSha256: deps.scriptSha256,
        // The job's time limit: its pickup deadline, else a day. A runner refuses it afterwards,
        // so an envelope captured on the way cannot be replayed to another runner later.
        notAfter: new Date(clock.now().getTime() + (input.pickupTimeoutSeconds ?? JOB_TIME_LIMIT_SECONDS) * 1000).toISOString(),
      });
      const signature = signEnvelope(envelope, deps.signingKeys.privateKeyPem);
      const pickup = input.pickupTimeoutSeconds ?? null;
      const job = await store.insert({
        envelope,
        signature,
        context: input.context,
        createdBy: input.createdBy,
        pickupDeadline: pickup === null ? null : new Date(clock.now().getTime() + pickup * 1000).toISOString(),
      });
      log.info({ jobId: job.id, kind: job.kind, target: job.target, requestId: job.context.requestId, planId: job.context.planId }, 'job created');
      waiters.wake(job.target);
      deps.announce?.(job.target).catch((err: unknown) => log.warn({ err, jobId: job.id }, 'telling the other instances about a job failed; their runners find it by polling'));
      if (job.pickupDeadline !== null) await schedule();
      emit({ type: 'created', job });
      return job;
    },

    get: (jobId) => store.get(jobId),
    cardView: (jobId) => store.cardView(jobId),
    list: (filter = {}) => store.list(filter),
    latestObserved: (requestId) => store.latestObserved(requestId),

    async cancel(jobId, by) {
      const r = await store.requestCancel(jobId, by);
      if (!r) return { ok: false, code: 'not-found', reason: `there is no job ${jobId}` };
      if (r.moved === 'none') {
        if (FINAL_JOB_STATUSES.has(r.job.status)) return { ok: false, code: 'finished', reason: `job ${jobId} has already ended (${r.job.status})` };
        return { ok: true, job: r.job }; // cancel already requested
      }
      emit(r.moved === 'cancelled' ? { type: 'finished', job: r.job, result: null } : { type: 'cancel-requested', job: r.job });
      return { ok: true, job: r.job };
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async tryLease(runner, found = 'first-look') {
      const lease = await store.lease({ id: runner.id, labels: runner.labels, name: runner.name }, leaseMs);
      if (!lease) return null;
      log.info({ jobId: lease.jobId, runnerId: runner.id, leaseExpiresAt: lease.leaseExpiresAt, found }, 'job leased');
      await schedule();
      const job = await store.record(lease.jobId);
      if (job) emit({ type: 'leased', job });
      return lease;
    },

    async heartbeat(jobId, runner, leaseId) {
      const r = await store.heartbeat(jobId, runner.id, leaseId, leaseMs);
      if (r.ok) await schedule();
      // The heartbeat found the lease over and ended it in its own transaction.
      else if (r.interrupted) interrupted(r.interrupted);
      return r;
    },

    async appendEvents(jobId, runner, leaseId, seq, events, envelopeHash) {
      const r = await store.appendEvents(jobId, runner.id, leaseId, seq, events, envelopeHash);
      if (r.interrupted) interrupted(r.interrupted);
      if (r.ok && !r.duplicate) {
        if (r.late) log.warn({ jobId, runnerId: runner.id, events: events.length }, 'late events of an interrupted job recorded');
        emit({ type: 'events', job: r.job, events });
      }
      return r;
    },

    async finish(jobId, runner, body) {
      const job = await store.record(jobId);
      if (job && job.kind === 'discover') {
        if (body.status === 'succeeded' && !body.observed) return { ok: false, code: 'bad-result', reason: 'a succeeded discovery must carry the observed state' };
        if (body.status === 'aborted-drift') return { ok: false, code: 'bad-result', reason: 'a discovery job cannot abort on drift' };
      }
      const r = await store.finish(jobId, runner.id, body.leaseId, {
        status: body.status,
        observed: body.observed ?? null,
        after: body.after ?? null,
        replication: body.replication ?? null,
        error: body.error ?? null,
      }, body.envelopeHash);
      if (r.interrupted) interrupted(r.interrupted);
      if (r.ok && !r.duplicate) {
        log.info({ jobId, runnerId: runner.id, status: body.status, error: body.error?.code, late: r.late }, r.late ? 'late result of an interrupted job recorded' : 'job result');
        await schedule();
        // A late result does not end the job again; the card shows it, and drift watch takes its read.
        if (r.late) emit({ type: 'late-result', job: r.job, result: r.result });
        else emit({ type: 'finished', job: r.job, result: r.result });
      }
      return r;
    },

    sweep,

    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };

  // Leases and pickups that fell due while the server was down are swept at start.
  void sweep().catch((err: unknown) => log.error({ err }, 'sweeping job leases at start failed'));
  return queue;
}
