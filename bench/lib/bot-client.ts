/**
 * Talks to a bot (picbot or the floor) the way Teams does: activities POSTed to /api/messages,
 * replies read from the loopback connector, invoke answers read from the HTTP response.
 */
import { invoke, message, type BenchUser } from './activities';
import { cardOf, type Json } from './cards';
import type { Connector } from './connector';
import { call } from './http';

export interface Said {
  ms: number;
  /** The card of the bot's reply in this turn, and that message's id. */
  card: Json | null;
  messageId: string | null;
}

export interface Clicked {
  ms: number;
  /** The card of the invoke response. */
  card: Json | null;
}

export interface BotClient {
  url: string;
  say(user: BenchUser, text: string): Promise<Said>;
  click(user: BenchUser, verb: string, data: unknown, replyToId: string | null): Promise<Clicked>;
}

export function botClient(url: string, connector: Connector): BotClient {
  const endpoint = `${url}/api/messages`;
  return {
    url,
    async say(user, text) {
      const before = connector.count();
      const answer = await call(endpoint, message(connector.serviceUrl, user, text));
      if (answer.status !== 200) throw new Error(`"${text}" answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      if (connector.count() === before) throw new Error(`"${text}" got no reply through the connector`);
      const reply = connector.recent(user.conversationId).reverse().find((d) => d.kind !== 'update');
      return { ms: answer.ms, card: cardOf(reply?.activity), messageId: reply?.activityId ?? null };
    },
    async click(user, verb, data, replyToId) {
      const answer = await call(endpoint, invoke(connector.serviceUrl, user, verb, data, replyToId));
      if (answer.status !== 200) throw new Error(`${verb} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      const value = (answer.body as { value?: unknown } | null)?.value;
      return { ms: answer.ms, card: value && typeof value === 'object' ? (value as Json) : null };
    },
  };
}
