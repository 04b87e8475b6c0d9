/**
 * The ConversationRoster port: reads a conversation's members through the Bot Connector
 * (botbuilder's TeamsInfo.getPagedMembers, GET /v3/conversations/{id}/pagedmembers) and stores
 * each member's Entra object id → Teams user id, so `refresh.userIds` can name approvers who never
 * wrote to the bot (both from activities and from the conversation roster).
 * Failures are logged and never passed on: the roster only keeps Teams views current.
 */
import { TeamsInfo, type CloudAdapter, type ConversationReference, type TurnContext } from 'botbuilder';
import type { Logger } from '../../shared/logger';
import type { ConversationRefStore, ConversationRoster, UserIdStore } from '../workflows/ports';

/** Members per page (Teams serves at most 500) and pages read at most (a 10,000-member team). */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

export interface TurnRoster extends ConversationRoster {
  /** The roster of the conversation of an inbound turn (the bot was just added); same rules as `learn`. */
  fromTurn(context: TurnContext): Promise<number>;
}

/**
 * A Teams channel thread (`<channel id>;messageid=<root>`) has no roster of its own: its members
 * are the channel's, so the roster is read for the channel.
 */
const rosterConversation = (conversationId: string) => conversationId.split(';')[0]!;

export function createConversationRoster(adapter: CloudAdapter, refs: ConversationRefStore, userIds: UserIdStore, appId: string | null, logger: Logger): TurnRoster {
  const log = logger.child({ component: 'roster' });

  /** Every page of the context's conversation (its team when the activity names one). */
  async function readPages(context: TurnContext): Promise<number> {
    let stored = 0;
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await TeamsInfo.getPagedMembers(context, PAGE_SIZE, token);
      for (const m of result.members ?? []) {
        if (!m.aadObjectId || !m.id) continue;
        await userIds.remember({ aadObjectId: m.aadObjectId, teamsUserId: m.id, name: m.name ?? '' });
        stored += 1;
      }
      token = result.continuationToken || undefined;
      if (!token) return stored;
    }
    log.warn({ conversationId: context.activity.conversation?.id, pages: MAX_PAGES, stored }, `the roster has more than ${MAX_PAGES} pages; the rest is not read`);
    return stored;
  }

  async function safely(conversationId: string, read: () => Promise<number>): Promise<number> {
    try {
      const stored = await read();
      log.info({ conversationId, stored }, 'read the conversation roster');
      return stored;
    } catch (err) {
      log.warn({ err, conversationId }, 'reading the conversation roster failed; approvers are still learned from their activities');
      return 0;
    }
  }

  return {
    learn(conversationId) {
      return safely(conversationId, async () => {
        const reference = await refs.get(conversationId);
        if (!reference) throw new Error(`no conversation reference for ${conversationId}`);
        const conversation = typeof reference.conversation === 'object' && reference.conversation !== null ? reference.conversation : {};
        const at = { ...reference, conversation: { ...conversation, id: rosterConversation(conversationId) } } as Partial<ConversationReference>;
        let stored = 0;
        await adapter.continueConversationAsync(appId ?? '', at, async (context) => {
          stored = await readPages(context);
        });
        return stored;
      });
    },
    fromTurn(context) {
      return safely(context.activity.conversation?.id ?? '?', () => readPages(context));
    },
  };
}
