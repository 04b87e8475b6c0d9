/**
 * Opening the store: the SQLite file (it holds runner token hashes, conversation references and
 * the audit log) gets owner-only modes on POSIX; PostgreSQL is migrated once under its lock, even
 * by two instances starting together, and a bad PICBOT_DATABASE_URL is an error naming it.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, openStore } from '../../../../src/bot/stores/db';
import { PG_MIGRATIONS } from '../../../../src/bot/stores/migrations-pg';
import { migratePostgres, openPostgres } from '../../../../src/bot/stores/pg-connect';
import { describeOn, freshSchema, TEST_PG_URL } from '../../../engines';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const WAL_FILES = ['picbot.db', 'picbot.db-wal', 'picbot.db-shm'];

describe('PICBOT_DATABASE_URL', () => {
  it.each(['mysql://picbot@127.0.0.1/picbot', '/var/lib/picbot/picbot.db', 'postgres:/127.0.0.1/picbot'])('refuses %s, naming the variable', async (url) => {
    await expect(openStore({ dbPath: join(dir, 'picbot.db'), databaseUrl: url })).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/^PICBOT_DATABASE_URL: /) });
  });
});

describeOn('sqlite', 'file modes (POSIX)', () => {
  it('a new database in a folder picbot creates: folder 0700, database and WAL files 0600', () => {
    const folder = join(dir, 'data', 'nested');
    const db = openDatabase(join(folder, 'picbot.db'), undefined, 'linux');
    try {
      db.prepare('INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)').run('k', 'PRIVATE KEY', 'now');
      expect(modeOf(join(dir, 'data'))).toBe(0o700);
      expect(modeOf(folder)).toBe(0o700);
      for (const file of WAL_FILES) expect([file, modeOf(join(folder, file))]).toEqual([file, 0o600]);
    } finally {
      db.close();
    }
  });

  it('an existing 0644 database and its WAL files become 0600; an existing folder keeps its mode', () => {
    const folder = join(dir, 'shared');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, 'picbot.db');
    // A database left by an older picbot, with its WAL files still there (not checkpointed).
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    for (const file of WAL_FILES) chmodSync(join(folder, file), 0o644);
    const db = openDatabase(path, undefined, 'linux');
    try {
      for (const file of WAL_FILES) expect([file, modeOf(join(folder, file))]).toEqual([file, 0o600]);
      expect(modeOf(folder)).toBe(0o755);
    } finally {
      db.close();
      old.close();
    }
  });

  it('Windows: no chmod (modes mean nothing there; the folder ACL decides)', () => {
    const path = join(dir, 'picbot.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const db = openDatabase(path, undefined, 'win32');
    db.close();
    expect(modeOf(path)).toBe(0o644);
  });

  it('an in-memory database touches no file', () => {
    const db = openDatabase(':memory:', undefined, 'linux');
    db.close();
    expect(existsSync(':memory:')).toBe(false);
  });
});

describeOn('postgres', 'opening', () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(() => schema.drop());

  const migrated = async (url: string) => {
    const sql = await openStore({ dbPath: join(dir, 'unused.db'), databaseUrl: url });
    try {
      return (await sql.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id);
    } finally {
      await sql.close();
    }
  };

  it('migrates an empty schema once: a second open (a restart) finds nothing left to apply', async () => {
    expect(await migrated(schema.url)).toEqual(PG_MIGRATIONS.map((m) => m.id));
    const again = await openStore({ dbPath: join(dir, 'unused.db'), databaseUrl: schema.url });
    try {
      expect(again.engine).toBe('postgres');
      expect(await migratePostgres(again)).toEqual([]);
      expect(await again.all('SELECT id FROM schema_migrations')).toHaveLength(PG_MIGRATIONS.length);
    } finally {
      await again.close();
    }
  });

  it('two instances starting together on one empty schema apply each migration once, one of them', async () => {
    // Connected first, migrated together: one takes the lock and applies all, the other then finds nothing to do.
    const [a, b] = await Promise.all([openPostgres(schema.url, { migrations: [] }), openPostgres(schema.url, { migrations: [] })]);
    try {
      const applied = await Promise.all([migratePostgres(a), migratePostgres(b)]);
      expect(applied.map((ids) => ids.length).sort()).toEqual([0, PG_MIGRATIONS.length]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(await migrated(schema.url)).toEqual(PG_MIGRATIONS.map((m) => m.id));
  });

  it('a reader (no migrating) refuses a schema that is behind, and says how to upgrade it', async () => {
    await expect(openStore({ dbPath: join(dir, 'unused.db'), databaseUrl: schema.url }, { migrate: false }))
      .rejects.toMatchObject({ code: 'store_failed', message: expect.stringMatching(/is behind \(schema 0013-intake-cards not applied\): run picbot db migrate/) });
  });

  it('a server that does not answer is an error naming the variable, without the password', async () => {
    const url = new URL(TEST_PG_URL);
    url.username = 'picbot';
    url.password = 'hunter2-secret';
    url.port = '1';
    const err = await openStore({ dbPath: join(dir, 'unused.db'), databaseUrl: url.toString() }).then(() => null, (e: unknown) => e as Error & { code?: string });
    expect(err).toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/^PICBOT_DATABASE_URL: cannot reach postgres:\/\/picbot:\*\*\*@127\.0\.0\.1:1\//) });
    expect(err!.message).not.toContain('hunter2-secret');
  });
});
