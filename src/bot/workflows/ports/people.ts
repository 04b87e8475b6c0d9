/** People and conversations: user ids, conversation references, the server key. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
/** A Teams user as learned from activities: Entra object id ↔ Teams user id (`29:…`). */
export interface KnownUser {
  aadObjectId: string;
  teamsUserId: string;
  name: string;
}

/** Entra object id → Teams user id, learned from every activity (for `refresh.userIds`). */
export interface UserIdStore {
  remember(user: KnownUser): Promise<void>;
  /** Teams user ids of the given Entra object ids that have been seen; unknown ones are left out. */
  teamsUserIds(aadObjectIds: string[]): Promise<string[]>;
  get(aadObjectId: string): Promise<KnownUser | null>;
}

/** The conversation references the bot needs to message a conversation proactively. */
export interface ConversationRefStore {
  /** `reference` is the channel's opaque conversation reference (JSON-safe). */
  save(conversationId: string, reference: Record<string, unknown>): Promise<void>;
  get(conversationId: string): Promise<Record<string, unknown> | null>;
}

/** Server-side secrets generated at first start (e.g. the job signing key); never config. */
export interface ServerKeyStore {
  /** The stored value of `name`, creating it with `make()` the first time (race-safe). */
  getOrCreate(name: string, make: () => string): Promise<string>;
}
