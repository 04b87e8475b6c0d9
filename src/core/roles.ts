/** The part of a chat actor that roles look at: the Entra object id in its tenant. */
export interface Principal {
  aadObjectId: string | null;
  /** The Entra tenant the activity came from (Teams' conversation.tenantId); absent or null when unknown. */
  tenantId?: string | null;
}

/** One configured person: an object id in a named tenant, or (null) in the bot's own tenant. */
export interface RoleKey {
  tenantId: string | null;
  objectId: string;
}

/**
 * Who may do what. Admins start intakes, request plans and create runner tokens; approvers vote.
 * Roles are keyed by tenant and object id: an object id is only unique, and only vouched for by
 * the Bot Service, within its tenant. A key without a tenant stands for `homeTenant` (production:
 * MicrosoftAppTenantId); in local mode, where homeTenant is null, for any tenant.
 * Local mode relaxes only what is not configured: with no PICBOT_ADMINS every local user is an
 * admin, with no PICBOT_APPROVERS every local user is an approver (and the requester may count).
 * Production always has both lists (config refuses to start otherwise). Fails closed on a missing id.
 */
export interface Roles {
  localMode: boolean;
  /** True when approvers come from PICBOT_APPROVERS (production rules apply to votes). */
  approversConfigured: boolean;
  adminsConfigured: boolean;
  isAdmin(actor: Principal): boolean;
  isApprover(actor: Principal): boolean;
  /**
   * Whether an object id is listed as an approver in any tenant: for re-counting votes already
   * stored, each of which passed isApprover (with its tenant) when it was cast.
   */
  isApproverId(objectId: string): boolean;
}

export interface RolesOptions {
  localMode: boolean;
  admins: (string | RoleKey)[];
  approvers: (string | RoleKey)[];
  /** The tenant a key without one belongs to; null = any tenant (local mode). */
  homeTenant?: string | null;
}

export function createRoles(options: RolesOptions): Roles {
  const home = options.homeTenant?.toLowerCase() ?? null;
  const keyOf = (entry: string | RoleKey): RoleKey => (typeof entry === 'string' ? { tenantId: null, objectId: entry.toLowerCase() } : { tenantId: entry.tenantId?.toLowerCase() ?? null, objectId: entry.objectId.toLowerCase() });
  const admins = options.admins.map(keyOf);
  const approvers = options.approvers.map(keyOf);
  const adminsConfigured = admins.length > 0;
  const approversConfigured = approvers.length > 0;
  const listed = (keys: RoleKey[], actor: Principal): boolean => {
    if (actor.aadObjectId === null) return false;
    const objectId = actor.aadObjectId.toLowerCase();
    const tenant = actor.tenantId?.toLowerCase() ?? null;
    return keys.some((k) => {
      if (k.objectId !== objectId) return false;
      const wanted = k.tenantId ?? home;
      // No tenant wanted only in local mode without a home tenant; otherwise an unknown tenant fails closed.
      return wanted === null || wanted === tenant;
    });
  };
  return {
    localMode: options.localMode,
    adminsConfigured,
    approversConfigured,
    isAdmin: (actor) => (adminsConfigured ? listed(admins, actor) : options.localMode),
    isApprover: (actor) => (approversConfigured ? listed(approvers, actor) : options.localMode),
    isApproverId: (objectId) => (approversConfigured ? approvers.some((k) => k.objectId === objectId.toLowerCase()) : options.localMode),
  };
}
