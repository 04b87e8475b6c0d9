/**
 * The ChatNotifier port: proactive send/update into a conversation the bot has seen, through
 * the stored conversation reference (so it works after a restart).
 */
import type { CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import { CodedError } from '../../shared/errors';
import type { ChatNotifier, ConversationRefStore } from '../workflows/ports';
import { replyActivity } from './cards';

export function createChatNotifier(adapter: CloudAdapter, refs: ConversationRefStore, appId: string | null): ChatNotifier {
  async function inConversation<T>(conversationId: string, doing: string, work: (context: TurnContext) => Promise<T>): Promise<T> {
    const reference = await refs.get(conversationId);
    if (!reference) throw new CodedError('not_found', `${doing}: picbot has no conversation reference for ${conversationId} (it must see a message there first)`);
    let result: T | undefined;
    await adapter.continueConversationAsync(appId ?? '', reference as Partial<ConversationReference>, async (context) => {
      result = await work(context);
    });
    return result as T;
  }

  return {
    async send(conversationId, card) {
      return inConversation(conversationId, 'sending a card', async (context) => {
        const sent = await context.sendActivity(replyActivity({ card }));
        return sent?.id ?? '';
      });
    },
    async update(conversationId, activityId, card) {
      await inConversation(conversationId, `updating card ${activityId}`, async (context) => {
        await context.updateActivity({ ...replyActivity({ card }), id: activityId });
      });
    },
  };
}
