/**
 * The SQLite audit log: append-only (triggers refuse UPDATE/DELETE) and hash-chained, so an edit
 * made behind the triggers' back (drop the trigger, change a row) is found by `verify`.
 * hash = SHA-256(prevHash + canonicalJson({seq, at, action, actor, subjectId, detail})).
 * The tip (seq and hash of the last row) is also kept in `audit_tip`, updated in the append's
 * transaction, so removing the last rows — which leaves a valid shorter chain — is found too.
 */
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../contracts/canonical';
import type { Clock } from '../../shared/clock';
import { asCodedError } from '../../shared/errors';
import type { AuditEntry, AuditLog, AuditRecord } from '../workflows/ports';
import type { Db } from './db';

/** The prev_hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

const Row = z.object({
  seq: z.number().int(),
  at: z.string(),
  action: z.string(),
  actor: z.string(),
  subject_id: z.string().nullable(),
  detail: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});
type Row = z.infer<typeof Row>;
const Tip = z.object({ seq: z.number().int(), hash: z.string() });

/** The hash of one record's content chained to the previous hash. */
export function auditHash(prevHash: string, content: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  return sha256Hex(prevHash + canonicalJson(content));
}

function toRecord(row: Row): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    action: row.action,
    actor: row.actor,
    subjectId: row.subject_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function createAuditLog(db: Db, clock: Clock): AuditLog {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const recordedTip = db.prepare('SELECT seq, hash FROM audit_tip WHERE id = 1');
  const saveTip = db.prepare('INSERT INTO audit_tip (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash');
  const insert = db.prepare(
    'INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // IMMEDIATE: take the write lock before reading the chain's tip, so two processes
  // (the server and a CLI) cannot both append after the same row.
  const appendTx = db.transaction((entry: AuditEntry): AuditRecord => {
    // Continue after the recorded tip: if last rows were removed, the next row then leaves a gap
    // that verify reports, instead of quietly reusing their sequence numbers.
    const tip = (recordedTip.get() ?? last.get()) as { seq: number; hash: string } | undefined;
    const content = {
      seq: (tip?.seq ?? 0) + 1,
      at: clock.now().toISOString(),
      action: entry.action,
      actor: entry.actor,
      subjectId: entry.subjectId,
      // Round-trip through JSON so what is hashed is exactly what verify will read back.
      detail: JSON.parse(canonicalJson(entry.detail)) as Record<string, unknown>,
    };
    const prevHash = tip?.hash ?? GENESIS_HASH;
    const hash = auditHash(prevHash, content);
    insert.run(content.seq, content.at, content.action, content.actor, content.subjectId, canonicalJson(content.detail), prevHash, hash);
    saveTip.run(content.seq, hash);
    return { ...content, prevHash, hash };
  });

  return {
    async append(entry) {
      try {
        return appendTx.immediate(entry);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `appending audit event ${entry.action}`);
      }
    },

    async list(filter = {}) {
      const where: string[] = [];
      const args: string[] = [];
      if (filter.since !== undefined) {
        where.push('at >= ?');
        args.push(filter.since);
      }
      if (filter.subjectId !== undefined) {
        where.push('subject_id = ?');
        args.push(filter.subjectId);
      }
      const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
      return db.prepare(sql).all(...args).map((r) => toRecord(Row.parse(r)));
    },

    async verify() {
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1;
      let count = 0;
      for (const raw of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate()) {
        const parsed = Row.safeParse(raw);
        const seq = typeof (raw as { seq?: unknown }).seq === 'number' ? (raw as { seq: number }).seq : expectedSeq;
        if (!parsed.success) return { ok: false, seq, reason: 'row does not have the audit_log shape' };
        const row = parsed.data;
        if (row.seq !== expectedSeq) return { ok: false, seq: row.seq, reason: `expected row ${expectedSeq} here (a row was removed or renumbered)` };
        if (row.prev_hash !== prevHash) return { ok: false, seq: row.seq, reason: 'prev_hash does not match the previous row\'s hash' };
        let detail: Record<string, unknown>;
        try {
          detail = JSON.parse(row.detail) as Record<string, unknown>;
        } catch {
          return { ok: false, seq: row.seq, reason: 'detail is not valid JSON' };
        }
        const content = { seq: row.seq, at: row.at, action: row.action, actor: row.actor, subjectId: row.subject_id, detail };
        if (auditHash(prevHash, content) !== row.hash) return { ok: false, seq: row.seq, reason: 'content does not match its hash (the row was edited)' };
        prevHash = row.hash;
        expectedSeq += 1;
        count += 1;
      }
      const lastSeq = expectedSeq - 1;
      const tip = Tip.safeParse(recordedTip.get());
      if (!tip.success) {
        return count === 0 ? { ok: true, count } : { ok: false, seq: lastSeq, reason: 'the record of the chain\'s last row (audit_tip) is missing or unreadable' };
      }
      if (tip.data.seq > lastSeq) {
        const missing = tip.data.seq - lastSeq;
        return { ok: false, seq: lastSeq + 1, reason: `the last ${missing === 1 ? 'row is' : `${missing} rows are`} missing: the chain ends at row ${lastSeq}, it should end at row ${tip.data.seq}` };
      }
      if (tip.data.seq < lastSeq) return { ok: false, seq: tip.data.seq + 1, reason: `rows after ${tip.data.seq} were added outside picbot (the chain's recorded last row is ${tip.data.seq})` };
      if (tip.data.hash !== prevHash) return { ok: false, seq: lastSeq, reason: 'the last row does not match the recorded hash of the chain\'s last row' };
      return { ok: true, count };
    },
  };
}
