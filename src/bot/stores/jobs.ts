/**
 * The store of runner jobs and their events. Every state move is one conditional UPDATE inside a
 * transaction together with its audit rows, so two runners (or two bot processes on one SQLite
 * file, or two instances on one PostgreSQL) can never both lease a job, and a crash never leaves a
 * change without its record. On PostgreSQL a move first locks the job's row (FOR UPDATE), and a
 * lease takes the oldest queued row no other transaction holds (FOR UPDATE SKIP LOCKED).
 *
 * A job the server marked interrupted (its lease ran out: the runner or the network went away)
 * is never leased again, but it still takes the late record of what happened: the events and the
 * result of the runner that held its last lease, under that lease id and with the hash of the
 * envelope it was signed with. They are stored marked late. Anyone else is refused.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fingerprint, ObservedState, ReplicaStatus } from '../../contracts/observed';
import { envelopeHash, JobEnvelope, JobEvent, JobKind, JobResultStatus } from '../../contracts/runner-api';
import { jobEventLimit, jobTimeLimitMs } from '../../core/job-limits';
import type { Clock } from '../../shared/clock';
import { asCodedError, CodedError } from '../../shared/errors';
import type {
  AuditEntry, JobContext, JobRecord, JobResult, JobStatus, JobView, ObservedSnapshot, StoredJobEvent,
} from '../workflows/ports';
import type { AuditInTransaction } from './audit-log';
import type { Sql, SqlQueries, SqlTx } from './sql';

export const JOB_STATUSES = ['queued', 'leased', 'succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired'] as const;
const JobStatusSchema = z.enum(JOB_STATUSES);
/** The warnings and errors a card view carries, the first ones (a card shows the first five). */
export const CARD_LOG_EVENTS = 20;

export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired']);

const CardRef = z.object({ conversationId: z.string(), activityId: z.string() });
const StoredResult = z.object({
  status: JobResultStatus,
  observed: ObservedState.nullable(),
  after: ObservedState.nullable(),
  replication: z.array(ReplicaStatus).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  reportedAt: z.string(),
  late: z.boolean().optional(),
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
  time_limit_at: z.string().nullable().optional(),
  late_at: z.string().nullable().optional(),
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
    timeLimitAt: row.time_limit_at ?? null,
    lateAt: row.late_at ?? null,
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

export type LeaseCheck = { ok: true; job: JobRecord } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string; interrupted?: JobRecord | null };
export type EventsOutcome =
  | { ok: true; duplicate: boolean; late: boolean; job: JobRecord; interrupted: JobRecord | null }
  | { ok: false; code: 'not-found' | 'lease-lost' | 'seq-gap' | 'too-many-events'; reason: string; interrupted?: JobRecord | null };
export type FinishOutcome =
  | { ok: true; duplicate: boolean; late: boolean; job: JobRecord; result: JobResult; interrupted: JobRecord | null }
  | { ok: false; code: 'not-found' | 'lease-lost'; reason: string; interrupted?: JobRecord | null };

/** Why a leased job was interrupted by the server. */
export type InterruptReason = 'lease-expired' | 'time-limit';

/** The audit rows a store call writes in its own transaction, built by the caller. */
export interface JobAudit {
  created(job: JobRecord): AuditEntry;
  leased(lease: Lease, runner: { id: string; name?: string }): AuditEntry;
  interrupted(job: JobRecord, why: InterruptReason): AuditEntry;
  expired(job: JobRecord): AuditEntry;
  events(job: JobRecord, runnerId: string, events: JobEvent[], late: boolean): AuditEntry[];
  result(job: JobRecord, runnerId: string, result: JobResult, late: boolean): AuditEntry;
  cancelled(job: JobRecord, moved: 'cancelled' | 'requested', by: string): AuditEntry;
}

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
  /** See JobQueue.cardView. */
  cardView(jobId: string): Promise<JobView | null>;
  record(jobId: string): Promise<JobRecord | null>;
  list(filter: JobStoreFilter): Promise<JobRecord[]>;
  /** Leases the oldest queued job for one of the labels, or null; atomic across processes. */
  lease(runner: { id: string; labels: string[]; name?: string }, leaseMs: number): Promise<Lease | null>;
  heartbeat(jobId: string, runnerId: string, leaseId: string, leaseMs: number): Promise<LeaseCheck>;
  /**
   * Stores a batch once: a batch with a `seq` already stored is a duplicate (answered ok, not
   * stored). A batch after the lease ended is refused, unless it is the late record of the
   * interrupted job's last lease holder (`envelopeHash` must match).
   */
  appendEvents(jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[], envelopeHash?: string): Promise<EventsOutcome>;
  /** Stores the runner's result and the final status (late: the result only); the same lease reporting again is a duplicate. */
  finish(jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>, envelopeHash?: string): Promise<FinishOutcome>;
  /** queued → cancelled now; leased → cancel requested; returns the record, or null when absent. */
  requestCancel(jobId: string, by: string): Promise<{ job: JobRecord; moved: 'cancelled' | 'requested' | 'none' } | null>;
  /** Leased jobs past their lease or time limit → interrupted; queued jobs past their pickup deadline → expired. */
  sweep(): Promise<JobRecord[]>;
  /** The earliest lease expiry or pickup deadline still ahead, or null. */
  nextDeadline(): Promise<string | null>;
  /** The newest succeeded discover job of the request, with what it read. */
  latestObserved(requestId: string): Promise<ObservedSnapshot | null>;
}

