/**
 * The one way the stores talk to their database, on either engine (docs/architecture.md, Stores):
 * SQLite through better-sqlite3 (the default, one process) or PostgreSQL through a `pg` pool
 * (several instances on one database). Stores write SQL with `?` placeholders in the subset both
 * engines read; where the engines differ a store asks `sql.engine`.
 *
 * A transaction is a callback that gets its own handle (`tx`): every statement of the
 * transaction goes through `tx`, never through the outer `sql`. On SQLite the transaction is
 * `BEGIN IMMEDIATE` (the file's write lock) and transactions of this process queue behind each
 * other; on PostgreSQL it is one pooled connection at READ COMMITTED, and `tx.lock(name)` takes a
 * transaction-scoped advisory lock where a read-then-write must not interleave with another
 * instance (SQLite's write lock already serializes those).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { CodedError } from '../../shared/errors';

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;
export type Engine = 'sqlite' | 'postgres';

/** Statements, inside a transaction or on their own. */
export interface SqlQueries {
  all<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** INSERT/UPDATE/DELETE: how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlTx extends SqlQueries {
  readonly engine: Engine;
  /**
   * Holds the lock `name` until the transaction ends (PostgreSQL: pg_advisory_xact_lock, scoped to
   * the schema; SQLite: nothing to do, the transaction already holds the file's write lock).
   * Take locks in one order (an entity's lock before 'audit') so two transactions never wait on
   * each other.
   */
  lock(name: string): Promise<void>;
  /** Runs `fn` once the transaction has committed (never when it rolls back). */
  afterCommit(fn: () => void): void;
}

export interface SqlPoolUse {
  total: number;
  idle: number;
  waiting: number;
}

export interface Sql extends SqlQueries {
  readonly engine: Engine;
  /** Where it points, without a password (for logs and doctor). */
  readonly describe: string;
  /** A write transaction: all or nothing. The callback's statements go through `tx`. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** A read-only transaction that sees one snapshot (audit verify reads rows and tip together). */
  snapshot<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Resolves when the database answers (readyz, doctor). */
  ping(): Promise<void>;
  /** PostgreSQL: the pool's connections; SQLite: null. */
  poolUse(): SqlPoolUse | null;
  readonly open: boolean;
  close(): Promise<void>;
  /** SQLite only: the connection, for the few file-level jobs (read-only opens, rekey). */
  readonly sqlite: Database.Database | null;
  /** PostgreSQL only: the pool (LISTEN/NOTIFY takes a connection of its own). */
  readonly pool: Pool | null;
  /** PostgreSQL only: the schema picbot's tables are in (it scopes locks and channels). */
  readonly schema: string | null;
}

/** A lock name as a 64-bit advisory lock key (PostgreSQL): the first 8 bytes of its SHA-256. */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/** `?` → `$1`, `$2`, … outside quoted text (PostgreSQL's placeholders). */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === '\'' || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

// ── SQLite ────────────────────────────────────────────────────────────────────────────────

/**
 * better-sqlite3 is synchronous, so a statement runs at once; only a transaction whose callback
 * awaits something else than its own statements lets other work in. Transactions queue on one
 * promise chain, and a statement on the outer handle waits while a transaction is open (it would
 * otherwise run inside it). A statement on the outer handle from inside a transaction's callback
 * would wait for ever, so it is refused with an error naming the mistake.
 */
export function sqliteSql(db: Database.Database, describe: string): Sql {
  const statements = new Map<string, Database.Statement>();
  const prepare = (text: string) => {
    let stmt = statements.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      statements.set(text, stmt);
      if (statements.size > 500) statements.delete(statements.keys().next().value!);
    }
    return stmt;
  };
  const inTx = new AsyncLocalStorage<boolean>();
  const state = { tail: Promise.resolve() as Promise<unknown>, busy: false };

  const direct = {
    all: <T>(text: string, params: readonly SqlValue[] = []) => prepare(text).all(...params) as T[],
    get: <T>(text: string, params: readonly SqlValue[] = []) => prepare(text).get(...params) as T | undefined,
    run: (text: string, params: readonly SqlValue[] = []) => ({ changes: prepare(text).run(...params).changes }),
  };
  const committed: (() => void)[] = [];
  const tx: SqlTx = {
    engine: 'sqlite',
    all: async (text, params) => direct.all(text, params),
    get: async (text, params) => direct.get(text, params),
    run: async (text, params) => direct.run(text, params),
    lock: async () => {},
    afterCommit: (fn) => {
      committed.push(fn);
    },
  };

