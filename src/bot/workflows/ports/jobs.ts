/** Runners and jobs: the runner gateway as the workflows see it. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
import type { ObservedState, ReplicaStatus } from '../../../contracts/observed';
import type { Profile } from '../../../contracts/profiles';
import type { JobEnvelope, JobEvent, JobKind, JobResultStatus, PlanStep } from '../../../contracts/runner-api';
// Implemented by src/bot/runner-gateway/ on SQLite. The runner protocol (docs/architecture.md, Runner protocol) is the
// gateway's business; workflows only create jobs, read them, cancel them and hear of changes.

/** Where a job's progress card lives, so it can be updated in place (after a restart too). */
export interface JobCardRef {
  conversationId: string;
  activityId: string;
}

/** Who a job belongs to: kept with the job so a workflow finds its card and owner after a restart. */
export interface JobContext {
  /** The workflow that owns the job ('discovery', 'apply', 'rollback', …); listeners filter on it. */
  purpose: string;
  requestId: string | null;
  planId: string | null;
  /** The card showing the job, or null. */
  card: JobCardRef | null;
}

/**
 * queued → leased → succeeded | failed | aborted-drift | cancelled (the runner's result);
 * leased → interrupted (the lease expired: the runner went away); queued → expired (nobody
 * leased it before its pickup deadline); queued → cancelled (cancelled before any runner took it).
 */
export type JobStatus = 'queued' | 'leased' | 'succeeded' | 'failed' | 'aborted-drift' | 'cancelled' | 'interrupted' | 'expired';

export interface JobRecord {
  id: string;
  kind: JobKind;
  /** The runner label the job is for (lower case). */
  target: string;
  status: JobStatus;
  /** Exactly what was signed (the runner verifies the signature over its canonical JSON). */
  envelope: JobEnvelope;
  signature: string;
  context: JobContext;
  /** Who asked for it (an Entra object id, `teams:<id>`, or `cli`). */
  createdBy: string;
  createdAt: string;
  /** A queued job nobody leased by then becomes `expired`; null waits for ever. */
  pickupDeadline: string | null;
  runnerId: string | null;
  runnerName: string | null;
  leasedAt: string | null;
  leaseExpiresAt: string | null;
  /** Cancel was asked while leased; the runner hears it at its next heartbeat. */
  cancelRequested: boolean;
  finishedAt: string | null;
  /** How many events are stored: a cheap "did it change" for cards. */
  eventCount: number;
  /** The server's time limit for the job once leased (summed per op from its plan), or null. */
  timeLimitAt: string | null;
  /** When the first late event or result of an interrupted job arrived, or null. */
  lateAt: string | null;
}

/** One event as the runner sent it, with its place: batch `seq` and `index` in the batch. */
export interface StoredJobEvent {
  seq: number;
  index: number;
  event: JobEvent;
  receivedAt: string;
  /** Sent after the server had marked the job interrupted, by the runner that held its last lease. */
  late: boolean;
}

/** The runner's report (jobs that ended by lease expiry, pickup expiry or early cancel have none). */
export interface JobResult {
  status: JobResultStatus;
  /** Discovery: what was read. Apply/rollback: the state re-read before the first change. */
  observed: ObservedState | null;
  /** Apply/rollback: the state re-read after the last change. */
  after: ObservedState | null;
  replication: ReplicaStatus[] | null;
  error: { code: string; message: string } | null;
  reportedAt: string;
  /** Reported after the server had marked the job interrupted (the job stays interrupted). */
  late?: boolean;
}

export interface JobView {
  job: JobRecord;
  /** In the order the runner sent them. */
  events: StoredJobEvent[];
  result: JobResult | null;
}

/** What a workflow asks for; the queue adds the id, protocol version and time, and signs it. */
export interface NewJob {
  kind: JobKind;
  target: string;
  profile: Profile;
  /** What the runner reads (discovery, and the apply job's re-read before the drift check). */
  discovery: JobEnvelope['discovery'];
  /** Discovery: none (or read ops only). Apply/rollback: the plan's write steps. */
  steps?: PlanStep[];
  expectedFingerprint?: string;
  planHash?: string;
  approvals?: { approver: string; at: string }[];
  context: JobContext;
  createdBy: string;
  /** Seconds a runner has to lease it before it becomes `expired`; null or absent: no limit. */
  pickupTimeoutSeconds?: number | null;
}

