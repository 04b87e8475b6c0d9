/** Turns a botbuilder TurnContext into our own Turn: only src/bot/teams/ sees botbuilder. */
import { TurnContext, type Activity } from 'botbuilder';
import type { Actor, ActionTurn, AddedTurn, ConversationInfo, ConversationType, MessageTurn, Reply } from '../turn';
import { replyActivity } from './cards';

export function actorOf(activity: Partial<Activity>): Actor {
  const from = activity.from;
  return { aadObjectId: from?.aadObjectId ?? null, teamsUserId: from?.id ?? '', name: from?.name ?? '', tenantId: tenantOf(activity) };
}

/** The activity's Entra tenant: conversation.tenantId, else channelData.tenant.id (Teams sends both). */
export function tenantOf(activity: Partial<Activity>): string | null {
  const channelTenant = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  const tenant = activity.conversation?.tenantId ?? (typeof channelTenant === 'string' ? channelTenant : null);
  return tenant ? tenant.toLowerCase() : null;
}

function conversationType(activity: Partial<Activity>): ConversationType {
  const t = activity.conversation?.conversationType;
  if (t === 'channel' || t === 'groupChat') return t;
  if (t === 'personal') return 'personal';
  // Not Teams (Playground, tests without the field): a group conversation counts as a group chat.
  return activity.conversation?.isGroup ? 'groupChat' : 'personal';
}

export function conversationOf(activity: Partial<Activity>): ConversationInfo {
  return { id: activity.conversation?.id ?? '', type: conversationType(activity), tenantId: tenantOf(activity) };
}

function capabilities(context: TurnContext) {
  return {
    actor: actorOf(context.activity),
    conversation: conversationOf(context.activity),
    async say(reply: Reply): Promise<string> {
      const sent = await context.sendActivity(replyActivity(reply));
      return sent?.id ?? '';
    },
    async update(activityId: string, reply: Reply): Promise<void> {
      await context.updateActivity({ ...replyActivity(reply), id: activityId });
    },
  };
}

/** The message text with the bot's @mention removed (channels), whitespace collapsed. */
export function messageText(activity: Partial<Activity>): string {
  const copy = { ...activity, entities: activity.entities ?? [] };
  const text = copy.recipient?.id ? TurnContext.removeRecipientMention(copy) : (activity.text ?? '');
  return (text ?? '').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
}

export function toMessageTurn(context: TurnContext): MessageTurn {
  return { kind: 'message', text: messageText(context.activity), ...capabilities(context) };
}

export function toActionTurn(context: TurnContext, verb: string, data: unknown): ActionTurn {
  return { kind: 'action', verb, data, messageId: context.activity.replyToId ?? null, ...capabilities(context) };
}

export function toAddedTurn(context: TurnContext): AddedTurn {
  return { kind: 'added', ...capabilities(context) };
}
