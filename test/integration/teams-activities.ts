/**
 * Activities exactly as Teams posts them to /api/messages (shapes taken from real Teams traffic:
 * channel messages carry `<at>bot</at>` text plus a mention entity, invokes carry replyToId and
 * value.action, conversationUpdate lists membersAdded). Only ids and names are made up.
 */
export interface TeamsUser {
  aadObjectId: string;
  teamsUserId: string;
  name: string;
}

export interface TeamsConversation {
  id: string;
  type: 'personal' | 'channel' | 'groupChat';
  tenantId: string;
  /** Channel conversations: the channel and team ids Teams puts in channelData (`id` is the thread). */
  channelId?: string;
  teamId?: string;
}

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const BOT_ID = '28:2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10';
export const BOT_NAME = 'picbot';

export const DANA: TeamsUser = { aadObjectId: '6c4b1e2a-1f3d-4e5a-9b8c-7d6e5f4a3b21', teamsUserId: '29:1dana-7Hk3vWq9x', name: 'Dana Admin' };
export const ALEX: TeamsUser = { aadObjectId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', teamsUserId: '29:1alex-Pq8sLm2zR', name: 'Alex Approver' };

export function personalChat(user: TeamsUser): TeamsConversation {
  return { id: `a:1${user.teamsUserId.slice(3)}-personal-${user.aadObjectId.slice(0, 8)}`, type: 'personal', tenantId: TENANT_ID };
}

export function channel(name = 'lync-ops'): TeamsConversation {
  const channelId = `19:${name}0c1f2e3d4b5a69788796a5b4c3d2e1f0@thread.tacv2`;
  // A post in a channel is a thread: its conversation id is the channel id plus the root message id.
  return { id: `${channelId};messageid=1700000000001`, channelId, type: 'channel', tenantId: TENANT_ID, teamId: '19:team5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d@thread.tacv2' };
}

export function groupChat(): TeamsConversation {
  return { id: '19:meeting_NmRkZjQ2ZDQtZjYyZC00YzU1@thread.v2', type: 'groupChat', tenantId: TENANT_ID };
}

let sequence = 1_700_000_000_000;
const nextId = () => String((sequence += 17));

function base(serviceUrl: string, conversation: TeamsConversation, user: TeamsUser) {
  const channelData: Record<string, unknown> = { tenant: { id: conversation.tenantId } };
  if (conversation.type === 'channel') {
    channelData.teamsChannelId = conversation.channelId;
    channelData.teamsTeamId = conversation.teamId;
    channelData.channel = { id: conversation.channelId };
    channelData.team = { id: conversation.teamId };
  }
  return {
    id: nextId(),
    timestamp: new Date(0).toISOString(),
    localTimestamp: new Date(0).toISOString(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: user.teamsUserId, name: user.name, aadObjectId: user.aadObjectId },
    conversation: {
      conversationType: conversation.type,
      tenantId: conversation.tenantId,
      id: conversation.id,
      ...(conversation.type === 'personal' ? {} : { isGroup: true }),
    },
    recipient: { id: BOT_ID, name: BOT_NAME },
    entities: [{ locale: 'en-US', country: 'US', platform: 'Web', timezone: 'Europe/Berlin', type: 'clientInfo' }] as Record<string, unknown>[],
    channelData,
    locale: 'en-US',
  };
}

/** A text message; in channels and group chats it starts with the bot's @mention, as Teams requires. */
export function message(serviceUrl: string, conversation: TeamsConversation, user: TeamsUser, text: string) {
  const activity = base(serviceUrl, conversation, user);
  if (conversation.type === 'personal') return { ...activity, type: 'message', textFormat: 'plain', text };
  const mention = `<at>${BOT_NAME}</at>`;
  activity.entities.unshift({ mentioned: { id: BOT_ID, name: BOT_NAME }, text: mention, type: 'mention' });
  return { ...activity, type: 'message', textFormat: 'plain', text: `${mention} ${text}\n` };
}

/** An Action.Execute click: invoke `adaptiveCard/action` on the card message `replyToId`. */
export function invoke(serviceUrl: string, conversation: TeamsConversation, user: TeamsUser, verb: string, data: unknown, replyToId: string | null) {
  const activity = base(serviceUrl, conversation, user);
  const channelData = { ...activity.channelData, source: { name: 'message' }, ...(replyToId ? { legacy: { replyToId } } : {}) };
  return {
    ...activity,
    id: `f:${activity.id}`,
    type: 'invoke',
    name: 'adaptiveCard/action',
    channelData,
    ...(replyToId ? { replyToId } : {}),
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

/** The bot was added to the conversation (installed in a personal scope, a team or a chat). */
export function botAdded(serviceUrl: string, conversation: TeamsConversation, by: TeamsUser) {
  const activity = base(serviceUrl, conversation, by);
  const channelData = { ...activity.channelData, eventType: conversation.type === 'channel' ? 'teamMemberAdded' : undefined };
  return { ...activity, type: 'conversationUpdate', membersAdded: [{ id: BOT_ID }], channelData };
}