  /** Runs `fn` once no transaction is open: at once when none is (the common case). */
  function outside<T>(fn: () => T): Promise<T> {
    if (inTx.getStore()) return Promise.reject(new CodedError('store_failed', 'a statement on the outer database handle inside a transaction (use the transaction\'s handle)'));
    if (!state.busy) {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return state.tail.then(() => (state.busy ? outside(fn) : fn()));
  }

  function begin<T>(kind: 'IMMEDIATE' | 'DEFERRED', fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    if (inTx.getStore()) return Promise.reject(new CodedError('store_failed', 'a transaction inside a transaction (pass the open transaction\'s handle down instead)'));
    const run = async (): Promise<T> => {
      state.busy = true;
      try {
        db.exec(`BEGIN ${kind}`);
        try {
          const value = await inTx.run(true, () => fn(tx));
          db.exec('COMMIT');
          runAll(committed.splice(0));
          return value;
        } catch (err) {
          committed.length = 0;
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        state.busy = false;
      }
    };
    const result = state.tail.then(run, run);
    state.tail = result.catch(() => undefined);
    return result;
  }

  return {
    engine: 'sqlite',
    describe,
    all: (text, params) => outside(() => direct.all(text, params)),
    get: (text, params) => outside(() => direct.get(text, params)),
    run: (text, params) => outside(() => direct.run(text, params)),
    transaction: (fn) => begin('IMMEDIATE', fn),
    snapshot: (fn) => begin('DEFERRED', fn),
    ping: () => outside(() => {
      db.prepare('SELECT 1').get();
    }),
    poolUse: () => null,
    get open() {
      return db.open;
    },
    async close() {
      await state.tail;
      if (db.open) db.close();
    },
    sqlite: db,
    pool: null,
    schema: null,
  };
}

// ── PostgreSQL ────────────────────────────────────────────────────────────────────────────

/** A short, stable name per statement text: pg prepares a named statement once per connection. */
const statementName = (text: string) => `p_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

function pgQueries(client: () => Pool | PoolClient): SqlQueries {
  const query = async (text: string, params: readonly SqlValue[] = []) => {
    const pgText = toPgPlaceholders(text);
    return client().query({ name: statementName(pgText), text: pgText, values: params as SqlValue[] });
  };
  return {
    all: async <T>(text: string, params?: readonly SqlValue[]) => (await query(text, params)).rows as T[],
    get: async <T>(text: string, params?: readonly SqlValue[]) => (await query(text, params)).rows[0] as T | undefined,
    run: async (text, params) => ({ changes: (await query(text, params)).rowCount ?? 0 }),
  };
}

/**
 * `pool` must come from `createPgPool` (pg-connect.ts): 64-bit integers (COUNT, BIGSERIAL) read as
 * numbers. Advisory locks are keyed by the schema too, so two installs (or two test schemas) on
 * one server never wait on each other.
 */
export function postgresSql(pool: Pool, describe: string, schema: string): Sql {
  const state = { open: true };
  const outer = pgQueries(() => pool);

  async function begin<T>(mode: string, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const q = pgQueries(() => client);
    const committed: (() => void)[] = [];
    const tx: SqlTx = {
      engine: 'postgres',
      ...q,
      lock: async (name) => {
        await client.query({ name: 'picbot_xact_lock', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [advisoryKey(`${schema}:${name}`)] });
      },
      afterCommit: (fn) => {
        committed.push(fn);
      },
    };
    let broken: unknown = undefined;
    try {
      await client.query(`BEGIN${mode}`);
      try {
        const value = await fn(tx);
        await client.query('COMMIT');
        runAll(committed);
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr;
        });
        throw err;
      }
    } catch (err) {
      // A connection that failed mid-transaction is not handed out again.
      broken ??= isConnectionError(err) ? err : undefined;
      throw err;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  return {
    engine: 'postgres',
    describe,
    ...outer,
    transaction: (fn) => begin('', fn),
    snapshot: (fn) => begin(' ISOLATION LEVEL REPEATABLE READ READ ONLY', fn),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    get open() {
      return state.open;
    },
    async close() {
      if (!state.open) return;
      state.open = false;
      await pool.end();
    },
    sqlite: null,
    pool,
    schema,
  };
}

/** After-commit callbacks: one that throws must not undo the commit nor stop the others. */
function runAll(fns: (() => void)[]): void {
  for (const fn of fns) {
    try {
      fn();
    } catch {
      // The callback's own business (it logs); the transaction stands.
    }
  }
}

/** Errors that mean the connection (not the statement) failed: the database is unreachable. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Node's socket errors, and PostgreSQL's class 08 (connection exception) and 57P0x (shutdown).
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(err.message);
}

/**
 * Whether `err` means the database could not be reached: a connection error itself, or one
 * wrapped by a store (a CodedError 'store_failed' whose `cause` is one), a few causes deep.
 * A turn that failed this way is answered "picbot cannot reach its database right now"
 * (docs/deploy.md, When the database is away).
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (isConnectionError(current)) return true;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return false;
}
