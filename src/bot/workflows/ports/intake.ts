/** Intake drafts and provisioning requests. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
import type { IntakeData, IntakePosition } from '../../../core/intake';
import type { ProvisioningRequest } from '../../../core/request';
import type { RequestStatus } from '../../../core/request-record';
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

/** The provisioning request record (src/core/request-record.ts). */
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
