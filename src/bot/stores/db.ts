import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CodedError } from '../../shared/errors';
import { MIGRATIONS, type Migration } from './migrations';
import { sqliteSql, type Sql } from './sql';

export type Db = Database.Database;

/** Where picbot keeps its state: PICBOT_DATABASE_URL (PostgreSQL) when set, else the SQLite file. */
export interface StoreSetting {
  dbPath: string;
  databaseUrl: string | null;
}

/**
 * Opens the store the configuration names, migrated: PostgreSQL when `databaseUrl` is set (several
 * instances share it), else the SQLite file (one process). Errors name the variable to fix.
 */
export async function openStore(setting: StoreSetting, options: { migrate?: boolean } = {}): Promise<Sql> {
  if (setting.databaseUrl !== null) {
    // Loaded only here: pg costs a SQLite install some 15 MB of memory it would never use.
    const { isPostgresUrl, openPostgres } = await import('./pg-connect');
    if (!isPostgresUrl(setting.databaseUrl)) throw new CodedError('config_invalid', 'PICBOT_DATABASE_URL: expected a postgres:// or postgresql:// URL');
    return openPostgres(setting.databaseUrl, { migrate: options.migrate });
  }
  return sqliteSql(openDatabase(setting.dbPath), setting.dbPath);
}

/**
 * The migrations this picbot knows that the open database has not applied (its engine's list):
 * none on a database a server of this release opened. /readyz and `picbot doctor` report them.
 */
export async function pendingStoreMigrations(sql: Sql): Promise<string[]> {
  if (sql.engine === 'postgres') return (await import('./pg-connect')).pendingMigrations(sql);
  const table = await sql.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!table) return MIGRATIONS.map((m) => m.id);
  const applied = new Set((await sql.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  return MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => m.id);
}

/**
 * Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations.
 * The file holds runner token hashes, conversation references and the audit log (the keys live in
 * files beside it, key-files.ts), so on POSIX the folder picbot creates is 0700 and the database
 * with its -wal/-shm files is 0600.
 */
export function openDatabase(path: string, migrations: Migration[] = MIGRATIONS, platform: NodeJS.Platform = process.platform): Db {
  return openDatabaseMigrating(path, migrations, platform).db;
}

/** openDatabase, also telling which migrations this call applied (`picbot db migrate` prints them). */
export function openDatabaseMigrating(path: string, migrations: Migration[] = MIGRATIONS, platform: NodeJS.Platform = process.platform): { db: Db; applied: string[] } {
  const onDisk = path !== ':memory:' && path !== '';
  const posix = platform !== 'win32';
  if (onDisk) {
    try {
      // mode applies only to the folders this call creates; an existing folder is the admin's choice.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Create the file owner-only before SQLite opens it: SQLite gives -wal/-shm the database's mode.
      if (posix && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    } catch (err) {
      throw new CodedError('store_failed', `creating SQLite database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new CodedError('store_failed', `opening SQLite database ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    if (onDisk && posix) restrictModes(path);
    return { db, applied: migrate(db, migrations) };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens an existing database read-only, with no migration and no chmod: for the commands that
 * only read (audit verify, audit export), which must leave the file exactly as they found it.
 * Throws when the file was last written by an older picbot (its schema lacks `latest`).
 */
export function openDatabaseReadOnly(path: string, migrations: Migration[] = MIGRATIONS): Db {
  let db: Db;
  try {
    if (existsSync(`${path}-wal`)) {
      // A server has it open (WAL mode keeps a -wal file beside it): read through SQLite so the
      // rows still in the WAL count; the -wal and -shm files are the server's and exist already.
      db = new Database(path, { readonly: true, fileMustExist: true });
    } else {
      // No writer: read a copy in memory, so not even a -shm file appears beside it (a 0444
      // archived copy stays exactly as it was). Bytes 18-19 of the header say WAL (2); an
      // in-memory copy has no WAL, so they are set to the rollback journal (1) in the copy only.
      // https://www.sqlite.org/fileformat2.html#the_database_header
      const bytes = readFileSync(path);
      if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
        bytes[18] = 1;
        bytes[19] = 1;
      }
      db = new Database(bytes, { readonly: true });
    }
  } catch (err) {
    throw new CodedError('store_failed', `opening SQLite database ${path} read-only: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('busy_timeout = 5000');
    const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
    const missing = migrations.find((m) => !applied.has(m.id));
    if (missing) throw new CodedError('store_failed', `${path} was last opened by an older picbot (schema ${missing.id} not applied): start the picbot server once to upgrade it, then run this again`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** chmod 0600 the database and the WAL files that exist (a file made by an older picbot was 0644). */
function restrictModes(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOENT: no WAL yet. EPERM: another account's file (e.g. a CLI run by a second admin);
      // its owner keeps the mode they chose, and reading it needs their permission anyway.
      if (code === 'ENOENT' || code === 'EPERM') continue;
      throw new CodedError('store_failed', `making ${file} readable by its owner only: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Applies the pending migrations, each in its own write transaction that checks again that it is
 * still pending: a server starting while `picbot db migrate` runs applies each one once.
 * Returns the ids this call applied.
 */
function migrate(db: Db, migrations: Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  const done: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      if (isApplied.get(m.id) !== undefined) return;
      db.exec(m.sql);
      record.run(m.id, new Date().toISOString());
      done.push(m.id);
    }).immediate();
  }
  return done;
}
