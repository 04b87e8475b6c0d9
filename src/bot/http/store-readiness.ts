/**
 * /readyz for the server's database (docs/deploy.md, When the database is away): ready when the
 * database answers and has every migration this picbot knows; otherwise 503 with an error that
 * names the database (its URL without the password, or the SQLite path). The database coming
 * and going is logged once per change, not on every probe.
 */
import type { Logger } from '../../shared/logger';
import { pendingStoreMigrations } from '../stores/db';
import type { Sql } from '../stores/sql';
import type { Readiness } from './server';

/** The `ready` of createHttpServer for `db`. */
export function storeReadiness(db: Sql, logger: Logger): () => Promise<Readiness> {
  const seen = { ready: true };
  // Where the database is goes only into the 503's message: a 200 says no more than it needs.
  const database = { engine: db.engine };
  const note = (readiness: Readiness, err?: unknown): Readiness => {
    if (readiness.ready !== seen.ready) {
      if (readiness.ready) logger.info({ database: db.describe }, 'the database answers again: ready');
      else logger.warn({ err, database: db.describe, reason: readiness.message }, 'not ready: the database');
      seen.ready = readiness.ready;
    }
    return readiness;
  };
  return async () => {
    let pending: string[];
    try {
      await db.ping();
      pending = await pendingStoreMigrations(db);
    } catch (err) {
      return note({ ready: false, code: 'store_failed', message: `the database ${db.describe} cannot be reached`, details: { database } }, err);
    }
    if (pending.length > 0) {
      return note({
        ready: false,
        code: 'store_failed',
        message: `the database ${db.describe} is behind (${pending.length} migration${pending.length === 1 ? '' : 's'} pending, first ${pending[0]}): run picbot db migrate`,
        details: { database: { ...database, migrations: 'pending', pending } },
      });
    }
    return note({ ready: true, details: { database: { ...database, migrations: 'current' } } });
  };
}
