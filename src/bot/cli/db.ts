/**
 * `picbot db migrate|status|copy`: the server's database schema from the command line, on either
 * engine (PICBOT_DATABASE_URL, else the SQLite file), and the move of a SQLite install to
 * PostgreSQL (docs/deploy.md, Moving from SQLite to PostgreSQL). A URL is only ever shown without
 * its password.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../../shared/clock';
import { auditKeyFileFor, readEnvironment, signingKeyFileFor } from '../config';
import { auditScheme, createAuditLog } from '../stores/audit-log';
import { copySqliteToPostgres, countRows, type CopyResult } from '../stores/db-copy';
import { openDatabaseMigrating, openDatabaseReadOnly } from '../stores/db';
import { loadAuditKey } from '../stores/key-files';
import { MIGRATIONS } from '../stores/migrations';
import { PG_MIGRATIONS } from '../stores/migrations-pg';
import { isPostgresUrl, migratePostgres, openPostgres, scrubPassword } from '../stores/pg-connect';
import { sqliteSql, type Engine, type Sql } from '../stores/sql';
import { existingDatabasePath } from './database';
import { processIo, type CliIo } from './io';
import { noMoreArgs, subcommandCli, UsageError } from './subcommand';

export const usage = `Usage: picbot db migrate [--db FILE] [--json]
       picbot db status [--db FILE] [--json]
       picbot db copy --from sqlite:FILE --to postgres://USER:PASSWORD@HOST:PORT/DATABASE [--json]

migrate  applies the pending schema migrations to the server's database and prints their ids
         (none when it is up to date). Safe while servers run: on PostgreSQL it waits for the
         lock a starting server takes. The one command that creates a missing SQLite file.
status   the engine, where the database is, the applied and pending migrations, the rows of
         the main tables and the audit chain's tip. Exit 1 when migrations are pending or the
         database cannot be opened.
copy     copies a SQLite install (opened read-only; stop its server first) into an empty
         PostgreSQL database, every table in one transaction, then checks each table's row count
         and the audit chain under the audit key (PICBOT_AUDIT_KEY_FILE, else audit.key beside
         the SQLite file) before committing. Refuses a target that already holds picbot data.

The database: --db FILE (a SQLite file); without it PICBOT_DATABASE_URL (PostgreSQL), else
PICBOT_DB, else ./data/picbot.db.

  --db FILE      migrate, status: the SQLite file
  --from sqlite:FILE
                 copy: the SQLite database to copy
  --to URL       copy: the PostgreSQL database to copy into (migrated first if it is empty)
  --json         print the result as JSON
  -h, --help     print this help

Exit codes: 0 success (status: up to date), 1 bad flags, migrations pending, unreachable
database or failure.
`;

interface Flags {
  db?: string;
  json?: boolean;
  from?: string;
  to?: string;
}

/** The database migrate and status work on. */
type Configured = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** --db FILE, else PICBOT_DATABASE_URL, else PICBOT_DB, else ./data/picbot.db (environment or .env). */
function configuredDatabase(dbFlag: string | undefined): Configured {
  const env = readEnvironment();
  const url = env.PICBOT_DATABASE_URL?.trim();
  if (dbFlag === undefined && url) {
    if (!isPostgresUrl(url)) throw new Error('PICBOT_DATABASE_URL: expected a postgres:// or postgresql:// URL');
    return { engine: 'postgres', url };
  }
  return { engine: 'sqlite', path: resolve(dbFlag ?? (env.PICBOT_DB?.trim() || './data/picbot.db')) };
}

/** A PostgreSQL connection that neither migrates nor checks the schema (migrate and status look themselves). */
const connectPostgres = (url: string, variable: string) => openPostgres(url, { variable, migrate: false, migrations: [], max: 2 });

/** The ids in schema_migrations, in order (none when the table does not exist yet). */
async function appliedIds(sql: Sql): Promise<string[]> {
  if (!(await tableExists(sql, 'schema_migrations'))) return [];
  return (await sql.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id);
}

async function tableExists(sql: Sql, table: string): Promise<boolean> {
  const row = sql.engine === 'postgres'
    ? await sql.get<{ t: string | null }>('SELECT to_regclass(?)::text AS t', [table])
    : await sql.get<{ t: string | null }>("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name = ?", [table]);
  return Boolean(row?.t);
}

const migrationsOf = (engine: Engine) => (engine === 'postgres' ? PG_MIGRATIONS : MIGRATIONS);
const schemaVersion = (applied: readonly string[]) => applied.at(-1) ?? null;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ── migrate ──────────────────────────────────────────────────────────────────────────────

interface MigrateResult {
  engine: Engine;
  where: string;
  applied: string[];
  schemaVersion: string | null;
}

