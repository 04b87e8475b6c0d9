/**
 * SQLite store of runner jobs and their events. Every state move is one conditional UPDATE inside
 * an IMMEDIATE transaction, so two runners (or two bot processes on one file) can never both
 * lease a job, and a late call from a runner whose lease expired changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fingerprint, ObservedState, ReplicaStatus } from '../../contracts/observed';
import { JobEnvelope, JobEvent, JobKind, JobResultStatus } from '../../contracts/runner-api';
import type { Clock } from '../../shared/clock';
import { asCodedError, CodedError } from '../../shared/errors';
import type {
  JobContext, JobRecord, JobResult, JobStatus, JobView, ObservedSnapshot, StoredJobEvent,
} from '../workflows/ports';
import type { Db } from './db';

export const JOB_STATUSES = ['queued', 'leased', 'succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired'] as const;
const JobStatusSchema = z.enum(JOB_STATUSES);
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired']);

const CardRef = z.object({ conversationId: z.string(), activityId: z.string() });
const StoredResult = z.object({
  status: JobResultStatus,
  observed: ObservedState.nullable(),
  after: ObservedState.nullable(),
  replication: z.array(ReplicaStatus).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  reportedAt: z.string(),
});

const Row = z.object({
  id: z.string(),
  kind: JobKind,
  target: z.string(),
  status: JobStatusSchema,
  envelope: z.string(),
  signature: z.string(),
  purpose: z.string(),
  request_id: z.string().nullable(),
  plan_id: z.string().nullable(),
  card: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  pickup_deadline: z.string().nullable(),
  runner_id: z.string().nullable(),
  runner_name: z.string().nullable().optional(),
  lease_id: z.string().nullable(),
  leased_at: z.string().nullable(),
  lease_expires_at: z.string().nullable(),
  cancel_requested: z.number().int(),
  finished_at: z.string().nullable(),
  next_seq: z.number().int(),
  event_count: z.number().int(),
  result: z.string().nullable(),
});
type Row = z.infer<typeof Row>;

function parseRow(raw: unknown): Row {
  const parsed = Row.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading a job: the row does not have the expected shape (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CodedError('store_failed', `reading ${what}: not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading ${what}: it no longer parses (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/** Parses a stored envelope (a cache may answer for it: see createJobStore). */
type EnvelopeReader = (row: Row) => JobEnvelope;
const parseEnvelope: EnvelopeReader = (row) => parseJson(JobEnvelope, row.envelope, `the envelope of job ${row.id}`);

function toRecord(row: Row, readEnvelope: EnvelopeReader = parseEnvelope): JobRecord {
  const context: JobContext = {
    purpose: row.purpose,
    requestId: row.request_id,
    planId: row.plan_id,
    card: row.card === null ? null : parseJson(CardRef, row.card, `the card of job ${row.id}`),
  };
  return {
    id: row.id,
    kind: row.kind,
    target: row.target,
    status: row.status,
    envelope: readEnvelope(row),
    signature: row.signature,
    context,
    createdBy: row.created_by,
    createdAt: row.created_at,
    pickupDeadline: row.pickup_deadline,
    runnerId: row.runner_id,
    runnerName: row.runner_name ?? null,
    leasedAt: row.leased_at,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequested: row.cancel_requested === 1,
    finishedAt: row.finished_at,
    eventCount: row.event_count,
  };
}

const toResult = (row: Row): JobResult | null => (row.result === null ? null : parseJson(StoredResult, row.result, `the result of job ${row.id}`));

/** What a job row is created with (the envelope text is stored exactly as it was signed). */
export interface NewJobRow {
  envelope: JobEnvelope;
  signature: string;
  context: JobContext;
  createdBy: string;
  pickupDeadline: string | null;
}

/** A lease as the gateway hands it out: the envelope exactly as stored, so the runner judges it. */
export interface Lease {
  jobId: string;
  kind: JobKind;
  target: string;
  envelope: unknown;
  signature: string;
  leaseId: string;
  leaseExpiresAt: string;
}

export type LeaseCheck = { ok: true; job: JobRecord } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string };
export type EventsOutcome =
  | { ok: true; duplicate: boolean; job: JobRecord }
  | { ok: false; code: 'not-found' | 'lease-lost' | 'seq-gap'; reason: string };
export type FinishOutcome =
  | { ok: true; duplicate: boolean; job: JobRecord; result: JobResult }
  | { ok: false; code: 'not-found' | 'lease-lost'; reason: string };

export interface JobStoreFilter {
  requestId?: string;
  planId?: string;
  purpose?: string;
  statuses?: JobStatus[];
  limit?: number;
}

