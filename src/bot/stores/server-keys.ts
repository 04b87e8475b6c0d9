/** Server-side secrets generated at first start and kept in SQLite (never configuration). */
import type { Clock } from '../../shared/clock';
import type { ServerKeyStore } from '../workflows/ports';
import type { Db } from './db';

export function createServerKeyStore(db: Db, clock: Clock): ServerKeyStore {
  const insert = db.prepare('INSERT OR IGNORE INTO server_keys (name, value, created_at) VALUES (?, ?, ?)');
  const select = db.prepare('SELECT value FROM server_keys WHERE name = ?');
  return {
    async getOrCreate(name, make) {
      const existing = select.get(name) as { value: string } | undefined;
      if (existing) return existing.value;
      // INSERT OR IGNORE then read back: if another process won the race, its value is kept.
      insert.run(name, make(), clock.now().toISOString());
      return (select.get(name) as { value: string }).value;
    },
  };
}
