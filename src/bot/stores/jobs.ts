/**
 * SQLite store of runner jobs and their events. Every state move is one conditional UPDATE inside
 * an IMMEDIATE transaction together with its audit rows, so two runners (or two bot processes on
 * one file) can never both lease a job, and a crash never leaves a change without its record.
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
import type { Db } from './db';

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

export function createJobStore(db: Db, clock: Clock, auditTx: AuditInTransaction, audit: JobAudit): JobStore {
  const SELECT = 'SELECT jobs.*, runners.name AS runner_name FROM jobs LEFT JOIN runners ON runners.id = jobs.runner_id';
  const byId = db.prepare(`${SELECT} WHERE jobs.id = ?`);
  const insert = db.prepare(`INSERT INTO jobs
    (id, kind, target, status, envelope, signature, purpose, request_id, plan_id, card, created_by, created_at, pickup_deadline)
    VALUES (@id, @kind, @target, 'queued', @envelope, @signature, @purpose, @requestId, @planId, @card, @createdBy, @createdAt, @pickupDeadline)`);
  const eventsOf = db.prepare('SELECT seq, idx, event, received_at, late FROM job_events WHERE job_id = ? ORDER BY seq, idx');
  // The rows a card needs, chosen inside SQLite so the rest is never read into the process.
  const cardEventsOf = db.prepare(`SELECT seq, idx, event, received_at, late FROM job_events WHERE job_id = @jobId AND rowid IN (
      SELECT MAX(rowid) FROM job_events WHERE job_id = @jobId AND json_extract(event, '$.type') IN ('step-started', 'step-finished')
        GROUP BY json_extract(event, '$.stepId'), json_extract(event, '$.type')
      UNION ALL
      SELECT rowid FROM (SELECT rowid FROM job_events WHERE job_id = @jobId AND json_extract(event, '$.type') = 'log' AND json_extract(event, '$.level') != 'info'
        ORDER BY seq, idx LIMIT @logs))
    ORDER BY seq, idx`);
  const insertEvent = db.prepare('INSERT INTO job_events (job_id, seq, idx, event, received_at, late) VALUES (?, ?, ?, ?, ?, ?)');
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

  /** Why a leased row's lease is over by the server's clock, or null. */
  function overdue(row: Row, at: string): InterruptReason | null {
    if (row.status !== 'leased') return null;
    if (row.lease_expires_at !== null && row.lease_expires_at <= at) return 'lease-expired';
    if (row.time_limit_at !== null && row.time_limit_at !== undefined && row.time_limit_at <= at) return 'time-limit';
    return null;
  }

  /** leased → interrupted with its audit row, inside the caller's transaction; the record when it moved. */
  function interrupt(jobId: string, why: InterruptReason, at: string): JobRecord | null {
    const moved = db.prepare('UPDATE jobs SET status = \'interrupted\', finished_at = ? WHERE id = ? AND status = \'leased\'').run(at, jobId).changes;
    if (moved !== 1) return null;
    const job = recordOf(jobId);
    auditTx(audit.interrupted(job, why));
    return job;
  }

  /**
   * Whether this call may write to the job: the current lease holder while the lease lasts
   * (`late` false), or the last lease holder of an interrupted job with the envelope's hash
   * (`late` true). A lease found over is ended here first, so nothing is ever stored on it.
   */
  function writer(jobId: string, runnerId: string, leaseId: string, hash: string | undefined):
    { ok: true; row: Row; late: boolean; interrupted: JobRecord | null } | { ok: false; code: 'not-found' | 'lease-lost'; reason: string; interrupted: JobRecord | null } {
    let row = rowOf(jobId);
    if (!row) return { ok: false, code: 'not-found', reason: `there is no job ${jobId}`, interrupted: null };
    if (row.runner_id !== runnerId || row.lease_id !== leaseId) return { ok: false, code: 'lease-lost', reason: `job ${jobId} is not leased to this runner under lease ${leaseId}`, interrupted: null };
    const at = now();
    const why = overdue(row, at);
    const interrupted = why ? interrupt(jobId, why, at) : null;
    if (interrupted) row = rowOf(jobId)!;
    if (row.status === 'leased') return { ok: true, row, late: false, interrupted };
    if (row.status === 'interrupted') {
      if (hash === undefined || hash !== envelopeHash(JSON.parse(row.envelope))) {
        return { ok: false, code: 'lease-lost', reason: `job ${jobId} was interrupted; its late record is taken only with the hash of the envelope it was leased with`, interrupted };
      }
      return { ok: true, row, late: true, interrupted };
    }
    return { ok: false, code: 'lease-lost', reason: `job ${jobId} is ${row.status}; its lease is over`, interrupted };
  }

  const leaseTx = db.transaction((runner: { id: string; labels: string[]; name?: string }, leaseMs: number): Lease | null => {
    if (runner.labels.length === 0) return null;
    const at = now();
    const marks = runner.labels.map(() => '?').join(', ');
    // Only queued jobs: an interrupted job is final and never leased again.
    const candidate = db.prepare(
      `SELECT id FROM jobs WHERE status = 'queued' AND target IN (${marks}) AND (pickup_deadline IS NULL OR pickup_deadline > ?)
       ORDER BY created_at, rowid LIMIT 1`,
    ).get(...runner.labels, at) as { id: string } | undefined;
    if (!candidate) return null;
    const leaseId = randomBytes(16).toString('hex');
    const expires = later(leaseMs);
    const envelope = readEnvelope(rowOf(candidate.id)!);
    const limit = later(jobTimeLimitMs(envelope));
    // Conditional: only a job still queued moves, whatever another process did since the SELECT.
    const moved = db.prepare(
      `UPDATE jobs SET status = 'leased', runner_id = ?, lease_id = ?, leased_at = ?, lease_expires_at = ?, time_limit_at = ? WHERE id = ? AND status = 'queued'`,
    ).run(runner.id, leaseId, at, expires, limit, candidate.id).changes;
    if (moved !== 1) return null;
    const row = rowOf(candidate.id)!;
    const lease: Lease = { jobId: row.id, kind: row.kind, target: row.target, envelope: JSON.parse(row.envelope), signature: row.signature, leaseId, leaseExpiresAt: expires };
    auditTx(audit.leased(lease, runner));
    return lease;
  });

  const heartbeatTx = db.transaction((jobId: string, runnerId: string, leaseId: string, leaseMs: number): LeaseCheck => {
    const held = holding(jobId, runnerId, leaseId);
    if (!held.ok) return held;
    // A lease already past its expiry (or the job past its time limit) is lost even if the sweeper has not run yet.
    const at = now();
    const why = overdue(held.row, at);
    if (why) {
      const interrupted = interrupt(jobId, why, at);
      return { ok: false, code: 'lease-lost', interrupted, reason: why === 'time-limit' ? `job ${jobId} ran past its time limit (${held.row.time_limit_at})` : `the lease of job ${jobId} expired at ${held.row.lease_expires_at}` };
    }
    db.prepare('UPDATE jobs SET lease_expires_at = ? WHERE id = ?').run(later(leaseMs), jobId);
    return { ok: true, job: recordOf(jobId) };
  });

  const eventsTx = db.transaction((jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[], hash: string | undefined): EventsOutcome => {
    const first = rowOf(jobId);
    // A resend of a batch already stored is answered ok even after the job ended (its answer was lost).
    if (first && first.runner_id === runnerId && first.lease_id === leaseId && seq < first.next_seq) return { ok: true, duplicate: true, late: first.status !== 'leased', job: recordFrom(first), interrupted: null };
    const w = writer(jobId, runnerId, leaseId, hash);
    if (!w.ok) return w;
    const { row, late } = w;
    if (seq > row.next_seq) return { ok: false, code: 'seq-gap', reason: `expected event batch ${row.next_seq}, got ${seq}`, interrupted: w.interrupted };
    const limit = jobEventLimit(readEnvelope(row));
    if (row.event_count + events.length > limit) {
      return { ok: false, code: 'too-many-events', reason: `job ${jobId} may store at most ${limit} events (${row.event_count} stored; this batch has ${events.length})`, interrupted: w.interrupted };
    }
    const at = now();
    events.forEach((event, i) => insertEvent.run(jobId, seq, i, JSON.stringify(event), at, late ? 1 : 0));
    db.prepare('UPDATE jobs SET next_seq = ?, event_count = event_count + ?, late_at = CASE WHEN ? = 1 THEN COALESCE(late_at, ?) ELSE late_at END WHERE id = ?')
      .run(seq + 1, events.length, late ? 1 : 0, at, jobId);
    const job = recordOf(jobId);
    for (const entry of audit.events(job, runnerId, events, late)) auditTx(entry);
    return { ok: true, duplicate: false, late, job, interrupted: w.interrupted };
  });

  const finishTx = db.transaction((jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>, hash: string | undefined): FinishOutcome => {
    const first = rowOf(jobId);
    if (first && first.runner_id === runnerId && first.lease_id === leaseId && first.result !== null) {
      return { ok: true, duplicate: true, late: first.late_at !== null && first.late_at !== undefined, job: recordFrom(first), result: toResult(first)!, interrupted: null };
    }
    const w = writer(jobId, runnerId, leaseId, hash);
    if (!w.ok) return w;
    const at = now();
    const stored: JobResult = { ...result, reportedAt: at, ...(w.late ? { late: true } : {}) };
    if (w.late) {
      // The job stays interrupted (its end was already told); the result is the record of what ran.
      db.prepare('UPDATE jobs SET result = ?, late_at = COALESCE(late_at, ?) WHERE id = ? AND status = \'interrupted\'').run(JSON.stringify(stored), at, jobId);
    } else {
      db.prepare('UPDATE jobs SET status = ?, result = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = \'leased\'')
        .run(result.status, JSON.stringify(stored), at, jobId);
    }
    const job = recordOf(jobId);
    auditTx(audit.result(job, runnerId, stored, w.late));
    return { ok: true, duplicate: false, late: w.late, job, result: stored, interrupted: w.interrupted };
  });

  const cancelTx = db.transaction((jobId: string, by: string): { job: JobRecord; moved: 'cancelled' | 'requested' | 'none' } | null => {
    const row = rowOf(jobId);
    if (!row) return null;
    if (row.status === 'queued') {
      db.prepare('UPDATE jobs SET status = \'cancelled\', finished_at = ?, cancel_requested = 1 WHERE id = ? AND status = \'queued\'').run(now(), jobId);
      const job = recordOf(jobId);
      auditTx(audit.cancelled(job, 'cancelled', by));
      return { job, moved: 'cancelled' };
    }
    if (row.status === 'leased' && row.cancel_requested === 0) {
      db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE id = ?').run(jobId);
      const job = recordOf(jobId);
      auditTx(audit.cancelled(job, 'requested', by));
      return { job, moved: 'requested' };
    }
    return { job: recordFrom(row), moved: 'none' };
  });

  const sweepTx = db.transaction((): JobRecord[] => {
    const at = now();
    const due = db.prepare(
      `SELECT id, status FROM jobs WHERE (status = 'leased' AND (lease_expires_at <= ? OR time_limit_at <= ?)) OR (status = 'queued' AND pickup_deadline <= ?)`,
    ).all(at, at, at) as { id: string; status: JobStatus }[];
    const changed: JobRecord[] = [];
    for (const { id, status } of due) {
      if (status === 'leased') {
        const why = overdue(rowOf(id)!, at);
        const job = why ? interrupt(id, why, at) : null;
        if (job) changed.push(job);
        continue;
      }
      const moved = db.prepare('UPDATE jobs SET status = \'expired\', finished_at = ? WHERE id = ? AND status = \'queued\'').run(at, id).changes;
      if (moved === 1) {
        const job = recordOf(id);
        auditTx(audit.expired(job));
        changed.push(job);
      }
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

  const insertTx = db.transaction((job: NewJobRow): JobRecord => {
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
      const record = recordOf(job.envelope.jobId);
      auditTx(audit.created(record));
      return record;
  });

  return {
    insert: wrap('storing a job', (job: NewJobRow) => insertTx.immediate(job)),

    async cardView(jobId) {
      const row = rowOf(jobId);
      if (!row) return null;
      const events: StoredJobEvent[] = cardEventsOf.all({ jobId, logs: CARD_LOG_EVENTS }).map((raw) => {
        const e = raw as { seq: number; idx: number; event: string; received_at: string; late: number };
        return { seq: e.seq, index: e.idx, event: parseJson(JobEvent, e.event, `an event of job ${jobId}`), receivedAt: e.received_at, late: e.late === 1 };
      });
      return { job: recordFrom(row), events, result: toResult(row) };
    },

    async get(jobId) {
      const row = rowOf(jobId);
      if (!row) return null;
      const events: StoredJobEvent[] = eventsOf.all(jobId).map((raw) => {
        const e = raw as { seq: number; idx: number; event: string; received_at: string; late: number };
        return { seq: e.seq, index: e.idx, event: parseJson(JobEvent, e.event, `an event of job ${jobId}`), receivedAt: e.received_at, late: e.late === 1 };
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

    lease: wrap('leasing a job', (runner: { id: string; labels: string[]; name?: string }, leaseMs: number) => leaseTx.immediate(runner, leaseMs)),
    heartbeat: wrap('renewing a lease', (jobId: string, runnerId: string, leaseId: string, leaseMs: number) => heartbeatTx.immediate(jobId, runnerId, leaseId, leaseMs)),
    appendEvents: wrap('storing job events', (jobId: string, runnerId: string, leaseId: string, seq: number, events: JobEvent[], hash?: string) =>
      eventsTx.immediate(jobId, runnerId, leaseId, seq, events, hash)),
    finish: wrap('storing a job result', (jobId: string, runnerId: string, leaseId: string, result: Omit<JobResult, 'reportedAt'>, hash?: string) =>
      finishTx.immediate(jobId, runnerId, leaseId, result, hash)),
    requestCancel: wrap('cancelling a job', (jobId: string, by: string) => cancelTx.immediate(jobId, by)),
    sweep: wrap('expiring leases', () => sweepTx.immediate()),

    async nextDeadline() {
      const row = db.prepare(
        `SELECT MIN(d) AS next FROM (
           SELECT lease_expires_at AS d FROM jobs WHERE status = 'leased' AND lease_expires_at IS NOT NULL
           UNION ALL SELECT time_limit_at AS d FROM jobs WHERE status = 'leased' AND time_limit_at IS NOT NULL
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
