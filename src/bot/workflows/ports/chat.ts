/** Chat: proactive cards and the conversation roster. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
import type { Card } from '../../turn';
/** Proactive messages into a conversation the bot has seen (implemented in src/bot/teams/). */
export interface ChatNotifier {
  /** Sends a card into the conversation; returns the new activity id. */
  send(conversationId: string, card: Card): Promise<string>;
  /** Replaces a card the bot sent earlier. */
  update(conversationId: string, activityId: string, card: Card): Promise<void>;
}

/**
 * The members of a conversation the bot is in (implemented in src/bot/teams/), read so the bot
 * knows approvers' Teams user ids for `refresh.userIds` before they ever write to it.
 */
export interface ConversationRoster {
  /**
   * Reads the conversation's members and stores each one's Entra object id → Teams user id
   * (UserIdStore); resolves with how many were stored. Never rejects: a failure is logged and
   * resolves with 0 (the roster only improves the card's refresh; nothing depends on it).
   */
  learn(conversationId: string): Promise<number>;
}
