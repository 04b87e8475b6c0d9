/**
 * Bot Framework activities as Teams posts them to /api/messages (a personal chat: message and
 * Action.Execute invoke), with a made-up user per benchmark user. The serviceUrl is the
 * benchmark's loopback connector, so every reply the bot sends lands there.
 */
import { randomUUID } from 'node:crypto';

export interface BenchUser {
  aadObjectId: string;
  teamsUserId: string;
  name: string;
  conversationId: string;
}

const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const BOT = { id: '28:2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10', name: 'picbot' };

/** A fresh user with their personal chat with the bot. */
export function newUser(name: string): BenchUser {
  const aadObjectId = randomUUID();
  const teamsUserId = `29:1${aadObjectId.replace(/-/g, '').slice(0, 20)}`;
  return { aadObjectId, teamsUserId, name, conversationId: `a:1${aadObjectId.replace(/-/g, '')}-personal` };
}

function base(serviceUrl: string, user: BenchUser) {
  const at = new Date().toISOString();
  return {
    id: randomUUID(),
    timestamp: at,
    localTimestamp: at,
    serviceUrl,
    channelId: 'msteams',
    from: { id: user.teamsUserId, name: user.name, aadObjectId: user.aadObjectId },
    conversation: { conversationType: 'personal', tenantId: TENANT_ID, id: user.conversationId },
    recipient: BOT,
    entities: [{ locale: 'en-US', country: 'US', platform: 'Web', timezone: 'Europe/Berlin', type: 'clientInfo' }],
    channelData: { tenant: { id: TENANT_ID } },
    locale: 'en-US',
  };
}

export function message(serviceUrl: string, user: BenchUser, text: string): Record<string, unknown> {
  return { ...base(serviceUrl, user), type: 'message', textFormat: 'plain', text };
}

/** An Action.Execute click on the card message `replyToId`. */
export function invoke(serviceUrl: string, user: BenchUser, verb: string, data: unknown, replyToId: string | null): Record<string, unknown> {
  const activity = base(serviceUrl, user);
  return {
    ...activity,
    id: `f:${activity.id}`,
    type: 'invoke',
    name: 'adaptiveCard/action',
    channelData: { ...activity.channelData, source: { name: 'message' }, ...(replyToId ? { legacy: { replyToId } } : {}) },
    ...(replyToId ? { replyToId } : {}),
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}
