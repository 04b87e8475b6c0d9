/**
 * The ports the workflows call (STYLE habit 9: interfaces belong to their consumer and stay small).
 * All async, so the SQLite implementation can be joined by PostgreSQL for scale-out.
 * Each area adds its own ports below its heading.
 */
import type { IntakeData, IntakePosition } from '../../core/intake';
import type { ProvisioningRequest } from '../../core/request';
import type { RequestStatus } from '../../core/request-record';
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
  /** Checks the chain; on a break, names the first broken row. */
  verify(): Promise<{ ok: true; count: number } | { ok: false; seq: number; reason: string }>;
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
