/** Conversation references in SQLite, so proactive messages work after a restart. */
import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import type { ConversationRefStore } from '../workflows/ports';
import type { Db } from './db';

const Reference = z.record(z.string(), z.unknown());

export function createConversationRefStore(db: Db, clock: Clock): ConversationRefStore {
  const upsert = db.prepare(
    `INSERT INTO conversation_refs (conversation_id, reference, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(conversation_id) DO UPDATE SET reference = excluded.reference, updated_at = excluded.updated_at`,
  );
  const select = db.prepare('SELECT reference FROM conversation_refs WHERE conversation_id = ?');
  return {
    async save(conversationId, reference) {
      upsert.run(conversationId, JSON.stringify(reference), clock.now().toISOString());
    },
    async get(conversationId) {
      const row = select.get(conversationId) as { reference: string } | undefined;
      return row ? Reference.parse(JSON.parse(row.reference)) : null;
    },
  };
}
