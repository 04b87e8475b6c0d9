/** SQLite IntakeCardStore: the message that holds each intake's live card. */
import { asCodedError } from '../../shared/errors';
import type { CardRef, IntakeCardStore } from '../workflows/ports';
import type { Db } from './db';

export function createIntakeCardStore(db: Db): IntakeCardStore {
  const byId = db.prepare('SELECT conversation_id, activity_id FROM intake_cards WHERE draft_id = ?');
  const upsert = db.prepare(`INSERT INTO intake_cards (draft_id, conversation_id, activity_id, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT(draft_id) DO UPDATE SET conversation_id = excluded.conversation_id, activity_id = excluded.activity_id, updated_at = excluded.updated_at`);
  const move = db.transaction((draftId: string, card: CardRef, at: string): CardRef | null => {
    const row = byId.get(draftId) as { conversation_id: string; activity_id: string } | undefined;
    upsert.run(draftId, card.conversationId, card.activityId, at);
    return row ? { conversationId: row.conversation_id, activityId: row.activity_id } : null;
  });
  return {
    async moveTo(draftId, card, at) {
      try {
        return move(draftId, card, at);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `recording the card of intake ${draftId}`);
      }
    },
  };
}
