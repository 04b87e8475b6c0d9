/** Conversation references in the database, so proactive messages work after a restart. */
import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import type { ConversationRefStore } from '../workflows/ports';
import type { Sql } from './sql';

const Reference = z.record(z.string(), z.unknown());

export function createConversationRefStore(sql: Sql, clock: Clock): ConversationRefStore {
  return {
    async save(conversationId, reference) {
      await sql.run(
        `INSERT INTO conversation_refs (conversation_id, reference, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(conversation_id) DO UPDATE SET reference = excluded.reference, updated_at = excluded.updated_at`,
        [conversationId, JSON.stringify(reference), clock.now().toISOString()],
      );
    },
    async get(conversationId) {
      const row = await sql.get<{ reference: string }>('SELECT reference FROM conversation_refs WHERE conversation_id = ?', [conversationId]);
      if (row) return Reference.parse(JSON.parse(row.reference));
      // A Teams channel (PICBOT_APPROVALS_CONVERSATION is a channel id) is only ever seen as its
      // threads, `<channel id>;messageid=<root>`: any thread's reference, pointed at the channel
      // itself and at no message, posts a new message in the channel.
      if (conversationId.includes(';')) return null;
      const prefix = `${conversationId};messageid=`;
      const thread = await sql.get<{ reference: string }>('SELECT reference FROM conversation_refs WHERE substr(conversation_id, 1, ?) = ? ORDER BY updated_at DESC LIMIT 1', [prefix.length, prefix]);
      if (!thread) return null;
      const { activityId: _activityId, ...reference } = Reference.parse(JSON.parse(thread.reference));
      const conversation = typeof reference.conversation === 'object' && reference.conversation !== null ? reference.conversation : {};
      return { ...reference, conversation: { ...conversation, id: conversationId } };
    },
  };
}