/**
 * What happened to a job, told to every listener after it is stored. `job` is the record as it
 * is now; a listener that renders a card should re-read (JobQueue.get) when it runs, so a card
 * update that is late never shows an older state than the one before it.
 */
export type JobChange =
  | { type: 'created'; job: JobRecord }
  | { type: 'leased'; job: JobRecord }
  | { type: 'events'; job: JobRecord; events: JobEvent[] }
  | { type: 'cancel-requested'; job: JobRecord }
  /** A final status: the runner's result (`result` set), or interrupted / expired / cancelled while queued. */
  | { type: 'finished'; job: JobRecord; result: JobResult | null }
  /** The result of a job already interrupted, delivered later from the runner's journal: the job does not end again. */
  | { type: 'late-result'; job: JobRecord; result: JobResult };

export type JobCancelOutcome =
  | { ok: true; job: JobRecord }
  | { ok: false; code: 'not-found' | 'finished'; reason: string };

/** The newest successful discovery of a request: what the planner plans from. */
export interface ObservedSnapshot {
  requestId: string;
  jobId: string;
  observed: ObservedState;
  fingerprint: string;
  /** The scope it was read with (an apply job must re-read the same). */
  discovery: JobEnvelope['discovery'];
  observedAt: string;
  runnerId: string | null;
  runnerName: string | null;
}

/** Jobs for runners: signed, stored, leased by exactly one runner, watched until they end. */
export interface JobQueue {
  /**
   * Checks every step against the op catalog (a discovery job takes read ops only), signs the
   * envelope, stores the job, audits `job.created` and wakes a runner long-polling for its label.
   * Throws CodedError('bad_request') for a job no runner would accept.
   */
  create(job: NewJob): Promise<JobRecord>;
  get(jobId: string): Promise<JobView | null>;
  /**
   * The job as a card shows it, without every event: per step its last step-started and
   * step-finished event, and the first warnings and errors (CARD_LOG_EVENTS). A card is
   * rendered on every update, and a job's log lines and resends must not weigh on each one.
   */
  cardView(jobId: string): Promise<JobView | null>;
  /** Jobs matching every given filter, newest first (default limit 50). */
  list(filter?: { requestId?: string; planId?: string; purpose?: string; statuses?: JobStatus[]; limit?: number }): Promise<JobRecord[]>;
  /** Queued: cancelled at once. Leased: the runner is told at its next heartbeat and stops after the current step. */
  cancel(jobId: string, by: string): Promise<JobCancelOutcome>;
  latestObserved(requestId: string): Promise<ObservedSnapshot | null>;
  /**
   * Subscribes to every job's changes; returns the unsubscribe function. Listeners run after the
   * change is stored and never inside a runner's HTTP call; a listener's error is logged, not
   * passed on. In-process only (one bot instance); PostgreSQL scale-out will use LISTEN/NOTIFY.
   */
  onChange(listener: (change: JobChange) => void | Promise<void>): () => void;
}

/** An enrolled runner agent. */
export interface RunnerInfo {
  id: string;
  name: string;
  labels: string[];
  enrolledAt: string;
  /** The last authenticated call (enrollment counts). */
  lastSeenAt: string;
  revokedAt: string | null;
}

export type RunnerRevokeOutcome =
  | { ok: true; runner: RunnerInfo }
  | { ok: false; code: 'not-found' | 'already-revoked'; reason: string };

/** Enrollment tokens and enrolled runners (`runner token`, `runners`, `runner revoke`). */
export interface RunnerRegistry {
  /** A single-use enrollment token for these labels, valid for one hour; only its hash is stored. */
  createEnrollmentToken(input: { labels: string[]; createdBy: string }): Promise<{ token: string; labels: string[]; expiresAt: string }>;
  /** Every runner, most recently seen first. */
  list(): Promise<RunnerInfo[]>;
  get(runnerId: string): Promise<RunnerInfo | null>;
  /** From now on the runner's token gets 401. */
  revoke(runnerId: string, by: string): Promise<RunnerRevokeOutcome>;
  /** Whether a runner (not revoked) with this label has ever contacted the server. */
  seen(label: string): Promise<boolean>;
}
