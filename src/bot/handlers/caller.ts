/** The workflows' view of who is acting: one Caller from a turn and the roles. */
import type { Roles } from '../../core/roles';
import type { Actor, ConversationInfo } from '../turn';
import type { Caller } from '../workflows/caller';

/** The Entra object id, or the Teams user id when Teams gave none (drafts are kept per person). */
export function ownerKey(actor: Actor): string {
  return actor.aadObjectId ? actor.aadObjectId.toLowerCase() : `teams:${actor.teamsUserId}`;
}

/** The caller of a turn: who they are, where they asked, and what their roles let them do. */
export function callerOf(turn: { actor: Actor; conversation: Pick<ConversationInfo, 'id'> }, roles: Roles): Caller {
  const admin = roles.isAdmin(turn.actor);
  const approver = roles.isApprover(turn.actor);
  return {
    id: ownerKey(turn.actor),
    aadObjectId: turn.actor.aadObjectId ? turn.actor.aadObjectId.toLowerCase() : null,
    name: turn.actor.name || turn.actor.teamsUserId,
    admin,
    approver,
    reader: admin || approver,
    conversationId: turn.conversation.id,
  };
}
