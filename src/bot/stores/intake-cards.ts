/** IntakeCardStore: the message that holds each intake's live card. */
import { asCodedError } from '../../shared/errors';
import type { CardRef, IntakeCardStore } from '../workflows/ports';
import type { Sql } from './sql';

export function createIntakeCardStore(sql: Sql): IntakeCardStore {
  const move = (draftId: string, card: CardRef, at: string) => sql.transaction(async (tx): Promise<CardRef | null> => {
    // Two instances moving one intake's card: the second reads the first's message as "before".
    await tx.lock(`intake-card:${draftId}`);
    const row = await tx.get<{ conversation_id: string; activity_id: string }>('SELECT conversation_id, activity_id FROM intake_cards WHERE draft_id = ?', [draftId]);
    await tx.run(`INSERT INTO intake_cards (draft_id, conversation_id, activity_id, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(draft_id) DO UPDATE SET conversation_id = excluded.conversation_id, activity_id = excluded.activity_id, updated_at = excluded.updated_at`, [draftId, card.conversationId, card.activityId, at]);
    return row ? { conversationId: row.conversation_id, activityId: row.activity_id } : null;
  });
  return {
    async moveTo(draftId, card, at) {
      try {
        return await move(draftId, card, at);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `recording the card of intake ${draftId}`);
      }
    },
  };
}