export interface JobStore {
  insert(job: NewJobRow): Promise<JobRecord>;
  get(jobId: string): Promise<JobView | null>;
  record(jobId: string): Promise<JobRecord | null>;
  list(filter: JobStoreFilter): Promise<JobRecord[]>;
  /** Leases the oldest queued job for one of the labels, or null; atomic across processes. */
  lease(runner: { id: string; labels: string[] }, leaseMs: number): Promise<Lease | null>;
  heartbeat(jobId: string, runnerId: string, leaseId: string, leaseMs: number): Promise<LeaseCheck>;
  /** Stores a batch once: a batch with a `seq` already stored is a duplicate (answered ok, not stored). */
  appendEvents(jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[]): Promise<EventsOutcome>;
  /** Stores the runner's result and the final status; the same lease reporting again is a duplicate. */
  finish(jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>): Promise<FinishOutcome>;
  /** queued → cancelled now; leased → cancel requested; returns the record, or null when absent. */
  requestCancel(jobId: string): Promise<{ job: JobRecord; moved: 'cancelled' | 'requested' | 'none' } | null>;
  /** Leased jobs past their lease → interrupted; queued jobs past their pickup deadline → expired. */
  sweep(): Promise<JobRecord[]>;
  /** The earliest lease expiry or pickup deadline still ahead, or null. */
  nextDeadline(): Promise<string | null>;
  /** The newest succeeded discover job of the request, with what it read. */
  latestObserved(requestId: string): Promise<ObservedSnapshot | null>;
}

