/**
 * Teams' per-conversation rate windows shared by every instance on one PostgreSQL
 * (docs/deploy.md, Scale-out on PostgreSQL): each card operation reserves its place in the
 * conversation's windows here before it goes out, under a per-conversation lock, so two
 * instances posting into one conversation together stay within the limits Teams sets. Rows older
 * than the longest window are removed as the conversation is used again.
 */
import type { SharedCardWindows } from '../teams/card-scheduler';
import { windowWait } from '../teams/card-scheduler';
import type { Sql } from './sql';

export function createSharedCardWindows(sql: Sql, now: () => number = Date.now): SharedCardWindows {
  return {
    reserve: (conversationId, limits) => sql.transaction(async (tx) => {
      await tx.lock(`cards:${conversationId}`);
      const at = now();
      const longest = Math.max(...limits.map(([w]) => w));
      await tx.run('DELETE FROM card_ops WHERE conversation_id = ? AND at_ms <= ?', [conversationId, at - longest]);
      const history = (await tx.all<{ at_ms: number }>('SELECT at_ms FROM card_ops WHERE conversation_id = ? ORDER BY at_ms', [conversationId])).map((r) => Number(r.at_ms));
      const wait = windowWait(history, at, limits);
      if (wait === 0) await tx.run('INSERT INTO card_ops (conversation_id, at_ms) VALUES (?, ?)', [conversationId, at]);
      return wait;
    }),
    async note(conversationId) {
      await sql.run('INSERT INTO card_ops (conversation_id, at_ms) VALUES (?, ?)', [conversationId, now()]);
    },
  };
}
