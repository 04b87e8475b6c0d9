/**
 * Copying a single instance's SQLite database into an empty PostgreSQL database (`picbot db copy`,
 * docs/deploy.md, Moving from SQLite to PostgreSQL): every table of the schema, each row as it is
 * (the audit chain's seq and hashes, the signed job envelopes, the insertion order a store sorts
 * by), in ONE PostgreSQL transaction that checks the copy before it commits: the same row count in
 * every table and the audit chain intact under the audit key. Anything wrong rolls it all back.
 */
import { systemClock } from '../../shared/clock';
import { CodedError } from '../../shared/errors';
import { createAuditLog } from './audit-log';
import type { Db } from './db';
import { MIGRATIONS, type Migration } from './migrations';
import type { Sql, SqlQueries, SqlTx, SqlValue } from './sql';

/** Tables the PostgreSQL migration fills itself (audit_meta's scheme row): replaced by the source's rows. */
const SEEDED_BY_MIGRATION: readonly string[] = ['audit_meta'];

/** Parameters per INSERT (PostgreSQL takes at most 65535). */
const PARAMS_PER_INSERT = 5000;

/** One table's copy: the target's columns and what the source gives for each. */
interface TablePlan {
  table: string;
  /** Target columns, in the INSERT's order. */
  columns: string[];
  /** The source expression of each column (SQLite's implicit rowid for a BIGSERIAL `rowid`). */
  sources: string[];
  /** Target columns filled by a sequence (BIGSERIAL): set past the copied maximum afterwards. */
  serials: string[];
}

export interface TableCopy {
  table: string;
  rows: number;
}

export interface CopyResult {
  tables: TableCopy[];
  /** The audit chain as verified on the target, inside the copy's transaction. */
  audit: { count: number; tip: { seq: number; hash: string } | null };
}

/** A table or column name of picbot's schema, quoted (refuses anything else). */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new CodedError('store_failed', `unexpected table or column name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The tables of the schema, in the order the SQLite migrations (migrations.ts) create them. */
export function schemaTables(migrations: Migration[] = MIGRATIONS): string[] {
  const names: string[] = [];
  for (const m of migrations) {
    for (const match of m.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)) {
      if (!names.includes(match[1]!)) names.push(match[1]!);
    }
  }
  return names;
}

/** `tables` ordered so that each comes after the tables its foreign keys refer to (as SQLite records them). */
export function dependencyOrder(src: Db, tables: readonly string[]): string[] {
  const refersTo = (table: string) => (src.prepare(`PRAGMA foreign_key_list(${quoteIdent(table)})`).all() as { table: string }[])
    .map((fk) => fk.table)
    .filter((other) => other !== table && tables.includes(other));
  const ordered: string[] = [];
  const visit = (table: string, path: string[]) => {
    if (ordered.includes(table)) return;
    if (path.includes(table)) throw new CodedError('store_failed', `foreign keys form a cycle: ${[...path, table].join(' → ')}`);
    for (const other of refersTo(table)) visit(other, [...path, table]);
    ordered.push(table);
  };
  for (const table of tables) visit(table, []);
  return ordered;
}

/** Rows in `table` (PostgreSQL or SQLite through the port). */
export async function countRows(q: SqlQueries, table: string): Promise<number> {
  const row = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`);
  return Number(row?.n ?? 0);
}

