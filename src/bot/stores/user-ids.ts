/** Entra object id → Teams user id, learned from activities (for `refresh.userIds`). */
import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import type { KnownUser, UserIdStore } from '../workflows/ports';
import type { Sql } from './sql';

const Row = z.object({ aad_object_id: z.string(), teams_user_id: z.string(), name: z.string() });

const toUser = (row: unknown): KnownUser => {
  const r = Row.parse(row);
  return { aadObjectId: r.aad_object_id, teamsUserId: r.teams_user_id, name: r.name };
};

const UPSERT = `INSERT INTO user_ids (aad_object_id, teams_user_id, name, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(aad_object_id) DO UPDATE SET teams_user_id = excluded.teams_user_id, name = excluded.name, updated_at = excluded.updated_at
     WHERE user_ids.teams_user_id <> excluded.teams_user_id OR user_ids.name <> excluded.name`;
const SELECT = 'SELECT aad_object_id, teams_user_id, name FROM user_ids WHERE aad_object_id = ?';

export function createUserIdStore(sql: Sql, clock: Clock): UserIdStore {
  return {
    async remember(user) {
      // Object ids are GUIDs; keep one spelling so lookups from PICBOT_APPROVERS match.
      await sql.run(UPSERT, [user.aadObjectId.toLowerCase(), user.teamsUserId, user.name, clock.now().toISOString()]);
    },
    async get(aadObjectId) {
      const row = await sql.get(SELECT, [aadObjectId.toLowerCase()]);
      return row ? toUser(row) : null;
    },
    async teamsUserIds(aadObjectIds) {
      const out: string[] = [];
      for (const id of aadObjectIds) {
        const row = await sql.get(SELECT, [id.toLowerCase()]);
        if (row) out.push(toUser(row).teamsUserId);
      }
      return out;
    },
  };
}
