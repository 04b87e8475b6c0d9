/**
 * The audit log (SQLite or PostgreSQL): append-only (triggers refuse UPDATE/DELETE) and hash-chained, so an edit
 * made behind the triggers' back (drop the trigger, change a row) is found by `verify`.
 * hash = HMAC-SHA256(auditKey, prevHash + canonicalJson({seq, at, action, actor, subjectId, detail})),
 * under a key kept in a file outside the database (PICBOT_AUDIT_KEY_FILE): someone who can write
 * the database but not read that file cannot re-hash a chain they changed, nor append to it.
 * The tip (seq and hash of the last row) is also kept in `audit_tip`, updated in the append's
 * transaction, so removing the last rows — which leaves a valid shorter chain — is found too;
 * checkpoints (a tip copied elsewhere, e.g. onto a plan's card in Teams) catch even the key holder.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../contracts/canonical';
import type { Clock } from '../../shared/clock';
import { asCodedError } from '../../shared/errors';
import type { AuditEntry, AuditLog, AuditRecord } from '../workflows/ports';
import type { Db } from './db';
import type { Sql, SqlQueries, SqlTx } from './sql';

/** What `verify` answers: the chain holds (with its count and tip), or the first broken row. */
type AuditVerifyResult = Awaited<ReturnType<AuditLog['verify']>>;

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

/** The keyed hash of one record's content chained to the previous hash. */
export function auditHash(key: Buffer, prevHash: string, content: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  return createHmac('sha256', key).update(prevHash + canonicalJson(content), 'utf8').digest('hex');
}

/** The unkeyed hash a chain written by an older picbot used (read only to re-key such a chain). */
function legacyHash(prevHash: string, content: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  return sha256Hex(prevHash + canonicalJson(content));
}

/** What a stored row's hash covers, or null when its detail is not JSON. */
function contentOf(row: Row): Omit<AuditRecord, 'prevHash' | 'hash'> | null {
  let detail: Record<string, unknown>;
  try {
    detail = JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    return null;
  }
  return { seq: row.seq, at: row.at, action: row.action, actor: row.actor, subjectId: row.subject_id, detail };
}

/** A chain tip as posted in chat and given to `audit verify --checkpoint SEQ:HASH`. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
}

/** Parses `SEQ:HASH`; null when it is not a sequence number, a colon and 64 hex digits. */
export function parseCheckpoint(text: string): AuditCheckpoint | null {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/i.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2]!.toLowerCase() } : null;
}

/** The scheme the stored chain is in ('sha256': written by an older picbot, to be re-keyed). */
export async function auditScheme(db: SqlQueries): Promise<'sha256' | 'hmac-sha256'> {
  const row = await db.get<{ scheme?: unknown }>('SELECT scheme FROM audit_meta WHERE id = 1');
  return row?.scheme === 'sha256' ? 'sha256' : 'hmac-sha256';
}

/** Whether the chain has any record. */
export async function auditHasRecords(db: SqlQueries): Promise<boolean> {
  return (await db.get('SELECT 1 AS one FROM audit_log LIMIT 1')) !== undefined;
}

/**
 * Re-keys a chain written before the keyed hash: checks it under the old unkeyed hash first
 * (a broken chain is not re-keyed, it stays for `verify` to report), then rewrites every hash
 * under `key` in one transaction, and the caller records the re-keying as an audit entry.
 * Returns the number of records re-keyed, or why not. SQLite only: a chain on PostgreSQL was
 * always keyed.
 */
