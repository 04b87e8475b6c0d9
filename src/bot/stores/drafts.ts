/**
 * SQLite DraftStore: intake drafts as JSON, one open draft per owner per target label (a partial
 * unique index, case-insensitive), optimistic concurrency by a version column.
 */
import { z } from 'zod';
import { IntakeData, IntakePosition } from '../../core/intake';
import { asCodedError, CodedError } from '../../shared/errors';
import type { DraftStore, DraftUpdate, IntakeDraft } from '../workflows/ports';
import type { Db } from './db';

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

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export function createDraftStore(db: Db): DraftStore {
  const insert = db.prepare(`INSERT INTO intake_drafts
    (id, owner_id, owner_name, target_label, position, data, state, version, created_at, updated_at)
    VALUES (@id, @ownerId, @ownerName, @targetLabel, @position, @data, 'open', 1, @createdAt, @updatedAt)`);
  const byId = db.prepare('SELECT * FROM intake_drafts WHERE id = ?');
  const openFor = db.prepare(`SELECT * FROM intake_drafts WHERE owner_id = ? AND state = 'open' ORDER BY updated_at DESC, id`);
  const openForLabel = db.prepare(`SELECT id FROM intake_drafts WHERE owner_id = ? AND target_label = ? COLLATE NOCASE AND state = 'open' AND id <> ?`);
  const update = db.prepare(`UPDATE intake_drafts SET owner_name = @ownerName, target_label = @targetLabel, position = @position,
    data = @data, state = @state, version = version + 1, updated_at = @updatedAt WHERE id = @id AND version = @version`);

  const takenBy = (ownerId: string, label: string, id: string) =>
    (openForLabel.get(ownerId, label, id) as { id: string } | undefined)?.id ?? null;

  return {
    async create(draft) {
      try {
        insert.run({ ...draft, data: JSON.stringify(draft.data) });
        return { ok: true, draft: { ...draft, state: 'open', version: 1 } };
      } catch (err) {
        const openId = isUniqueViolation(err) ? takenBy(draft.ownerId, draft.targetLabel, draft.id) : null;
        if (openId) return { ok: false, openId };
        throw asCodedError(err, 'store_failed', `creating intake draft ${draft.id}`);
      }
    },

    async get(id) {
      const row = byId.get(id);
      return row === undefined ? null : toDraft(row);
    },

    async listOpen(ownerId) {
      return openFor.all(ownerId).map(toDraft);
    },

    async update(draft): Promise<DraftUpdate> {
      try {
        const r = update.run({ ...draft, data: JSON.stringify(draft.data) });
        if (r.changes === 0) return { ok: false, reason: 'stale' };
        return { ok: true, draft: { ...draft, version: draft.version + 1 } };
      } catch (err) {
        const openId = isUniqueViolation(err) ? takenBy(draft.ownerId, draft.targetLabel, draft.id) : null;
        if (openId) return { ok: false, reason: 'target-taken', openId };
        throw asCodedError(err, 'store_failed', `saving intake draft ${draft.id}`);
      }
    },
  };
}
