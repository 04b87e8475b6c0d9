/** The workflows' view of who is acting: the actor's id and what the roles let them do. */
import type { Roles } from '../../core/roles';
import type { Actor } from '../turn';
import type { Caller } from '../workflows/intake';

/** The Entra object id, or the Teams user id when Teams gave none (drafts are kept per person). */
export function ownerKey(actor: Actor): string {
  return actor.aadObjectId ? actor.aadObjectId.toLowerCase() : `teams:${actor.teamsUserId}`;
}

export function callerOf(actor: Actor, roles: Roles): Caller {
  const admin = roles.isAdmin(actor);
  return { id: ownerKey(actor), name: actor.name, admin, reader: admin || roles.isApprover(actor) };
}
