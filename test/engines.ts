/**
 * The database engine the store tests run on: SQLite (a fresh file per test) in `npm test`, and a
 * real PostgreSQL (a fresh schema per test, dropped after) in `npm run test:pg`, which sets
 * PICBOT_TEST_ENGINE=postgres (jest.pg.config.js). The same store suites run on both, so the two
 * engines answer every port contract alike.
 *
 * PostgreSQL: PICBOT_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test (trust auth on
 * this machine kind). When it does not answer, the test fails and says so: nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openDatabase } from '../src/bot/stores/db';
import type { Migration } from '../src/bot/stores/migrations';
import { openPostgres } from '../src/bot/stores/pg-connect';
import { sqliteSql, type Sql } from '../src/bot/stores/sql';

export type TestEngine = 'sqlite' | 'postgres';

export const TEST_ENGINE: TestEngine = process.env.PICBOT_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
/** How the engine is named in test titles. */
export const ENGINE_NAME = TEST_ENGINE === 'postgres' ? 'PostgreSQL' : 'SQLite';

export const TEST_PG_URL = process.env.PICBOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A URL whose connections use `schema` (the search_path is set at connection start). */
export function urlWithSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL for the tests does not answer at ${TEST_PG_URL} (${(err as Error).message}): start it (.ci/run shows how) or set PICBOT_TEST_PG_URL`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty PostgreSQL schema; `drop` removes it with everything in it. */
export async function freshSchema(): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const schema = `picbot_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
  return {
    schema,
    url: urlWithSchema(TEST_PG_URL, schema),
    drop: () => admin(async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }),
  };
}

export interface TestDatabase {
  sql: Sql;
  engine: TestEngine;
  /** SQLite: the file's path; PostgreSQL: the URL of its schema. */
  where: string;
  /** Closes and removes the database (the file's folder, or the schema). */
  dispose(): Promise<void>;
}

/** A fresh, migrated database on the test engine. */
export async function openTestDatabase(options: { engine?: TestEngine; sqliteMigrations?: Migration[] } = {}): Promise<TestDatabase> {
  const engine = options.engine ?? TEST_ENGINE;
  if (engine === 'postgres') {
    const fresh = await freshSchema();
    try {
      const sql = await openPostgres(fresh.url, { max: 4 });
      return {
        sql, engine, where: fresh.url,
        async dispose() {
          await sql.close();
          await fresh.drop();
        },
      };
    } catch (err) {
      await fresh.drop();
      throw err;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'picbot-store-'));
  const path = join(dir, 'picbot.db');
  const sql = sqliteSql(openDatabase(path, options.sqliteMigrations), path);
  return {
    sql, engine, where: path,
    async dispose() {
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An in-memory SQLite database as the Sql port (unit tests of workflows over real stores). */
export function memorySql(): Sql {
  return sqliteSql(openDatabase(':memory:'), ':memory:');
}

/**
 * Defines the suite `title (SQLite only)` / `title (PostgreSQL only)` on that engine's run only:
 * on the other engine the suite does not exist at all (it is not reported as skipped), for tests
 * of what one engine alone has (SQLite's files, its old schemas; PostgreSQL's TRUNCATE).
 */
export function describeOn(engine: TestEngine, title: string, fn: () => void): void {
  if (TEST_ENGINE !== engine) return;
  describe(`${title} (${engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} only)`, fn);
}

/** A second handle on the same test database, as a restarted server opens it; the caller closes it. */
export async function reopenTestDatabase(db: TestDatabase): Promise<Sql> {
  if (db.engine === 'postgres') return openPostgres(db.where, { max: 4 });
  return sqliteSql(openDatabase(db.where), db.where);
}
