/** RequestStore: provisioning request records, the request itself as JSON. */
import { z } from 'zod';
import { ProvisioningRequest } from '../../core/request';
import { RequestStatus } from '../../core/request-record';
import { asCodedError, CodedError } from '../../shared/errors';
import type { RequestRecord, RequestStore } from '../workflows/ports';
import type { Sql } from './sql';

const Row = z.object({
  id: z.string(),
  owner_id: z.string(),
  owner_name: z.string(),
  target_label: z.string(),
  body: z.string(),
  status: RequestStatus,
  submitted_on: z.string().nullable(),
  active_on: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

function toRecord(raw: unknown): RequestRecord {
  const parsed = Row.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading a request record: the row does not have the expected shape (${parsed.error.issues[0]?.message})`);
  const row = parsed.data;
  const request = ProvisioningRequest.safeParse(JSON.parse(row.body));
  if (!request.success) throw new CodedError('store_failed', `reading request ${row.id}: stored request no longer parses (${request.error.issues[0]?.message})`);
  return {
    id: row.id,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    request: request.data,
    status: row.status,
    submittedOn: row.submitted_on,
    activeOn: row.active_on,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UPSERT = `INSERT INTO requests
  (id, owner_id, owner_name, target_label, body, status, submitted_on, active_on, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(id) DO UPDATE SET owner_name = excluded.owner_name, target_label = excluded.target_label,
    body = excluded.body, status = excluded.status, submitted_on = excluded.submitted_on,
    active_on = excluded.active_on, updated_at = excluded.updated_at`;

export function createRequestStore(sql: Sql): RequestStore {
  return {
    async save(record) {
      try {
        await sql.run(UPSERT, [record.id, record.ownerId, record.ownerName, record.request.target.label, JSON.stringify(record.request), record.status, record.submittedOn, record.activeOn, record.createdAt, record.updatedAt]);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `saving request ${record.id}`);
      }
    },

    async get(id) {
      const row = await sql.get('SELECT * FROM requests WHERE id = ?', [id]);
      return row === undefined ? null : toRecord(row);
    },

    async list(options = {}) {
      return (await sql.all('SELECT * FROM requests ORDER BY updated_at DESC, id LIMIT ?', [options.limit ?? 50])).map(toRecord);
    },
  };
}