export function createJobStore(sql: Sql, clock: Clock, auditTx: AuditInTransaction, audit: JobAudit): JobStore {
  const pg = sql.engine === 'postgres';
  const SELECT = 'SELECT jobs.*, runners.name AS runner_name FROM jobs LEFT JOIN runners ON runners.id = jobs.runner_id';
  const BY_ID = `${SELECT} WHERE jobs.id = ?`;
  // The job's row locked to the end of the transaction (PostgreSQL; SQLite's write lock covers it).
  const BY_ID_LOCKED = pg ? `${BY_ID} FOR UPDATE OF jobs` : BY_ID;
  const INSERT = `INSERT INTO jobs
    (id, kind, target, status, envelope, signature, purpose, request_id, plan_id, card, created_by, created_at, pickup_deadline)
    VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const EVENTS_OF = 'SELECT seq, idx, event, received_at, late FROM job_events WHERE job_id = ? ORDER BY seq, idx';
  // The rows a card needs, chosen inside the database so the rest is never read into the process.
  const field = (name: string) => (pg ? `(event::jsonb->>'${name}')` : `json_extract(event, '$.${name}')`);
  const CARD_EVENTS_OF = `SELECT seq, idx, event, received_at, late FROM job_events WHERE job_id = ? AND rowid IN (
      SELECT MAX(rowid) FROM job_events WHERE job_id = ? AND ${field('type')} IN ('step-started', 'step-finished')
        GROUP BY ${field('stepId')}, ${field('type')}
      UNION ALL
      SELECT rowid FROM (SELECT rowid FROM job_events WHERE job_id = ? AND ${field('type')} = 'log' AND ${field('level')} != 'info'
        ORDER BY seq, idx LIMIT ?) AS logs)
    ORDER BY seq, idx`;
  const INSERT_EVENT = 'INSERT INTO job_events (job_id, seq, idx, event, received_at, late) VALUES (?, ?, ?, ?, ?, ?)';
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

  const rowOf = async (q: SqlQueries, jobId: string, text = BY_ID): Promise<Row | null> => {
    const raw = await q.get(text, [jobId]);
    return raw === undefined ? null : parseRow(raw);
  };
  const recordOf = async (q: SqlQueries, jobId: string): Promise<JobRecord> => recordFrom((await rowOf(q, jobId))!);
  const toEvents = (jobId: string, rows: unknown[]): StoredJobEvent[] => rows.map((raw) => {
    const e = raw as { seq: number; idx: number; event: string; received_at: string; late: number };
    return { seq: e.seq, index: e.idx, event: parseJson(JobEvent, e.event, `an event of job ${jobId}`), receivedAt: e.received_at, late: e.late === 1 };
  });

  /** The job if `runnerId` holds its current lease `leaseId` and it has not ended. */
  function holding(row: Row | null, jobId: string, runnerId: string, leaseId: string): { ok: true; row: Row } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string } {
    if (!row) return { ok: false, code: 'not-found', reason: `there is no job ${jobId}` };
    if (row.runner_id !== runnerId || row.lease_id !== leaseId) return { ok: false, code: 'lease-lost', reason: `job ${jobId} is not leased to this runner under lease ${leaseId}` };
    if (row.status !== 'leased') return { ok: false, code: 'lease-lost', reason: `job ${jobId} is ${row.status}; its lease is over` };
    return { ok: true, row };
  }

  /** Why a leased row's lease is over by the server's clock, or null. */
  function overdue(row: Row, at: string): InterruptReason | null {
    if (row.status !== 'leased') return null;
    if (row.lease_expires_at !== null && row.lease_expires_at <= at) return 'lease-expired';
    if (row.time_limit_at !== null && row.time_limit_at !== undefined && row.time_limit_at <= at) return 'time-limit';
    return null;
  }

  /** leased → interrupted with its audit row, inside the caller's transaction (which holds the row); the record when it moved. */
  async function interrupt(tx: SqlTx, jobId: string, why: InterruptReason, at: string): Promise<JobRecord | null> {
    const moved = (await tx.run('UPDATE jobs SET status = \'interrupted\', finished_at = ? WHERE id = ? AND status = \'leased\'', [at, jobId])).changes;
    if (moved !== 1) return null;
    const job = await recordOf(tx, jobId);
    await auditTx(tx, audit.interrupted(job, why));
    return job;
  }

  /**
   * Whether this call may write to the job: the current lease holder while the lease lasts
   * (`late` false), or the last lease holder of an interrupted job with the envelope's hash
   * (`late` true). A lease found over is ended here first, so nothing is ever stored on it.
   * `locked` is the job's row, read under its lock.
   */
  async function writer(tx: SqlTx, locked: Row | null, jobId: string, runnerId: string, leaseId: string, hash: string | undefined):
    Promise<{ ok: true; row: Row; late: boolean; interrupted: JobRecord | null } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string; interrupted: JobRecord | null }> {
    let row = locked;
    if (!row) return { ok: false, code: 'not-found', reason: `there is no job ${jobId}`, interrupted: null };
    if (row.runner_id !== runnerId || row.lease_id !== leaseId) return { ok: false, code: 'lease-lost', reason: `job ${jobId} is not leased to this runner under lease ${leaseId}`, interrupted: null };
    const at = now();
    const why = overdue(row, at);
    const interrupted = why ? await interrupt(tx, jobId, why, at) : null;
    if (interrupted) row = (await rowOf(tx, jobId))!;
    if (row.status === 'leased') return { ok: true, row, late: false, interrupted };
    if (row.status === 'interrupted') {
      if (hash === undefined || hash !== envelopeHash(JSON.parse(row.envelope))) {
        return { ok: false, code: 'lease-lost', reason: `job ${jobId} was interrupted; its late record is taken only with the hash of the envelope it was leased with`, interrupted };
      }
      return { ok: true, row, late: true, interrupted };
    }
    return { ok: false, code: 'lease-lost', reason: `job ${jobId} is ${row.status}; its lease is over`, interrupted };
  }

  const leaseTx = (runner: { id: string; labels: string[]; name?: string }, leaseMs: number) => sql.transaction(async (tx): Promise<Lease | null> => {
    if (runner.labels.length === 0) return null;
    const at = now();
    const marks = runner.labels.map(() => '?').join(', ');
    // Only queued jobs: an interrupted job is final and never leased again. On PostgreSQL a row
    // another instance is leasing right now is skipped, not waited for: it takes the next one.
    const candidate = await tx.get<{ id: string }>(
      `SELECT id FROM jobs WHERE status = 'queued' AND target IN (${marks}) AND (pickup_deadline IS NULL OR pickup_deadline > ?)
       ORDER BY created_at, rowid LIMIT 1${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      [...runner.labels, at],
    );
    if (!candidate) return null;
    const leaseId = randomBytes(16).toString('hex');
    const expires = later(leaseMs);
    const envelope = readEnvelope((await rowOf(tx, candidate.id))!);
    const limit = later(jobTimeLimitMs(envelope));
    // Conditional: only a job still queued moves, whatever another process did since the SELECT.
    const moved = (await tx.run(
      `UPDATE jobs SET status = 'leased', runner_id = ?, lease_id = ?, leased_at = ?, lease_expires_at = ?, time_limit_at = ? WHERE id = ? AND status = 'queued'`,
      [runner.id, leaseId, at, expires, limit, candidate.id],
    )).changes;
    if (moved !== 1) return null;
    const row = (await rowOf(tx, candidate.id))!;
    const lease: Lease = { jobId: row.id, kind: row.kind, target: row.target, envelope: JSON.parse(row.envelope), signature: row.signature, leaseId, leaseExpiresAt: expires };
    await auditTx(tx, audit.leased(lease, runner));
    return lease;
  });

  const heartbeatTx = (jobId: string, runnerId: string, leaseId: string, leaseMs: number) => sql.transaction(async (tx): Promise<LeaseCheck> => {
    const held = holding(await rowOf(tx, jobId, BY_ID_LOCKED), jobId, runnerId, leaseId);
    if (!held.ok) return held;
    // A lease already past its expiry (or the job past its time limit) is lost even if the sweeper has not run yet.
    const at = now();
    const why = overdue(held.row, at);
    if (why) {
      const interrupted = await interrupt(tx, jobId, why, at);
      return { ok: false, code: 'lease-lost', interrupted, reason: why === 'time-limit' ? `job ${jobId} ran past its time limit (${held.row.time_limit_at})` : `the lease of job ${jobId} expired at ${held.row.lease_expires_at}` };
    }
    await tx.run('UPDATE jobs SET lease_expires_at = ? WHERE id = ?', [later(leaseMs), jobId]);
    return { ok: true, job: await recordOf(tx, jobId) };
  });

  const eventsTx = (jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[], hash: string | undefined) => sql.transaction(async (tx): Promise<EventsOutcome> => {
    const first = await rowOf(tx, jobId, BY_ID_LOCKED);
    // A resend of a batch already stored is answered ok even after the job ended (its answer was lost).
    if (first && first.runner_id === runnerId && first.lease_id === leaseId && seq < first.next_seq) return { ok: true, duplicate: true, late: first.status !== 'leased', job: recordFrom(first), interrupted: null };
    const w = await writer(tx, first, jobId, runnerId, leaseId, hash);
    if (!w.ok) return w;
    const { row, late } = w;
    if (seq > row.next_seq) return { ok: false, code: 'seq-gap', reason: `expected event batch ${row.next_seq}, got ${seq}`, interrupted: w.interrupted };
    const limit = jobEventLimit(readEnvelope(row));
    if (row.event_count + events.length > limit) {
      return { ok: false, code: 'too-many-events', reason: `job ${jobId} may store at most ${limit} events (${row.event_count} stored; this batch has ${events.length})`, interrupted: w.interrupted };
    }
    const at = now();
    for (const [i, event] of events.entries()) await tx.run(INSERT_EVENT, [jobId, seq, i, JSON.stringify(event), at, late ? 1 : 0]);
    await tx.run('UPDATE jobs SET next_seq = ?, event_count = event_count + ?, late_at = CASE WHEN ? = 1 THEN COALESCE(late_at, ?) ELSE late_at END WHERE id = ?',
      [seq + 1, events.length, late ? 1 : 0, at, jobId]);
    const job = await recordOf(tx, jobId);
    for (const entry of audit.events(job, runnerId, events, late)) await auditTx(tx, entry);
    return { ok: true, duplicate: false, late, job, interrupted: w.interrupted };
  });

  const finishTx = (jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>, hash: string | undefined) => sql.transaction(async (tx): Promise<FinishOutcome> => {
    const first = await rowOf(tx, jobId, BY_ID_LOCKED);
    if (first && first.runner_id === runnerId && first.lease_id === leaseId && first.result !== null) {
      return { ok: true, duplicate: true, late: first.late_at !== null && first.late_at !== undefined, job: recordFrom(first), result: toResult(first)!, interrupted: null };
    }
    const w = await writer(tx, first, jobId, runnerId, leaseId, hash);
    if (!w.ok) return w;
    const at = now();
    const stored: JobResult = { ...result, reportedAt: at, ...(w.late ? { late: true } : {}) };
    if (w.late) {
      // The job stays interrupted (its end was already told); the result is the record of what ran.
      await tx.run('UPDATE jobs SET result = ?, late_at = COALESCE(late_at, ?) WHERE id = ? AND status = \'interrupted\'', [JSON.stringify(stored), at, jobId]);
    } else {
      await tx.run('UPDATE jobs SET status = ?, result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = \'leased\'',
        [result.status, JSON.stringify(stored), at, jobId]);
    }
    const job = await recordOf(tx, jobId);
    await auditTx(tx, audit.result(job, runnerId, stored, w.late));
    return { ok: true, duplicate: false, late: w.late, job, result: stored, interrupted: w.interrupted };
  });

  const cancelTx = (jobId: string, by: string) => sql.transaction(async (tx): Promise<{ job: JobRecord; moved: 'cancelled' | 'requested' | 'none' } | null> => {
    const row = await rowOf(tx, jobId, BY_ID_LOCKED);
    if (!row) return null;
    if (row.status === 'queued') {
      await tx.run('UPDATE jobs SET status = \'cancelled\', finished_at = ?, cancel_requested = 1 WHERE id = ? AND status = \'queued\'', [now(), jobId]);
      const job = await recordOf(tx, jobId);
      await auditTx(tx, audit.cancelled(job, 'cancelled', by));
      return { job, moved: 'cancelled' };
    }
    if (row.status === 'leased' && row.cancel_requested === 0) {
      await tx.run('UPDATE jobs SET cancel_requested = 1 WHERE id = ?', [jobId]);
      const job = await recordOf(tx, jobId);
      await auditTx(tx, audit.cancelled(job, 'requested', by));
      return { job, moved: 'requested' };
    }
    return { job: recordFrom(row), moved: 'none' };
  });

  // Any instance may sweep. The 'sweep' lock makes one sweep at a time across instances, and on
  // PostgreSQL the due rows are locked as they are read (skipping a row a runner is writing to
  // right now: that writer ends an overdue lease itself), so each job moves once.
  const sweepTx = () => sql.transaction(async (tx): Promise<JobRecord[]> => {
    await tx.lock('sweep');
    const at = now();
    const due = await tx.all<{ id: string; status: JobStatus }>(
      `SELECT id, status FROM jobs WHERE (status = 'leased' AND (lease_expires_at <= ? OR time_limit_at <= ?)) OR (status = 'queued' AND pickup_deadline <= ?)${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      [at, at, at],
    );
    const changed: JobRecord[] = [];
    for (const { id, status } of due) {
      if (status === 'leased') {
        const why = overdue((await rowOf(tx, id))!, at);
        const job = why ? await interrupt(tx, id, why, at) : null;
        if (job) changed.push(job);
        continue;
      }
      const moved = (await tx.run('UPDATE jobs SET status = \'expired\', finished_at = ? WHERE id = ? AND status = \'queued\'', [at, id])).changes;
      if (moved === 1) {
        const job = await recordOf(tx, id);
        await auditTx(tx, audit.expired(job));
        changed.push(job);
      }
    }
    return changed;
  });

  const wrap = <A extends unknown[], R>(doing: string, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      throw asCodedError(err, 'store_failed', doing);
    }
  };

  const insertTx = (job: NewJobRow) => sql.transaction(async (tx): Promise<JobRecord> => {
    await tx.run(INSERT, [
      job.envelope.jobId,
      job.envelope.kind,
      job.envelope.target.toLowerCase(),
      JSON.stringify(job.envelope),
      job.signature,
      job.context.purpose,
      job.context.requestId,
      job.context.planId,
      job.context.card === null ? null : JSON.stringify(job.context.card),
      job.createdBy,
      job.envelope.issuedAt,
      job.pickupDeadline,
    ]);
    const record = await recordOf(tx, job.envelope.jobId);
    await auditTx(tx, audit.created(record));
    return record;
  });

  return {
    insert: wrap('storing a job', insertTx),

    async cardView(jobId) {
      const row = await rowOf(sql, jobId);
      if (!row) return null;
      const events = toEvents(jobId, await sql.all(CARD_EVENTS_OF, [jobId, jobId, jobId, CARD_LOG_EVENTS]));
      return { job: recordFrom(row), events, result: toResult(row) };
    },

    async get(jobId) {
      const row = await rowOf(sql, jobId);
      if (!row) return null;
      const events = toEvents(jobId, await sql.all(EVENTS_OF, [jobId]));
      return { job: recordFrom(row), events, result: toResult(row) };
    },

    async record(jobId) {
      const row = await rowOf(sql, jobId);
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
      const text = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY jobs.created_at DESC, jobs.rowid DESC LIMIT ?`;
      return (await sql.all(text, args)).map((raw) => recordFrom(parseRow(raw)));
    },

    lease: wrap('leasing a job', leaseTx),
    heartbeat: wrap('renewing a lease', heartbeatTx),
    appendEvents: wrap('storing job events', (jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[], hash?: string) =>
      eventsTx(jobId, runnerId, leaseId, seq, events, hash)),
    finish: wrap('storing a job result', (jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>, hash?: string) =>
      finishTx(jobId, runnerId, leaseId, result, hash)),
    requestCancel: wrap('cancelling a job', cancelTx),
    sweep: wrap('expiring leases', sweepTx),

    async nextDeadline() {
      const row = await sql.get<{ next: string | null }>(
        `SELECT MIN(d) AS next FROM (
           SELECT lease_expires_at AS d FROM jobs WHERE status = 'leased' AND lease_expires_at IS NOT NULL
           UNION ALL SELECT time_limit_at AS d FROM jobs WHERE status = 'leased' AND time_limit_at IS NOT NULL
           UNION ALL SELECT pickup_deadline AS d FROM jobs WHERE status = 'queued' AND pickup_deadline IS NOT NULL) AS deadlines`,
      );
      return row?.next ?? null;
    },

    async latestObserved(requestId) {
      const raw = await sql.get(
        `${SELECT} WHERE jobs.request_id = ? AND jobs.status = 'succeeded' AND jobs.kind = 'discover'
         ORDER BY jobs.finished_at DESC, jobs.rowid DESC LIMIT 1`,
        [requestId],
      );
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
