/** The part of a chat actor that roles look at (the Entra object id). */
export interface Principal {
  aadObjectId: string | null;
}

/**
 * Who may do what. Admins start intakes, request plans and create runner tokens; approvers vote.
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
}

export function createRoles(options: { localMode: boolean; admins: string[]; approvers: string[] }): Roles {
  const admins = new Set(options.admins.map((a) => a.toLowerCase()));
  const approvers = new Set(options.approvers.map((a) => a.toLowerCase()));
  const adminsConfigured = admins.size > 0;
  const approversConfigured = approvers.size > 0;
  const listed = (set: Set<string>, actor: Principal) => actor.aadObjectId !== null && set.has(actor.aadObjectId.toLowerCase());
  return {
    localMode: options.localMode,
    adminsConfigured,
    approversConfigured,
    isAdmin: (actor) => (adminsConfigured ? listed(admins, actor) : options.localMode),
    isApprover: (actor) => (approversConfigured ? listed(approvers, actor) : options.localMode),
  };
}