const sourceCount = (src: Db, table: string) => Number((src.prepare(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`).get() as { n: number }).n);

/** Matches the target table's columns to the source's; a column only one side has is an error (data would be lost or missing). */
async function planTable(src: Db, tx: SqlTx, table: string): Promise<TablePlan> {
  const sourceColumns = (src.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string }[]).map((c) => c.name);
  const targetColumns = await tx.all<{ column_name: string; column_default: string | null; is_nullable: string }>(
    'SELECT column_name, column_default, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position',
    [table],
  );
  if (targetColumns.length === 0) throw new CodedError('store_failed', `the target has no table ${table}`);
  const plan: TablePlan = { table, columns: [], sources: [], serials: [] };
  for (const c of targetColumns) {
    const name = c.column_name;
    if (c.column_default?.startsWith('nextval(')) plan.serials.push(name);
    if (sourceColumns.includes(name)) {
      plan.columns.push(name);
      plan.sources.push(quoteIdent(name));
    } else if (name === 'rowid') {
      // SQLite's implicit rowid is the insertion order the stores sort by; PostgreSQL keeps it as a BIGSERIAL column.
      plan.columns.push(name);
      plan.sources.push('rowid');
    } else if (c.column_default === null && c.is_nullable !== 'YES') {
      throw new CodedError('store_failed', `${table}.${name} exists on the target only and has no default`);
    }
  }
  const missing = sourceColumns.filter((name) => !plan.columns.includes(name));
  if (missing.length > 0) throw new CodedError('store_failed', `the target's ${table} lacks column ${missing.join(', ')} (is it a newer picbot's database?)`);
  return plan;
}

/** Copies one table's rows page by page in rowid order, in multi-row INSERTs; returns how many. */
async function copyRows(src: Db, tx: SqlTx, plan: TablePlan): Promise<number> {
  const perInsert = Math.max(1, Math.floor(PARAMS_PER_INSERT / plan.columns.length));
  const page = src.prepare(`SELECT rowid, ${plan.sources.join(', ')} FROM ${quoteIdent(plan.table)} WHERE rowid > ? ORDER BY rowid LIMIT ${perInsert}`).raw(true);
  const columns = plan.columns.map(quoteIdent).join(', ');
  const tuple = `(${plan.columns.map(() => '?').join(', ')})`;
  let after = Number.MIN_SAFE_INTEGER;
  let copied = 0;
  for (;;) {
    const rows = page.all(after) as unknown[][];
    if (rows.length === 0) break;
    const values = rows.flatMap((row) => row.slice(1).map(sqlValue));
    await tx.run(`INSERT INTO ${quoteIdent(plan.table)} (${columns}) VALUES ${rows.map(() => tuple).join(', ')}`, values);
    copied += rows.length;
    after = rows[rows.length - 1]![0] as number;
    if (rows.length < perInsert) break;
  }
  return copied;
}

/** A SQLite value as a query parameter (picbot's schema has no BLOBs). */
function sqlValue(value: unknown): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  throw new CodedError('store_failed', `a value of type ${typeof value} picbot's schema does not hold`);
}

/** Moves each BIGSERIAL's sequence past the largest copied value, so the next insert gets a new one. */
async function advanceSequences(tx: SqlTx, plan: TablePlan): Promise<void> {
  for (const column of plan.serials) {
    await tx.get(
      `SELECT setval(pg_get_serial_sequence(?, ?), (SELECT COALESCE(MAX(${quoteIdent(column)}), 0) + 1 FROM ${quoteIdent(plan.table)}), false) AS v`,
      [plan.table, column],
    );
  }
}

/** The tables of the target that hold rows (a migration's seeded rows do not count). */
export async function occupiedTables(q: SqlQueries, tables: readonly string[]): Promise<TableCopy[]> {
  const occupied: TableCopy[] = [];
  for (const table of tables) {
    if (SEEDED_BY_MIGRATION.includes(table)) continue;
    const rows = await countRows(q, table);
    if (rows > 0) occupied.push({ table, rows });
  }
  return occupied;
}

/** The Sql port over an open transaction, so the audit log's verify (a snapshot) reads the uncommitted copy. */
function withinTransaction(sql: Sql, tx: SqlTx): Sql {
  return { ...sql, all: tx.all, get: tx.get, run: tx.run, snapshot: (fn) => fn(tx), transaction: (fn) => fn(tx) };
}

/**
 * Copies every table of `src` (a migrated SQLite database, opened read-only) into `target` (a
 * migrated PostgreSQL database without picbot rows) in one transaction, then, before committing,
 * checks each table's row count against the source and verifies the audit chain under `auditKey`.
 * Throws (and copies nothing) when the target holds rows, a table's columns differ, or a check fails.
 */
export async function copySqliteToPostgres(src: Db, target: Sql, auditKey: Buffer): Promise<CopyResult> {
  if (target.engine !== 'postgres') throw new CodedError('store_failed', 'the copy\'s target must be PostgreSQL');
  const tables = dependencyOrder(src, schemaTables());
  // One read snapshot of the source for the whole copy (a server still writing to it is not seen halfway).
  src.exec('BEGIN');
  try {
    return await copyInOneTransaction(src, target, tables, auditKey);
  } finally {
    if (src.inTransaction) src.exec('COMMIT');
  }
}

/** The copy proper: the PostgreSQL transaction that writes every table and checks it before committing. */
async function copyInOneTransaction(src: Db, target: Sql, tables: string[], auditKey: Buffer): Promise<CopyResult> {
  return target.transaction(async (tx) => {
    // Appends by a server started on the target too early wait until the copy has committed.
    await tx.lock('audit');
    const occupied = await occupiedTables(tx, tables);
    if (occupied.length > 0) {
      throw new CodedError('conflict', `the target already holds picbot data (${occupied.map((o) => `${o.table}: ${o.rows}`).join(', ')}): copy only into an empty database`);
    }
    for (const table of SEEDED_BY_MIGRATION) await tx.run(`DELETE FROM ${quoteIdent(table)}`);
    const copied: TableCopy[] = [];
    for (const table of tables) {
      const plan = await planTable(src, tx, table);
      const rows = await copyRows(src, tx, plan);
      await advanceSequences(tx, plan);
      const onTarget = await countRows(tx, table);
      const inSource = sourceCount(src, table);
      if (rows !== inSource || onTarget !== inSource) {
        throw new CodedError('store_failed', `${table}: ${inSource} rows in the source, ${onTarget} on the target after the copy`);
      }
      copied.push({ table, rows });
    }
    const verified = await createAuditLog(withinTransaction(target, tx), systemClock, auditKey).verify();
    if (!verified.ok) throw new CodedError('store_failed', `the copied audit chain does not verify on the target (row ${verified.seq}: ${verified.reason})`);
    return { tables: copied, audit: { count: verified.count, tip: verified.tip } };
  });
}
