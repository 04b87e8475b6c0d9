/**
 * Opening PostgreSQL (PICBOT_DATABASE_URL): the pool, the schema, and migrations run under a
 * session advisory lock so two instances starting together apply each migration once
 * (docs/deploy.md, Scale-out on PostgreSQL).
 */
import { Pool, types, type PoolConfig } from 'pg';
import { CodedError } from '../../shared/errors';
import type { Migration } from './migrations';
import { PG_MIGRATIONS } from './migrations-pg';
import { advisoryKey, postgresSql, type Sql } from './sql';

/** The URL with its password replaced, for logs, errors and doctor. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** Whether `url` names PostgreSQL (postgres:// or postgresql://). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url.trim());
}

// 64-bit integers (COUNT(*), BIGSERIAL, BIGINT seq) and NUMERIC (SUM) as numbers: every value
// picbot stores in them is far below 2^53. Set on this pool's clients only, never globally.
const INT8 = 20;
const NUMERIC = 1700;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return types.getTypeParser(oid, format as 'text');
  }) as typeof types.getTypeParser,
};

export interface PgOpenOptions {
  /** The variable the URL came from, named in every error (default PICBOT_DATABASE_URL). */
  variable?: string;
  migrations?: Migration[];
  /**
   * Apply pending migrations (the server, `db migrate`); false: refuse a database behind
   * (readers); 'leave': neither, the caller looks at them (`picbot doctor` reports them).
   */
  migrate?: boolean | 'leave';
  max?: number;
  /** How long to wait for a connection (ms). */
  connectTimeoutMs?: number;
}

/**
 * Connects, checks the server answers, then migrates (or checks migrations). Throws a
 * CodedError('config_invalid') naming the variable when the URL is bad or the server does not
 * answer; the password never appears in it.
 */
export async function openPostgres(url: string, options: PgOpenOptions = {}): Promise<Sql> {
  const variable = options.variable ?? 'PICBOT_DATABASE_URL';
  const shown = redactUrl(url);
  let config: PoolConfig;
  try {
    new URL(url);
    config = {
      connectionString: url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      types: pgTypes,
      application_name: 'picbot',
    };
  } catch {
    throw new CodedError('config_invalid', `${variable}: not a valid URL (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)`);
  }
  const pool = new Pool(config);
  // An idle connection that drops (the server restarted) must not crash the process; the next
  // query reconnects.
  pool.on('error', () => {});
  let schema: string;
  try {
    const row = (await pool.query('SELECT current_schema() AS schema')).rows[0] as { schema: string | null };
    if (!row.schema) throw new Error('no current schema (check search_path)');
    schema = row.schema;
  } catch (err) {
    await pool.end().catch(() => {});
    throw new CodedError('config_invalid', `${variable}: cannot reach ${shown}: ${scrubPassword(reasonOf(err), url)}`, { cause: err });
  }
  const sql = postgresSql(pool, shown, schema);
  try {
    const migrations = options.migrations ?? PG_MIGRATIONS;
    if (options.migrate === 'leave') {
      // The caller reports pending migrations itself.
    } else if (options.migrate === false) {
      const pending = await pendingMigrations(sql, migrations);
      if (pending.length > 0) throw new CodedError('store_failed', `${shown} is behind (schema ${pending[0]} not applied): run picbot db migrate, or start the server once`);
    } else {
      await migratePostgres(sql, migrations);
    }
  } catch (err) {
    await sql.close().catch(() => {});
    throw err;
  }
  return sql;
}

/** The migration ids not yet applied (all of them on an empty database). */
export async function pendingMigrations(sql: Sql, migrations: Migration[] = PG_MIGRATIONS): Promise<string[]> {
  const exists = await sql.get<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists?.t) return migrations.map((m) => m.id);
  const applied = new Set((await sql.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  return migrations.filter((m) => !applied.has(m.id)).map((m) => m.id);
}

/**
 * Applies pending migrations, each in its own transaction, holding a session advisory lock for
 * the whole run: a second instance waits here, then finds nothing left to do.
 */
export async function migratePostgres(sql: Sql, migrations: Migration[] = PG_MIGRATIONS): Promise<string[]> {
  const pool = sql.pool!;
  const client = await pool.connect();
  const schema = ((await client.query('SELECT current_schema() AS s')).rows[0] as { s: string }).s;
  const key = advisoryKey(`${schema}:migrations`);
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
      const done = new Set(((await client.query('SELECT id FROM schema_migrations')).rows as { id: string }[]).map((r) => r.id));
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [m.id, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new CodedError('store_failed', `applying migration ${m.id}: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.id);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
    }
  } finally {
    client.release();
  }
  return applied;
}

/**
 * What went wrong, on one line: the message, else the code (a refused connection to a name with
 * several addresses is an AggregateError with an empty message and the code ECONNREFUSED).
 */
function reasonOf(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const text = typeof e?.message === 'string' && e.message.trim() !== '' ? e.message : typeof e?.code === 'string' ? e.code : String(err);
  return text.replace(/\s+/g, ' ').trim();
}

/** An error message with the URL's password taken out (pg sometimes echoes connection details). */
export function scrubPassword(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join('***') : message;
  } catch {
    return message;
  }
}
