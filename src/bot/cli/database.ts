/**
 * The server's SQLite file for the CLI commands that read or change it (audit, request export,
 * runner-token, runner list|revoke): --db, else PICBOT_DB (environment or .env), else
 * ./data/picbot.db. It must exist: opening a wrong path would create a fresh, empty database,
 * and the command would then find nothing, call an empty audit chain intact, or make a runner
 * token no server will ever accept.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../../shared/clock';
import { auditKeyFileFor, loadConfig } from '../config';
import { auditScheme, createAuditLog, type KeyedAuditLog } from '../stores/audit-log';
import { openDatabase, type Db } from '../stores/db';
import { loadAuditKey } from '../stores/key-files';

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

/** Opens the server's existing database (see existingDatabasePath), hands it to use with its path, and closes it after. */
export async function withExistingDatabase<T>(dbFlag: string | undefined, use: (db: Db, path: string) => Promise<T>): Promise<T> {
  const path = existingDatabasePath(dbFlag);
  const db = openDatabase(path);
  try {
    return await use(db, path);
  } finally {
    db.close();
  }
}

/**
 * The audit log of a database opened by a CLI command, under the audit key (auditKeyFileFor):
 * never creates a key, and refuses a chain that the server has not re-keyed yet.
 */
export function auditLogFor(db: Db, dbPath: string): KeyedAuditLog {
  if (auditScheme(db) === 'sha256') {
    throw new DatabaseMissing(`the audit log of ${dbPath} was written by an older picbot and is not keyed yet: start the picbot server once (it re-keys the chain), then run this again`);
  }
  const { key } = loadAuditKey(auditKeyFileFor(dbPath), false);
  return createAuditLog(db, systemClock, key);
}
