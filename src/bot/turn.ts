/**
 * Our own small view of a Teams turn (the SDK stays at the edge). Only src/bot/teams/ turns a botbuilder
 * TurnContext into this; everything behind it (routing, handlers, workflows) sees only these types.
 */

/** Who acted. `aadObjectId` is the Entra object id (what PICBOT_ADMINS/APPROVERS list). */
export interface Actor {
  aadObjectId: string | null;
  /** The Teams user id (`29:…`), what `refresh.userIds` lists. */
  teamsUserId: string;
  name: string;
  /** The Entra tenant of the activity (roles are keyed by tenant and object id); absent when unknown. */
  tenantId?: string | null;
}

export type ConversationType = 'personal' | 'channel' | 'groupChat';

export interface ConversationInfo {
  id: string;
  type: ConversationType;
  tenantId: string | null;
}

/** An Adaptive Card as JSON (already expanded from its template). */
export type Card = Record<string, unknown>;

/** A message the bot sends: a card or plain text. */
export type Reply = { card: Card } | { text: string };

interface TurnBase {
  actor: Actor;
  conversation: ConversationInfo;
  /** Sends a new message into this conversation; returns its activity id. */
  say(reply: Reply): Promise<string>;
  /** Replaces a message the bot sent earlier in this conversation. */
  update(activityId: string, reply: Reply): Promise<void>;
}

/** A text message; in channels the @mention is already stripped. */
export interface MessageTurn extends TurnBase {
  kind: 'message';
  text: string;
}

/** An Action.Execute invoke (`adaptiveCard/action`). `data` is raw: handlers parse it. */
export interface ActionTurn extends TurnBase {
  kind: 'action';
  /** The verb as Teams sent it: untrusted text, which the router parses into a Verb (src/bot/verbs.ts) once. */
  verb: string;
  data: unknown;
  /** The id of the message that holds the card, when Teams says. */
  messageId: string | null;
}

/** The bot was added to a conversation (or a member joined it). */
export interface AddedTurn extends TurnBase {
  kind: 'added';
}

export type Turn = MessageTurn | ActionTurn | AddedTurn;

/**
 * What an action handler answers. `card` is the invoke response (the next card). When `scope` is
 * 'everyone' (the default) the adapter also replaces the stored message with the same card, so
 * every device shows it; 'clicker' answers only the person who clicked (a refusal, a script).
 */
export interface ActionResult {
  card: Card;
  scope?: 'everyone' | 'clicker';
  /**
   * Work to start once the answer is on its way, e.g. updating the card message again so that an
   * update rendered after this answer lands after it (a late answer to a double click would
   * otherwise leave the clicker's card behind the job it shows).
   */
  after?: () => void;
  /**
   * A refusal: the router also posts the card as a new message at the bottom of the chat, since
   * the clicked card may be far up and the clicker would not see the answer where they look.
   */
  refusal?: boolean;
}

export type ActionHandler = (turn: ActionTurn) => Promise<ActionResult>;
export type CommandHandler = (turn: MessageTurn, args: string[]) => Promise<void>;
