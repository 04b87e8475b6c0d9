/**
 * One live card per intake: the message that shows an intake's card is recorded, and when the
 * intake is shown in another message (Resume, "resume"), the older copy is replaced, through the
 * card scheduler, by a card without buttons that points to the newer one. An older copy left with
 * live buttons would let the admin fill in the same intake in two places.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { endedCard } from '../views/common';
import type { CardScheduler } from '../workflows/card-scheduler';
import type { CardRef, IntakeCardStore, IntakeDraft } from '../workflows/ports';

/** Records that the draft's card is now shown in `card`, and retires the copy shown before. Never rejects. */
export type ShowDraft = (draft: IntakeDraft, card: CardRef) => Promise<void>;

export function createLiveIntakeCard(deps: { store: IntakeCardStore; cards: CardScheduler; clock: Clock; logger: Logger }): ShowDraft {
  return async (draft, card) => {
    try {
      const before = await deps.store.moveTo(draft.id, card, deps.clock.now().toISOString());
      if (!before || (before.conversationId === card.conversationId && before.activityId === card.activityId)) return;
      deps.cards.update(before, async () => endedCard(`Intake for ${draft.targetLabel} continues below`, [
        `This is an older copy of the card of intake ${draft.id}: it goes on in the newer card further down the chat.`,
      ], false));
    } catch (err) {
      // The intake goes on in the new card either way; only the old copy keeps its buttons.
      deps.logger.warn({ err, draftId: draft.id }, 'recording the intake card failed; an older copy may stay up');
    }
  };
}

/** Where an action's card is: the clicked message, when Teams names it. */
export const clickedCard = (turn: { conversation: { id: string }; messageId: string | null }): CardRef | null =>
  (turn.messageId ? { conversationId: turn.conversation.id, activityId: turn.messageId } : null);
