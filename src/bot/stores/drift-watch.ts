/** DriftStore: one row per watched target; every JSON column is parsed again on read. */
import type { z } from 'zod';
import { asCodedError, CodedError } from '../../shared/errors';
import { DriftAlert, DriftBaseline, DriftCheck, type DriftStore, type DriftWatchRecord } from '../workflows/drift-ports';
import type { Sql } from './sql';

interface Row {
  target: string;
  baseline: string;
  last_check: string | null;
  alert: string | null;
  updated_at: string;
}

function parseColumn<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CodedError('store_failed', `reading ${what}: not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CodedError('store_failed', `reading ${what}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function toRecord(row: Row): DriftWatchRecord {
  return {
    baseline: parseColumn(DriftBaseline, row.baseline, `the drift baseline of ${row.target}`),
    lastCheck: row.last_check === null ? null : parseColumn(DriftCheck, row.last_check, `the last drift check of ${row.target}`),
    alert: row.alert === null ? null : parseColumn(DriftAlert, row.alert, `the drift card of ${row.target}`),
    updatedAt: row.updated_at,
  };
}

export function createDriftStore(sql: Sql): DriftStore {
  return {
    async get(target) {
      const row = await sql.get<Row>('SELECT * FROM drift_watch WHERE target = ?', [target.toLowerCase()]);
      return row ? toRecord(row) : null;
    },
    async list() {
      return (await sql.all<Row>('SELECT * FROM drift_watch ORDER BY target')).map(toRecord);
    },
    async save(record) {
      try {
        await sql.run(`INSERT INTO drift_watch (target, baseline, last_check, alert, updated_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT(target) DO UPDATE SET baseline = excluded.baseline, last_check = excluded.last_check, alert = excluded.alert, updated_at = excluded.updated_at`, [
          record.baseline.target.toLowerCase(),
          JSON.stringify(record.baseline),
          record.lastCheck ? JSON.stringify(record.lastCheck) : null,
          record.alert ? JSON.stringify(record.alert) : null,
          record.updatedAt,
        ]);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `saving the drift watch of ${record.baseline.target}`);
      }
    },
  };
}