async function migrate(target: Configured): Promise<MigrateResult> {
  if (target.engine === 'postgres') {
    const sql = await connectPostgres(target.url, 'PICBOT_DATABASE_URL');
    try {
      const applied = await migratePostgres(sql);
      return { engine: 'postgres', where: sql.describe, applied, schemaVersion: schemaVersion(await appliedIds(sql)) };
    } finally {
      await sql.close();
    }
  }
  const { db, applied } = openDatabaseMigrating(target.path);
  const sql = sqliteSql(db, target.path);
  try {
    return { engine: 'sqlite', where: target.path, applied, schemaVersion: schemaVersion(await appliedIds(sql)) };
  } finally {
    await sql.close();
  }
}

function printMigrate(r: MigrateResult, json: boolean, io: CliIo): void {
  if (json) io.stdout(`${JSON.stringify(r)}\n`);
  else if (r.applied.length === 0) io.stdout(`${r.where} (${r.engine}) is up to date (schema ${r.schemaVersion}): nothing to apply\n`);
  else io.stdout(`applied ${plural(r.applied.length, 'migration')} to ${r.where} (${r.engine}): ${r.applied.join(', ')}\nschema ${r.schemaVersion}\n`);
}

// ── status ───────────────────────────────────────────────────────────────────────────────

interface StatusResult {
  engine: Engine;
  where: string;
  applied: string[];
  pending: string[];
  upToDate: boolean;
  /** Rows per main table (null: the table does not exist yet); jobs per status. */
  rows: { requests: number | null; plans: number | null; jobs: Record<string, number> | null; runners: number | null; audit_log: number | null };
  auditTip: { seq: number; hash: string } | null;
}

/** Opens the configured database as it is: never creates a SQLite file, never migrates. */
async function openAsItIs(target: Configured): Promise<Sql> {
  if (target.engine === 'postgres') return connectPostgres(target.url, 'PICBOT_DATABASE_URL');
  // The same refusal as the other commands on the server's database (the path is already resolved).
  const path = existingDatabasePath(target.path);
  const sql = sqliteSql(openDatabaseReadOnly(path, []), path);
  if (!(await tableExists(sql, 'schema_migrations'))) {
    await sql.close();
    throw new Error(`${target.path} is not a picbot database (it has no schema_migrations table)`);
  }
  return sql;
}

async function rowsIfExists(sql: Sql, table: string): Promise<number | null> {
  return (await tableExists(sql, table)) ? countRows(sql, table) : null;
}

