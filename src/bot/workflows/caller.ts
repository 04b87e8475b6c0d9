/**
 * Who is asking, as every workflow sees them: one shape for every area. The Teams edge's turn
 * becomes one through `callerOf` (src/bot/handlers/caller.ts); the workflows decide from
 * `admin`, `approver` and `reader` what the caller may do.
 */
export interface Caller {
  /** Entra object id (lower case), or `teams:<Teams user id>` when Teams gave none. */
  id: string;
  /** Only an Entra object id can be an approver. */
  aadObjectId: string | null;
  name: string;
  admin: boolean;
  /**
   * Whether this person is an approver in the tenant they act from (roles are keyed by tenant).
   * A vote needs it and the object id listed; absent only for callers built outside a chat turn.
   */
  approver?: boolean;
  /** Admins and approvers may read requests, plans, scripts, runners and audit trails. */
  reader: boolean;
  /** The conversation the action came from. */
  conversationId: string;
}

/** A refusal: a value the user sees ("only admins may …"), never an exception. */
export interface Refusal<C extends string = string> {
  ok: false;
  code: C;
  reason: string;
}

/** What a use case answers: its result, or a refusal with one of its codes. */
export type Outcome<T, C extends string = string> = ({ ok: true } & T) | Refusal<C>;
