/**
 * The ports the workflows call (STYLE habit 9: interfaces belong to their consumer and stay small).
 * All async, so the SQLite implementation can be joined by PostgreSQL for scale-out.
 * Each area adds its own ports below its heading.
 */
import type { Vote } from '../../core/approval-policy';
import type { DiscoveryScope } from '../../core/discovery-scope';
import type { IntakeData, IntakePosition } from '../../core/intake';
import type { PlanKind, PlanStatus } from '../../core/plan-status';
import type { Plan } from '../../core/planner';
import type { ProvisioningRequest } from '../../core/request';
import type { RequestStatus } from '../../core/request-record';
import type { JobEnvelope, JobEvent, JobKind, JobResultStatus, PlanStep } from '../../contracts/runner-api';
import type { ObservedState, ReplicaStatus } from '../../contracts/observed';
import type { Profile } from '../../contracts/profiles';
import type { Card } from '../turn';

export type { Clock } from '../../shared/clock';

// ── chat ────────────────────────────────────────────────────────────────────────────────────
/** Proactive messages into a conversation the bot has seen (implemented in src/bot/teams/). */
export interface ChatNotifier {
  /** Sends a card into the conversation; returns the new activity id. */
  send(conversationId: string, card: Card): Promise<string>;
  /** Replaces a card the bot sent earlier. */
  update(conversationId: string, activityId: string, card: Card): Promise<void>;
}

/**
 * The members of a conversation the bot is in (implemented in src/bot/teams/), read so the bot
 * knows approvers' Teams user ids for `refresh.userIds` before they ever write to it.
 */
export interface ConversationRoster {
  /**
   * Reads the conversation's members and stores each one's Entra object id → Teams user id
   * (UserIdStore); resolves with how many were stored. Never rejects: a failure is logged and
   * resolves with 0 (the roster only improves the card's refresh; nothing depends on it).
   */
  learn(conversationId: string): Promise<number>;
}

// ── audit ───────────────────────────────────────────────────────────────────────────────────
/** One audit event to append. `subjectId` is a req_/plan_/job_/run_ id when there is one. */
export interface AuditEntry {
  action: string;
  actor: string;
  subjectId: string | null;
  detail: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** The append-only, hash-chained audit log. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Records in order, optionally only since a time and/or about one subject id. */
  list(filter?: { since?: string; subjectId?: string }): Promise<AuditRecord[]>;
  /**
   * Checks the chain (and, given a checkpoint, that its row still has the checkpoint's hash);
   * on a break, names the first broken row. `tip` is null for an empty chain.
   */
  verify(options?: { checkpoint?: { seq: number; hash: string } }): Promise<{ ok: true; count: number; tip: { seq: number; hash: string } | null } | { ok: false; seq: number; reason: string }>;
  /** The chain's last row (sequence number and hash), as a checkpoint to post; null when empty. */
  tip(): Promise<{ seq: number; hash: string } | null>;
}

// ── people and conversations ────────────────────────────────────────────────────────────────
/** A Teams user as learned from activities: Entra object id ↔ Teams user id (`29:…`). */
export interface KnownUser {
  aadObjectId: string;
  teamsUserId: string;
  name: string;
}

/** Entra object id → Teams user id, learned from every activity (for `refresh.userIds`). */
export interface UserIdStore {
  remember(user: KnownUser): Promise<void>;
  /** Teams user ids of the given Entra object ids that have been seen; unknown ones are left out. */
  teamsUserIds(aadObjectIds: string[]): Promise<string[]>;
  get(aadObjectId: string): Promise<KnownUser | null>;
}

/** The conversation references the bot needs to message a conversation proactively. */
export interface ConversationRefStore {
  /** `reference` is the channel's opaque conversation reference (JSON-safe). */
  save(conversationId: string, reference: Record<string, unknown>): Promise<void>;
  get(conversationId: string): Promise<Record<string, unknown> | null>;
}

/** Server-side secrets generated at first start (e.g. the job signing key); never config. */
export interface ServerKeyStore {
  /** The stored value of `name`, creating it with `make()` the first time (race-safe). */
  getOrCreate(name: string, make: () => string): Promise<string>;
}

