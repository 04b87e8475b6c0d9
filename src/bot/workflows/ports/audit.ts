/** The audit log. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
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
