/**
 * The ports the workflows call (STYLE habit 9: interfaces belong to their consumer and stay small).
 * All async, so the SQLite implementation can be joined by PostgreSQL for scale-out.
 * Each area adds its own ports below its heading.
 */
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