export function rekeyLegacyChain(db: Db, key: Buffer): { ok: true; count: number } | { ok: false; seq: number; reason: string } {
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all();
  let prevHash = GENESIS_HASH;
  let newPrev = GENESIS_HASH;
  const updates: { seq: number; prev: string; hash: string }[] = [];
  for (const [index, raw] of rows.entries()) {
    const parsed = Row.safeParse(raw);
    if (!parsed.success) return { ok: false, seq: index + 1, reason: 'row does not have the audit_log shape' };
    const row = parsed.data;
    if (row.seq !== index + 1 || row.prev_hash !== prevHash) return { ok: false, seq: row.seq, reason: 'the chain is broken' };
    const content = contentOf(row);
    if (!content) return { ok: false, seq: row.seq, reason: 'detail is not valid JSON' };
    if (legacyHash(prevHash, content) !== row.hash) return { ok: false, seq: row.seq, reason: 'content does not match its hash' };
    prevHash = row.hash;
    const hash = auditHash(key, newPrev, content);
    updates.push({ seq: row.seq, prev: newPrev, hash });
    newPrev = hash;
  }
  const tip = Tip.safeParse(db.prepare('SELECT seq, hash FROM audit_tip WHERE id = 1').get());
  if (rows.length > 0 && (!tip.success || tip.data.seq !== rows.length || tip.data.hash !== prevHash)) {
    return { ok: false, seq: rows.length, reason: 'the recorded tip does not match the chain' };
  }
  // The append-only triggers are lifted for this one rewrite and put back in the same transaction.
  db.transaction(() => {
    db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_tip_forward_only;');
    const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
    for (const u of updates) update.run(u.prev, u.hash, u.seq);
    if (updates.length > 0) db.prepare('UPDATE audit_tip SET hash = ? WHERE id = 1').run(newPrev);
    db.prepare("UPDATE audit_meta SET scheme = 'hmac-sha256' WHERE id = 1").run();
    db.exec(`
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_tip_forward_only BEFORE UPDATE ON audit_tip WHEN NEW.seq <= OLD.seq
        BEGIN SELECT RAISE(ABORT, 'audit_tip only moves forward'); END;`);
  }).immediate();
  return { ok: true, count: updates.length };
}

/** Tables whose rows mean picbot has been used: an empty chain beside them was wiped. */
const ACTIVITY_TABLES = ['requests', 'plans', 'jobs'] as const;

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

/** Records in order, optionally since a time and/or about one subject (reading needs no key). */
export async function listAuditRecords(db: SqlQueries, filter: { since?: string; subjectId?: string } = {}): Promise<AuditRecord[]> {
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
  return (await db.all(sql, args)).map((r) => toRecord(Row.parse(r)));
}

/**
 * Appends inside the caller's open transaction, so a state change and its audit rows are stored
 * together or not at all. Only for stores on the same database. On PostgreSQL it takes the
 * 'audit' lock, so take an entity's own lock before appending, never after.
 */
export type AuditInTransaction = (tx: SqlTx, entry: AuditEntry) => Promise<AuditRecord>;

/** The audit log of this database, with appends that join the caller's transaction. */
export type KeyedAuditLog = AuditLog & { inTransaction: AuditInTransaction };

/** Rows read per page while verifying (a chain of millions never sits in memory at once). */
const VERIFY_PAGE = 5000;

