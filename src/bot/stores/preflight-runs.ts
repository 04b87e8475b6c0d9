/** PreflightRunStore: the latest preflight run of each request, parsed again on read. */
import { PreflightRun } from '../preflight/port';
import { asCodedError, CodedError } from '../../shared/errors';
import type { PreflightRunStore } from '../workflows/preflight';
import type { Sql } from './sql';

export function createPreflightRunStore(sql: Sql): PreflightRunStore {
  return {
    async saveLatest(requestId, run) {
      try {
        await sql.run(`INSERT INTO preflight_runs (request_id, ran_at, results) VALUES (?, ?, ?)
          ON CONFLICT(request_id) DO UPDATE SET ran_at = excluded.ran_at, results = excluded.results`, [requestId, run.ranAt, JSON.stringify(run.results)]);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `saving the preflight results of ${requestId}`);
      }
    },
    async latest(requestId) {
      const row = await sql.get<{ ran_at: string; results: string }>('SELECT ran_at, results FROM preflight_runs WHERE request_id = ?', [requestId]);
      if (!row) return null;
      let results: unknown;
      try {
        results = JSON.parse(row.results);
      } catch {
        throw new CodedError('store_failed', `reading the preflight results of ${requestId}: not JSON`);
      }
      const parsed = PreflightRun.safeParse({ ranAt: row.ran_at, results });
      if (!parsed.success) throw new CodedError('store_failed', `reading the preflight results of ${requestId}: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    },
  };
}