export function createJobStore(db: Db, clock: Clock): JobStore {
  const SELECT = 'SELECT jobs.*, runners.name AS runner_name FROM jobs LEFT JOIN runners ON runners.id = jobs.runner_id';
  const byId = db.prepare(`${SELECT} WHERE jobs.id = ?`);
  const insert = db.prepare(`INSERT INTO jobs
    (id, kind, target, status, envelope, signature, purpose, request_id, plan_id, card, created_by, created_at, pickup_deadline)
    VALUES (@id, @kind, @target, 'queued', @envelope, @signature, @purpose, @requestId, @planId, @card, @createdBy, @createdAt, @pickupDeadline)`);
  const eventsOf = db.prepare('SELECT seq, idx, event, received_at FROM job_events WHERE job_id = ? ORDER BY seq, idx');
  const insertEvent = db.prepare('INSERT INTO job_events (job_id, seq, idx, event, received_at) VALUES (?, ?, ?, ?, ?)');
  const now = () => clock.now().toISOString();

  // A job's envelope never changes once stored (it is kept exactly as signed), and a job of
  // thousands of steps has an envelope of megabytes: parsing it again for every event batch and
  // heartbeat made a long job's progress quadratic. The last few parsed envelopes are kept,
  // each checked against the stored text before it is used.
  const envelopes = new Map<string, { text: string; envelope: JobEnvelope }>();
  const ENVELOPES_KEPT = 16;
  const readEnvelope: EnvelopeReader = (row) => {
    const kept = envelopes.get(row.id);
    if (kept && kept.text === row.envelope) return kept.envelope;
    const envelope = parseEnvelope(row);
    envelopes.delete(row.id);
    envelopes.set(row.id, { text: row.envelope, envelope });
    if (envelopes.size > ENVELOPES_KEPT) envelopes.delete(envelopes.keys().next().value!);
    return envelope;
  };
  const recordFrom = (row: Row): JobRecord => toRecord(row, readEnvelope);
  const later = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();

  const rowOf = (jobId: string): Row | null => {
    const raw = byId.get(jobId);
    return raw === undefined ? null : parseRow(raw);
  };
  const recordOf = (jobId: string): JobRecord => recordFrom(rowOf(jobId)!);

  /** The job if `runnerId` holds its current lease `leaseId` and it has not ended. */
  function holding(jobId: string, runnerId: string, leaseId: string): { ok: true; row: Row } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string } {
    const row = rowOf(jobId);
    if (!row) return { ok: false, code: 'not-found', reason: `there is no job ${jobId}` };
    if (row.runner_id !== runnerId || row.lease_id !== leaseId) return { ok: false, code: 'lease-lost', reason: `job ${jobId} is not leased to this runner under lease ${leaseId}` };
    if (row.status !== 'leased') return { ok: false, code: 'lease-lost', reason: `job ${jobId} is ${row.status}; its lease is over` };
    return { ok: true, row };
  }

  const leaseTx = db.transaction((runner: { id: string; labels: string[] }, leaseMs: number): Lease | null => {
    if (runner.labels.length === 0) return null;
    const at = now();
    const marks = runner.labels.map(() => '?').join(', ');
    const candidate = db.prepare(
      `SELECT id FROM jobs WHERE status = 'queued' AND target IN (${marks}) AND (pickup_deadline IS NULL OR pickup_deadline > ?)
       ORDER BY created_at, rowid LIMIT 1`,
    ).get(...runner.labels, at) as { id: string } | undefined;
    if (!candidate) return null;
    const leaseId = randomBytes(16).toString('hex');
    const expires = later(leaseMs);
    // Conditional: only a job still queued moves, whatever another process did since the SELECT.
    const moved = db.prepare(
      `UPDATE jobs SET status = 'leased', runner_id = ?, lease_id = ?, leased_at = ?, lease_expires_at = ? WHERE id = ? AND status = 'queued'`,
    ).run(runner.id, leaseId, at, expires, candidate.id).changes;
    if (moved !== 1) return null;
    const row = rowOf(candidate.id)!;
    return { jobId: row.id, kind: row.kind, target: row.target, envelope: JSON.parse(row.envelope), signature: row.signature, leaseId, leaseExpiresAt: expires };
  });

  const heartbeatTx = db.transaction((jobId: string, runnerId: string, leaseId: string, leaseMs: number): LeaseCheck => {
    const held = holding(jobId, runnerId, leaseId);
    if (!held.ok) return held;
    // A lease already past its expiry is lost even if the sweeper has not run yet.
    if (held.row.lease_expires_at !== null && held.row.lease_expires_at <= now()) {
      return { ok: false, code: 'lease-lost', reason: `the lease of job ${jobId} expired at ${held.row.lease_expires_at}` };
    }
    db.prepare('UPDATE jobs SET lease_expires_at = ? WHERE id = ?').run(later(leaseMs), jobId);
    return { ok: true, job: recordOf(jobId) };
  });

  const eventsTx = db.transaction((jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[]): EventsOutcome => {
    const row = rowOf(jobId);
    // A resend of a batch already stored is answered ok even after the job ended (its answer was lost).
    if (row && row.runner_id === runnerId && row.lease_id === leaseId && seq < row.next_seq) return { ok: true, duplicate: true, job: recordFrom(row) };
    const held = holding(jobId, runnerId, leaseId);
    if (!held.ok) return held;
    if (seq > held.row.next_seq) return { ok: false, code: 'seq-gap', reason: `expected event batch ${held.row.next_seq}, got ${seq}` };
    const at = now();
    events.forEach((event, i) => insertEvent.run(jobId, seq, i, JSON.stringify(event), at));
    db.prepare('UPDATE jobs SET next_seq = ?, event_count = event_count + ? WHERE id = ?').run(seq + 1, events.length, jobId);
    return { ok: true, duplicate: false, job: recordOf(jobId) };
  });

  const finishTx = db.transaction((jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>): FinishOutcome => {
    const row = rowOf(jobId);
    if (row && row.runner_id === runnerId && row.lease_id === leaseId && row.result !== null) {
      return { ok: true, duplicate: true, job: recordFrom(row), result: toResult(row)! };
    }
    const held = holding(jobId, runnerId, leaseId);
    if (!held.ok) return held;
    const at = now();
    const stored: JobResult = { ...result, reportedAt: at };
    db.prepare('UPDATE jobs SET status = ?, result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = \'leased\'')
      .run(result.status, JSON.stringify(stored), at, jobId);
    return { ok: true, duplicate: false, job: recordOf(jobId), result: stored };
  });

  const cancelTx = db.transaction((jobId: string): { job: JobRecord; moved: 'cancelled' | 'requested' | 'none' } | null => {
    const row = rowOf(jobId);
    if (!row) return null;
    if (row.status === 'queued') {
      db.prepare('UPDATE jobs SET status = \'cancelled\', finished_at = ?, cancel_requested = 1 WHERE id = ? AND status = \'queued\'').run(now(), jobId);
      return { job: recordOf(jobId), moved: 'cancelled' };
    }
    if (row.status === 'leased' && row.cancel_requested === 0) {
      db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE id = ?').run(jobId);
      return { job: recordOf(jobId), moved: 'requested' };
    }
    return { job: recordFrom(row), moved: 'none' };
  });

  const sweepTx = db.transaction((): JobRecord[] => {
    const at = now();
    const due = db.prepare(
      `SELECT id, status FROM jobs WHERE (status = 'leased' AND lease_expires_at <= ?) OR (status = 'queued' AND pickup_deadline <= ?)`,
    ).all(at, at) as { id: string; status: JobStatus }[];
    const changed: JobRecord[] = [];
    for (const { id, status } of due) {
      const to = status === 'leased' ? 'interrupted' : 'expired';
      const moved = db.prepare('UPDATE jobs SET status = ?, finished_at = ? WHERE id = ? AND status = ?').run(to, at, id, status).changes;
      if (moved === 1) changed.push(recordOf(id));
    }
    return changed;
  });

  const wrap = <A extends unknown[], R>(doing: string, fn: (...args: A) => R) => async (...args: A): Promise<R> => {
    try {
      return fn(...args);
    } catch (err) {
      throw asCodedError(err, 'store_failed', doing);
    }
  };

  return {
    insert: wrap('storing a job', (job: NewJobRow) => {
      insert.run({
        id: job.envelope.jobId,
        kind: job.envelope.kind,
        target: job.envelope.target.toLowerCase(),
        envelope: JSON.stringify(job.envelope),
        signature: job.signature,
        purpose: job.context.purpose,
        requestId: job.context.requestId,
        planId: job.context.planId,
        card: job.context.card === null ? null : JSON.stringify(job.context.card),
        createdBy: job.createdBy,
        createdAt: job.envelope.issuedAt,
        pickupDeadline: job.pickupDeadline,
      });
      return recordOf(job.envelope.jobId);
    }),

    async get(jobId) {
      const row = rowOf(jobId);
      if (!row) return null;
      const events: StoredJobEvent[] = eventsOf.all(jobId).map((raw) => {
        const e = raw as { seq: number; idx: number; event: string; received_at: string };
        return { seq: e.seq, index: e.idx, event: parseJson(JobEvent, e.event, `an event of job ${jobId}`), receivedAt: e.received_at };
      });
      return { job: recordFrom(row), events, result: toResult(row) };
    },

    async record(jobId) {
      const row = rowOf(jobId);
      return row ? recordFrom(row) : null;
    },

    async list(filter) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.requestId !== undefined) { where.push('jobs.request_id = ?'); args.push(filter.requestId); }
      if (filter.planId !== undefined) { where.push('jobs.plan_id = ?'); args.push(filter.planId); }
      if (filter.purpose !== undefined) { where.push('jobs.purpose = ?'); args.push(filter.purpose); }
      if (filter.statuses !== undefined) {
        if (filter.statuses.length === 0) return [];
        where.push(`jobs.status IN (${filter.statuses.map(() => '?').join(', ')})`);
        args.push(...filter.statuses);
      }
      args.push(filter.limit ?? 50);
      const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY jobs.created_at DESC, jobs.rowid DESC LIMIT ?`;
      return db.prepare(sql).all(...args).map((raw) => recordFrom(parseRow(raw)));
    },

    lease: wrap('leasing a job', (runner: { id: string; labels: string[] }, leaseMs: number) => leaseTx.immediate(runner, leaseMs)),
    heartbeat: wrap('renewing a lease', (jobId: string, runnerId: string, leaseId: string, leaseMs: number) => heartbeatTx.immediate(jobId, runnerId, leaseId, leaseMs)),
    appendEvents: wrap('storing job events', (jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[]) =>
      eventsTx.immediate(jobId, runnerId, leaseId, seq, events)),
    finish: wrap('storing a job result', (jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>) =>
      finishTx.immediate(jobId, runnerId, leaseId, result)),
    requestCancel: wrap('cancelling a job', (jobId: string) => cancelTx.immediate(jobId)),
    sweep: wrap('expiring leases', () => sweepTx.immediate()),

    async nextDeadline() {
      const row = db.prepare(
        `SELECT MIN(d) AS next FROM (
           SELECT lease_expires_at AS d FROM jobs WHERE status = 'leased' AND lease_expires_at IS NOT NULL
           UNION ALL SELECT pickup_deadline AS d FROM jobs WHERE status = 'queued' AND pickup_deadline IS NOT NULL)`,
      ).get() as { next: string | null };
      return row.next;
    },

    async latestObserved(requestId) {
      const raw = db.prepare(
        `${SELECT} WHERE jobs.request_id = ? AND jobs.status = 'succeeded' AND jobs.kind = 'discover'
         ORDER BY jobs.finished_at DESC, jobs.rowid DESC LIMIT 1`,
      ).get(requestId);
      if (raw === undefined) return null;
      const row = parseRow(raw);
      const result = toResult(row);
      if (!result?.observed) return null;
      const job = recordFrom(row);
      return {
        requestId,
        jobId: job.id,
        observed: result.observed,
        fingerprint: fingerprint(result.observed),
        discovery: job.envelope.discovery,
        observedAt: result.reportedAt,
        runnerId: job.runnerId,
        runnerName: job.runnerName,
      };
    },
  };
}