// ── intake drafts and provisioning requests (issue 2) ───────────────────────────────────────
/** An intake in progress. Its id is the req_… id the request record gets once it is complete. */
export interface IntakeDraft {
  id: string;
  /** Entra object id of the admin who started it (`teams:<id>` when Teams gave none). */
  ownerId: string;
  ownerName: string;
  targetLabel: string;
  /** The card it stands at (what `resume` shows). */
  position: IntakePosition;
  data: IntakeData;
  /** open: being filled; closed: finished (the record holds it); discarded. */
  state: 'open' | 'closed' | 'discarded';
  /** Bumped by every update (optimistic concurrency between two clicks). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type DraftUpdate =
  | { ok: true; draft: IntakeDraft }
  | { ok: false; reason: 'stale' }
  /** The owner already has another open draft for this target label. */
  | { ok: false; reason: 'target-taken'; openId: string };

/** Drafts of the intake: at most one open draft per owner per target label (case-insensitive). */
export interface DraftStore {
  /** Creates an open draft (version 1), or names the owner's open draft for the same target. */
  create(draft: Omit<IntakeDraft, 'version' | 'state'>): Promise<{ ok: true; draft: IntakeDraft } | { ok: false; openId: string }>;
  get(id: string): Promise<IntakeDraft | null>;
  /** The owner's open drafts, most recently changed first. */
  listOpen(ownerId: string): Promise<IntakeDraft[]>;
  /** Saves `draft` if nobody saved it since `draft.version` was read. */
  update(draft: IntakeDraft): Promise<DraftUpdate>;
}

/** The provisioning request record (DESIGN §1.2). */
export interface RequestRecord {
  id: string;
  ownerId: string;
  ownerName: string;
  request: ProvisioningRequest;
  status: RequestStatus;
  /** YYYY-MM-DD dates the admin entered. */
  submittedOn: string | null;
  activeOn: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Saved provisioning requests. */
export interface RequestStore {
  /** Inserts or replaces the record with this id. */
  save(record: RequestRecord): Promise<void>;
  get(id: string): Promise<RequestRecord | null>;
  /** Most recently changed first. */
  list(options?: { limit?: number }): Promise<RequestRecord[]>;
}

// ── plans and votes (issue 4) ───────────────────────────────────────────────────────────────
/** Where a card message lives, so it can be updated in place later (after a restart too). */
export interface CardRef {
  conversationId: string;
  activityId: string;
}

/** The message that holds each intake's live card. */
export interface IntakeCardStore {
  /** Records where the draft's card now is; resolves to where it was before (null: nowhere known). */
  moveTo(draftId: string, card: CardRef, at: string): Promise<CardRef | null>;
}

/** A plan put up for approval: what was planned, from what, by whom, and where it stands. */
export interface PlanRecord {
  id: string;
  kind: PlanKind;
  requestId: string;
  /** Bumped by every re-plan while pending; votes bind to `plan.planHash`, so a re-plan voids them. */
  revision: number;
  targetLabel: string;
  /** The request as it was when planned (a later edit of the request does not change the plan). */
  request: ProvisioningRequest;
  plan: Plan;
  /** What discovery read and the apply job re-reads (carried in the job envelope). */
  discovery: DiscoveryScope;
  /** Entra object id (lower case) or `teams:<id>` of the admin who asked for approval. */
  requesterId: string;
  requesterName: string;
  /** The conversation the requester asked in (told there when the plan is decided). */
  requestedIn: string;
  status: PlanStatus;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  remindedAt: string | null;
  /** The approval card, which becomes the status and report card. */
  card: CardRef | null;
  /** The apply/rollback job, once dispatched. */
  jobId: string | null;
  /** Rollback plans: the job whose changes they undo. */
  rollbackOf: string | null;
  /** The plan this one was made from by "Roll back" or "Retry", if any. */
  follows: string | null;
  /** The job the card last showed, as `<event count>:<job status>` (a restart brings changed cards up to date). */
  cardShows: string | null;
}

/** Only the fields a status move may change. */
export type PlanPatch = Partial<Pick<PlanRecord, 'status' | 'revision' | 'plan' | 'request' | 'discovery' | 'expiresAt' | 'remindedAt' | 'card' | 'jobId' | 'cardShows' | 'createdAt' | 'requesterId' | 'requesterName' | 'requestedIn'>>;

export interface PlanStore {
  create(record: PlanRecord): Promise<void>;
  get(id: string): Promise<PlanRecord | null>;
  byJob(jobId: string): Promise<PlanRecord | null>;
  /**
   * The id and card message of the plan a job applies, without reading the plan itself: a job's
   * progress arrives in many batches, and a plan of thousands of steps is costly to read each time.
   */
  cardOfJob(jobId: string): Promise<{ id: string; card: CardRef | null } | null>;
  /** Most recently changed first; optionally only some statuses or one request. */
  list(filter?: { statuses?: PlanStatus[]; requestId?: string; limit?: number }): Promise<PlanRecord[]>;
  /**
   * Compare-and-set: applies `patch` only if the plan still has `expect.status` and
   * `expect.revision`; returns the updated record, or null when somebody moved it first. The
   * `audit` rows are stored in the same transaction, only when the plan moved.
   */
  update(id: string, expect: { status: PlanStatus; revision: number }, patch: PlanPatch, audit?: AuditEntry[]): Promise<PlanRecord | null>;
  /** Unconditional bookkeeping that never changes the plan's meaning (card ref, what the card shows). */
  note(id: string, patch: Pick<PlanPatch, 'card' | 'cardShows'>): Promise<void>;
}

/** Votes, unique per plan, voter and plan hash. */
export interface VoteStore {
  /** Stores the vote with its audit rows in one transaction; false when this voter already has a vote on this plan hash (a raced double-click). */
  add(planId: string, vote: Vote, audit?: AuditEntry[]): Promise<boolean>;
  /** The plan's votes in the order they were cast (every hash). */
  list(planId: string): Promise<Vote[]>;
}

// ── runners and jobs (issue 3) ──────────────────────────────────────────────────────────────
// Implemented by src/bot/runner-gateway/ on SQLite. The runner protocol (DESIGN §3) is the
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