export function createAuditLog(sql: Sql, clock: Clock, key: Buffer): KeyedAuditLog {
  const readTip = async (q: SqlQueries) => {
    const tip = Tip.safeParse(await q.get('SELECT seq, hash FROM audit_tip WHERE id = 1'));
    return tip.success ? tip.data : null;
  };

  // The chain is one sequence: appends are serialized (SQLite: the transaction's write lock;
  // PostgreSQL: the 'audit' advisory lock held to the end of the transaction), so two processes
  // or two instances cannot both append after the same row and fork it.
  const appendIn: AuditInTransaction = async (tx, entry) => {
    await tx.lock('audit');
    // Continue after the recorded tip: if last rows were removed, the next row then leaves a gap
    // that verify reports, instead of quietly reusing their sequence numbers.
    const tip = (await readTip(tx)) ?? Tip.safeParse(await tx.get('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')).data ?? null;
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
    const hash = auditHash(key, prevHash, content);
    await tx.run('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      content.seq, content.at, content.action, content.actor, content.subjectId, canonicalJson(content.detail), prevHash, hash,
    ]);
    await tx.run('INSERT INTO audit_tip (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash', [content.seq, hash]);
    return { ...content, prevHash, hash };
  };

  const verifyIn = async (tx: SqlTx, options: { checkpoint?: AuditCheckpoint }): Promise<AuditVerifyResult> => {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let after = 0;
    for (;;) {
      const page = await tx.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [after, VERIFY_PAGE]);
      for (const raw of page) {
        const parsed = Row.safeParse(raw);
        const seq = typeof (raw as { seq?: unknown }).seq === 'number' ? (raw as { seq: number }).seq : expectedSeq;
        if (!parsed.success) return { ok: false, seq, reason: 'row does not have the audit_log shape' };
        const row = parsed.data;
        if (row.seq !== expectedSeq) return { ok: false, seq: row.seq, reason: `expected row ${expectedSeq} here (a row was removed or renumbered)` };
        if (row.prev_hash !== prevHash) return { ok: false, seq: row.seq, reason: 'prev_hash does not match the previous row\'s hash' };
        const content = contentOf(row);
        if (!content) return { ok: false, seq: row.seq, reason: 'detail is not valid JSON' };
        if (auditHash(key, prevHash, content) !== row.hash) {
          return { ok: false, seq: row.seq, reason: 'content does not match its keyed hash (the row was edited or re-hashed without the audit key, or PICBOT_AUDIT_KEY_FILE names another key)' };
        }
        if (options.checkpoint && options.checkpoint.seq === row.seq && options.checkpoint.hash !== row.hash) {
          return { ok: false, seq: row.seq, reason: `row ${row.seq} does not match the checkpoint: the chain was rewritten after the checkpoint was posted` };
        }
        prevHash = row.hash;
        expectedSeq += 1;
        count += 1;
        after = row.seq;
      }
      if (page.length < VERIFY_PAGE) break;
    }
    const lastSeq = expectedSeq - 1;
    if (options.checkpoint && options.checkpoint.seq > lastSeq) {
      return { ok: false, seq: options.checkpoint.seq, reason: `the chain ends at row ${lastSeq}, before the checkpoint's row ${options.checkpoint.seq}: rows were removed` };
    }
    if (count === 0) {
      for (const table of ACTIVITY_TABLES) {
        if ((await tx.get(`SELECT 1 AS one FROM ${table} LIMIT 1`)) !== undefined) {
          return { ok: false, seq: 1, reason: `the chain is empty but the database holds ${table}: the records were wiped` };
        }
      }
    }
    const tip = Tip.safeParse(await tx.get('SELECT seq, hash FROM audit_tip WHERE id = 1'));
    if (!tip.success) {
      return count === 0 ? { ok: true, count, tip: null } : { ok: false, seq: lastSeq, reason: 'the record of the chain\'s last row (audit_tip) is missing or unreadable' };
    }
    if (tip.data.seq > lastSeq) {
      const missing = tip.data.seq - lastSeq;
      return { ok: false, seq: lastSeq + 1, reason: `the last ${missing === 1 ? 'row is' : `${missing} rows are`} missing: the chain ends at row ${lastSeq}, it should end at row ${tip.data.seq}` };
    }
    if (tip.data.seq < lastSeq) return { ok: false, seq: tip.data.seq + 1, reason: `rows after ${tip.data.seq} were added outside picbot (the chain's recorded last row is ${tip.data.seq})` };
    if (tip.data.hash !== prevHash) return { ok: false, seq: lastSeq, reason: 'the last row does not match the recorded hash of the chain\'s last row' };
    return { ok: true, count, tip: count === 0 ? null : { seq: lastSeq, hash: prevHash } };
  };

  return {
    inTransaction: appendIn,

    async append(entry) {
      try {
        return await sql.transaction((tx) => appendIn(tx, entry));
      } catch (err) {
        throw asCodedError(err, 'store_failed', `appending audit event ${entry.action}`);
      }
    },

    async list(filter = {}) {
      return listAuditRecords(sql, filter);
    },

    async verify(options = {}) {
      // One read snapshot: the rows and the recorded tip are read together, so a record appended
      // meanwhile (the server keeps running) is not taken for a missing row.
      return sql.snapshot((tx) => verifyIn(tx, options));
    },

    async tip() {
      return readTip(sql);
    },
  };
}