async function jobsByStatus(sql: Sql): Promise<Record<string, number> | null> {
  if (!(await tableExists(sql, 'jobs'))) return null;
  const rows = await sql.all<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

async function status(target: Configured): Promise<StatusResult> {
  const sql = await openAsItIs(target);
  try {
    const applied = await appliedIds(sql);
    const pending = migrationsOf(sql.engine).map((m) => m.id).filter((id) => !applied.includes(id));
    const tip = (await tableExists(sql, 'audit_tip')) ? await sql.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_tip WHERE id = 1') : undefined;
    return {
      engine: sql.engine,
      where: target.engine === 'postgres' ? sql.describe : target.path,
      applied,
      pending,
      upToDate: pending.length === 0,
      rows: {
        requests: await rowsIfExists(sql, 'requests'),
        plans: await rowsIfExists(sql, 'plans'),
        jobs: await jobsByStatus(sql),
        runners: await rowsIfExists(sql, 'runners'),
        audit_log: await rowsIfExists(sql, 'audit_log'),
      },
      auditTip: tip ? { seq: Number(tip.seq), hash: tip.hash } : null,
    };
  } finally {
    await sql.close();
  }
}

function printStatus(r: StatusResult, json: boolean, io: CliIo): void {
  if (json) {
    io.stdout(`${JSON.stringify(r)}\n`);
    return;
  }
  const shown = (n: number | null) => (n === null ? '(no table)' : String(n));
  const jobs = r.rows.jobs === null ? '(no table)' : jobsLine(r.rows.jobs);
  const lines = [
    ['engine', r.engine],
    ['where', r.where],
    ['schema', r.upToDate ? `up to date (${schemaVersion(r.applied)})` : `${plural(r.pending.length, 'migration')} pending: run picbot db migrate`],
    ['applied', r.applied.join(', ') || '(none)'],
    ['pending', r.pending.join(', ') || '(none)'],
    ['requests', shown(r.rows.requests)],
    ['plans', shown(r.rows.plans)],
    ['jobs', jobs],
    ['runners', shown(r.rows.runners)],
    ['audit_log', shown(r.rows.audit_log)],
    ['audit tip', r.auditTip ? `${r.auditTip.seq}:${r.auditTip.hash}` : '(none)'],
  ];
  io.stdout(lines.map(([k, v]) => `${k!.padEnd(10)} ${v}\n`).join(''));
}

function jobsLine(jobs: Record<string, number>): string {
  const total = Object.values(jobs).reduce((a, b) => a + b, 0);
  const parts = Object.entries(jobs).map(([s, n]) => `${s} ${n}`);
  return parts.length === 0 ? '0' : `${total} (${parts.join(', ')})`;
}

// ── copy ─────────────────────────────────────────────────────────────────────────────────

interface CopySummary extends CopyResult {
  from: string;
  to: string;
  auditKeyFile: string;
  signingKeyFile: string;
}

/** The SQLite file of --from sqlite:FILE, which must exist. */
function sourcePath(from: string): string {
  if (!from.startsWith('sqlite:') || from.length === 'sqlite:'.length) throw new UsageError('--from: expected sqlite:FILE (the SQLite database to copy)');
  const path = resolve(from.slice('sqlite:'.length));
  if (!existsSync(path)) throw new Error(`--from: no SQLite database at ${path}`);
  return path;
}

/** Opens the source read-only and checks what the copy needs: a keyed, intact audit chain under the key. */
async function openSource(path: string): Promise<{ sql: Sql; key: Buffer; keyFile: string }> {
  const sql = sqliteSql(openDatabaseReadOnly(path), path);
  try {
    if ((await auditScheme(sql)) === 'sha256') {
      throw new Error(`the audit log of ${path} was written by an older picbot and is not keyed yet: start the picbot server on it once (it re-keys the chain), stop it, then copy`);
    }
    const keyFile = auditKeyFileFor(path);
    const { key } = loadAuditKey(keyFile, false);
    const verified = await createAuditLog(sql, systemClock, key).verify();
    if (!verified.ok) throw new Error(`the audit chain of ${path} is broken at row ${verified.seq} (${verified.reason}): picbot audit verify --db ${path} shows it; nothing was copied`);
    return { sql, key, keyFile: keyFile.path };
  } catch (err) {
    await sql.close();
    throw err;
  }
}

async function copy(from: string, to: string): Promise<CopySummary> {
  const path = sourcePath(from);
  if (!isPostgresUrl(to)) throw new UsageError('--to: expected a postgres:// or postgresql:// URL');
  const source = await openSource(path);
  try {
    const target = await openPostgres(to, { variable: '--to', max: 2 });
    try {
      const result = await copySqliteToPostgres(source.sql.sqlite!, target, source.key);
      return { from: path, to: target.describe, ...result, auditKeyFile: source.keyFile, signingKeyFile: signingKeyFileFor(path).path };
    } finally {
      await target.close();
    }
  } finally {
    await source.sql.close();
  }
}

function printCopy(r: CopySummary, json: boolean, io: CliIo): void {
  if (json) {
    io.stdout(`${JSON.stringify({ ...r, tables: Object.fromEntries(r.tables.map((t) => [t.table, t.rows])) })}\n`);
    return;
  }
  const width = Math.max(...r.tables.map((t) => t.table.length));
  const tip = r.audit.tip ? `; tip ${r.audit.tip.seq}:${r.audit.tip.hash}` : '';
  io.stdout([
    `copied ${r.from} → ${r.to}`,
    ...r.tables.map((t) => `  ${t.table.padEnd(width)} ${t.rows}`),
    `audit chain intact on the target: ${plural(r.audit.count, 'record')}${tip}`,
    `Next: set PICBOT_DATABASE_URL to the target, PICBOT_AUDIT_KEY_FILE=${r.auditKeyFile} and PICBOT_SIGNING_KEY_FILE=${r.signingKeyFile}, then start the server.`,
  ].join('\n') + '\n');
}

// ── the command ──────────────────────────────────────────────────────────────────────────

/** Flags that belong to other subcommands are usage mistakes, not silently ignored. */
function onlyFlags(values: Flags, allowed: (keyof Flags)[], sub: string): void {
  for (const flag of ['db', 'from', 'to'] as const) {
    if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`--${flag} does not apply to db ${sub}`);
  }
}

/** `picbot db …` (argv is what follows `db`). Resolves to the exit code. */
export const run = (argv: string[], io: CliIo = processIo): Promise<number> => dbCli(argv, io);

const dbCli = subcommandCli<Flags>({
  command: 'db',
  usage,
  options: { db: { type: 'string' }, json: { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' } },
  subcommands: {
    async migrate({ values, args, io }) {
      noMoreArgs(args);
      onlyFlags(values, ['db'], 'migrate');
      printMigrate(await migrate(configuredDatabase(values.db)), values.json === true, io);
      return 0;
    },
    async status({ values, args, io }) {
      noMoreArgs(args);
      onlyFlags(values, ['db'], 'status');
      const result = await status(configuredDatabase(values.db));
      printStatus(result, values.json === true, io);
      return result.upToDate ? 0 : 1;
    },
    async copy({ values, args, io }) {
      noMoreArgs(args);
      onlyFlags(values, ['from', 'to'], 'copy');
      if (values.from === undefined || values.to === undefined) throw new UsageError('copy needs --from sqlite:FILE and --to postgres://…');
      const to = values.to;
      try {
        printCopy(await copy(values.from, to), values.json === true, io);
        return 0;
      } catch (err) {
        // Whatever failed, the password of --to is not repeated.
        if (err instanceof Error) err.message = scrubPassword(err.message, to);
        throw err;
      }
    },
  },
});
