/** Server-side secrets generated at first start and kept in the database (never configuration). */
import type { Clock } from '../../shared/clock';
import type { ServerKeyStore } from '../workflows/ports';
import type { Sql } from './sql';

export function createServerKeyStore(sql: Sql, clock: Clock): ServerKeyStore {
  const select = (name: string) => sql.get<{ value: string }>('SELECT value FROM server_keys WHERE name = ?', [name]);
  return {
    async getOrCreate(name, make) {
      const existing = await select(name);
      if (existing) return existing.value;
      // Insert unless present, then read back: if another process won the race, its value is kept.
      await sql.run('INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, make(), clock.now().toISOString()]);
      return (await select(name))!.value;
    },
  };
}
