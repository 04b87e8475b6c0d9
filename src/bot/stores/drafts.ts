/**
 * DraftStore: intake drafts as JSON, one open draft per owner per target label (a partial
 * unique index, case-insensitive), optimistic concurrency by a version column.
 */
import { z } from 'zod';
import { IntakeData, IntakePosition } from '../../core/intake';
import { asCodedError, CodedError } from '../../shared/errors';
import type { DraftStore, DraftUpdate, IntakeDraft } from '../workflows/ports';
import type { Sql } from './sql';

const Row = z.object({
  id: z.string(),
  owner_id: z.string(),
  owner_name: z.string(),
  target_label: z.string(),
  position: IntakePosition,
  data: z.string(),
  state: z.enum(['open', 'closed', 'discarded']),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

function toDraft(raw: unknown): IntakeDraft {
  const parsed = Row.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading an intake draft: the row does not have the expected shape (${parsed.error.issues[0]?.message})`);
  const row = parsed.data;
  const data = IntakeData.safeParse(JSON.parse(row.data));
  if (!data.success) throw new CodedError('store_failed', `reading intake draft ${row.id}: stored data no longer parses (${data.error.issues[0]?.message})`);
  return {
    id: row.id,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    targetLabel: row.target_label,
    position: row.position,
    data: data.data,
    state: row.state,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** SQLite's and PostgreSQL's (23505) unique-constraint errors. */
export const isUniqueViolation = (err: unknown) => ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY', '23505'].includes(String((err as { code?: unknown }).code));

export function createDraftStore(sql: Sql): DraftStore {
  // Labels compare case-insensitively, as the unique index does (ASCII case, on both engines).
  const takenBy = async (ownerId: string, label: string, id: string) =>
    (await sql.get<{ id: string }>(`SELECT id FROM intake_drafts WHERE owner_id = ? AND lower(target_label) = lower(?) AND state = 'open' AND id <> ?`, [ownerId, label, id]))?.id ?? null;

  return {
    async create(draft) {
      try {
        await sql.run(`INSERT INTO intake_drafts
          (id, owner_id, owner_name, target_label, position, data, state, version, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, 'open', 1, ?, ?)`, [draft.id, draft.ownerId, draft.ownerName, draft.targetLabel, draft.position, JSON.stringify(draft.data), draft.createdAt, draft.updatedAt]);
        return { ok: true, draft: { ...draft, state: 'open', version: 1 } };
      } catch (err) {
        const openId = isUniqueViolation(err) ? await takenBy(draft.ownerId, draft.targetLabel, draft.id) : null;
        if (openId) return { ok: false, openId };
        throw asCodedError(err, 'store_failed', `creating intake draft ${draft.id}`);
      }
    },

    async get(id) {
      const row = await sql.get('SELECT * FROM intake_drafts WHERE id = ?', [id]);
      return row === undefined ? null : toDraft(row);
    },

    async listOpen(ownerId) {
      return (await sql.all(`SELECT * FROM intake_drafts WHERE owner_id = ? AND state = 'open' ORDER BY updated_at DESC, id`, [ownerId])).map(toDraft);
    },

    async update(draft): Promise<DraftUpdate> {
      try {
        const r = await sql.run(`UPDATE intake_drafts SET owner_name = ?, target_label = ?, position = ?,
          data = ?, state = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
        [draft.ownerName, draft.targetLabel, draft.position, JSON.stringify(draft.data), draft.state, draft.updatedAt, draft.id, draft.version]);
        if (r.changes === 0) return { ok: false, reason: 'stale' };
        return { ok: true, draft: { ...draft, version: draft.version + 1 } };
      } catch (err) {
        const openId = isUniqueViolation(err) ? await takenBy(draft.ownerId, draft.targetLabel, draft.id) : null;
        if (openId) return { ok: false, reason: 'target-taken', openId };
        throw asCodedError(err, 'store_failed', `saving intake draft ${draft.id}`);
      }
    },
  };
}
