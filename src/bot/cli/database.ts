/**
 * The server's database for the CLI commands that read or change it (audit, request export,
 * runner-token, runner list|revoke, keys, drift): --db FILE names a SQLite file; without it,
 * PICBOT_DATABASE_URL (environment or .env) names the PostgreSQL the instances share, else
 * PICBOT_DB, else ./data/picbot.db. A SQLite file must exist: opening a wrong path would create a
 * fresh, empty database, and the command would then find nothing, call an empty audit chain
 * intact, or make a runner token no server will ever accept. A PostgreSQL must already be
 * migrated by a server or `picbot db migrate`, for the same reason.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../../shared/clock';
import { auditKeyFileFor, loadConfig, readEnvironment } from '../config';
import { auditScheme, createAuditLog, type KeyedAuditLog } from '../stores/audit-log';
import { openDatabase, openDatabaseReadOnly } from '../stores/db';
import { loadAuditKey } from '../stores/key-files';
import { openPostgres, redactUrl } from '../stores/pg-connect';
import { sqliteSql, type Sql } from '../stores/sql';

export class DatabaseMissing extends Error {}

/** The absolute path of the server's database; throws DatabaseMissing when there is no such file. */
export function existingDatabasePath(dbFlag: string | undefined): string {
  const path = resolve(dbFlag ?? loadConfig().dbPath);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    throw new DatabaseMissing(
      `no picbot database at ${path}: run this command in the picbot server's folder (where it keeps data/picbot.db), or pass --db FILE (or set PICBOT_DB) to name the server's database`,
    );
  }
  return path;
}

/** The database a CLI command works on: `where` is the SQLite path or the URL without its password. */
export interface CliDatabase {
  sql: Sql;
  where: string;
}

/** PICBOT_DATABASE_URL unless --db names a file (a copy, an archive), read as the server reads it. */
function databaseUrl(dbFlag: string | undefined): string | null {
  if (dbFlag !== undefined) return null;
  const raw = readEnvironment().PICBOT_DATABASE_URL?.trim();
  if (!raw) return null;
  return loadConfig().databaseUrl;
}

/**
 * Opens the server's existing database (SQLite: see existingDatabasePath; read-only opens leave
 * the file exactly as they found it).
 */
export async function openExistingDatabase(dbFlag: string | undefined, options: { readOnly?: boolean } = {}): Promise<CliDatabase> {
  const url = databaseUrl(dbFlag);
  if (url !== null) {
    try {
      return { sql: await openPostgres(url, { migrate: false, max: 2 }), where: redactUrl(url) };
    } catch (err) {
      throw new DatabaseMissing((err as Error).message);
    }
  }
  const path = existingDatabasePath(dbFlag);
  return { sql: sqliteSql(options.readOnly ? openDatabaseReadOnly(path) : openDatabase(path), path), where: path };
}

/** Opens the server's existing database (see openExistingDatabase), hands it to use with where it is, and closes it after. */
export async function withExistingDatabase<T>(dbFlag: string | undefined, use: (db: Sql, where: string) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  const { sql, where } = await openExistingDatabase(dbFlag, options);
  try {
    return await use(sql, where);
  } finally {
    await sql.close();
  }
}

/** The database path the default key files sit beside (PostgreSQL: none; the variables are required). */
export const keysBeside = (db: Sql, where: string): string => (db.engine === 'sqlite' ? where : resolve('data', 'picbot.db'));

/**
 * The audit log of a database opened by a CLI command, under the audit key (auditKeyFileFor;
 * PICBOT_AUDIT_KEY_FILE with PostgreSQL): never creates a key, and refuses a chain that the
 * server has not re-keyed yet.
 */
export async function auditLogFor(db: Sql, where: string): Promise<KeyedAuditLog> {
  if ((await auditScheme(db)) === 'sha256') {
    throw new DatabaseMissing(`the audit log of ${where} was written by an older picbot and is not keyed yet: start the picbot server once (it re-keys the chain), then run this again`);
  }
  if (db.engine === 'postgres' && !readEnvironment().PICBOT_AUDIT_KEY_FILE?.trim()) {
    throw new DatabaseMissing('PICBOT_AUDIT_KEY_FILE: required with PICBOT_DATABASE_URL (the audit key file the server instances use)');
  }
  const { key } = loadAuditKey(auditKeyFileFor(keysBeside(db, where)), false);
  return createAuditLog(db, systemClock, key);
}
