/**
 * The port every proactive card goes through (implemented once per server at the Teams edge,
 * src/bot/teams/card-scheduler.ts): it owns Teams' per-conversation limits, so the workflows ask
 * for sends and updates and never pace them themselves.
 */
import type { Card } from '../turn';
import type { CardRef } from './ports';

/** Time and timers, injected so tests move them by hand. */
export interface TimerClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export interface CardScheduler {
  /**
   * Replaces the card message with what `render` returns when its turn comes. A later request for
   * the same message before this one went out replaces it. `render` returning null skips it.
   * `sent` is called after the update reached the channel.
   */
  update(target: CardRef, render: () => Promise<Card | null>, sent?: () => Promise<void>): void;
  /** Sends a new card message when the conversation's budget allows; resolves with its activity id. */
  send(conversationId: string, card: Card): Promise<string>;
  /**
   * Counts a message the bot sends in a turn, as the answer to the message or click being handled:
   * it goes out at once (never delayed), and proactive sends wait for the room it takes. Call it
   * as the message starts; call the function it returns once it is done, which moves its time to
   * then (Teams counts a message when it arrives).
   */
  record(conversationId: string): () => void;
  /** Resolves when nothing is waiting or in flight (tests, shutdown). */
  idle(): Promise<void>;
}
