import { z } from 'zod';
import {
  AccessEdge, Capabilities, ClientPolicy, DiscoveryFallback, ExternalAccessPolicy, HostingProvider, PolicyHolders,
  PublicProvider, ReplicaStatus, ServerVersion, SipDomain, Topology, UserPolicy,
} from './observed';

/**
 * The op catalog: every op a runner may execute, with its params and result schemas.
 * Shared by planner, runner, lync-ops.ps1 (by name) and the simulator. Params mirror the cmdlet
 * parameters in camelCase; unknown params are refused (strict objects).
 */
const identity = z.string().min(1).max(256);
/** The most users one `user.externalAccessPolicy` read may ask about: a whole request's worth. */
export const MAX_USERS_PER_READ = 5000;
// No wildcard characters: Grant-CsExternalAccessPolicy's -Identity accepts wildcards, and one
// grant must reach exactly one user.
const sipUri = z.string().regex(/^sip:[^\s@*?[\]]+@[^\s@*?[\]]+$/i, 'expected sip:user@domain (no wildcards)').max(320);
/** The seed passes `-VerificationLevel 2`; the server's own enum resolves the integer. */
export const VerificationLevelParam = z.union([z.string().min(1).max(64), z.number().int().min(0).max(1000)]);

/** The params of New-CsPublicProvider (also what the in-memory probe binds). */
const NewProviderParams = z.object({
  identity,
  proxyFqdn: z.string().min(1).max(253),
  enabled: z.boolean(),
  verificationLevel: VerificationLevelParam.optional(),
  iconUrl: z.string().max(2048).optional(),
  nameDecorationRoutingDomain: z.string().max(253).optional(),
  nameDecorationExcludedDomainList: z.string().max(2048).optional(),
  enableSkypeIdRouting: z.boolean().optional(),
  enableSkypeDirectorySearch: z.boolean().optional(),
}).strict();

const UserPoliciesResult = z.object({ users: z.array(UserPolicy), notFound: z.array(z.string()) });

export const READ_OPS = {
  /** `fallbacks` says which reads did not work the usual way (discovery moves them to `discoveryFallbacks`). */
  'server.version': { params: z.object({}).strict(), result: ServerVersion.extend({ fallbacks: z.array(DiscoveryFallback).optional() }) },
  'capabilities.get': { params: z.object({}).strict(), result: Capabilities },
  'topology.get': { params: z.object({}).strict(), result: Topology },
  'site.list': { params: z.object({}).strict(), result: z.array(z.string()) },
  /** How many users hold each per-user external access policy. */
  'externalAccessPolicy.holders': { params: z.object({}).strict(), result: PolicyHolders },
  /**
   * `New-CsPublicProvider … -InMemory`: binds the parameters and builds the object without
   * committing it. Returns the verification level name the server bound.
   */
  'publicProvider.probe': { params: NewProviderParams, result: z.object({ verificationLevel: z.string() }) },
  'accessEdge.get': { params: z.object({}).strict(), result: AccessEdge },
  'sipDomain.list': { params: z.object({}).strict(), result: z.array(SipDomain) },
  'publicProvider.list': { params: z.object({}).strict(), result: z.array(PublicProvider) },
  'hostingProvider.list': { params: z.object({}).strict(), result: z.array(HostingProvider) },
  'externalAccessPolicy.list': { params: z.object({}).strict(), result: z.array(ExternalAccessPolicy) },
  'user.externalAccessPolicy': {
    params: z.object({ users: z.array(sipUri).max(MAX_USERS_PER_READ) }).strict(),
    result: UserPoliciesResult,
  },
  'clientPolicy.get': { params: z.object({ identity }).strict(), result: ClientPolicy },
  'replication.status': { params: z.object({}).strict(), result: z.array(ReplicaStatus) },
} as const;

const policyFlags = {
  enableFederationAccess: z.boolean().optional(),
  enablePublicCloudAccess: z.boolean().optional(),
  enablePublicCloudAudioVideoAccess: z.boolean().optional(),
  enableOutsideAccess: z.boolean().optional(),
};
const writeResult = z.unknown();

export const WRITE_OPS = {
  'accessEdge.set': {
    params: z.object({
      allowFederatedUsers: z.boolean().optional(),
      enablePartnerDiscovery: z.boolean().optional(),
      enableArchivingDisclaimer: z.boolean().optional(),
      // A switch sent only with EnablePartnerDiscovery, as Microsoft's examples pair them; the
      // planner refuses default routing, so it never switches the routing mode.
      useDnsSrvRouting: z.literal(true).optional(),
    }).strict(),
    result: writeResult,
  },
  'externalAccessPolicy.new': { params: z.object({ identity, ...policyFlags }).strict(), result: writeResult },
  'externalAccessPolicy.set': { params: z.object({ identity, ...policyFlags }).strict(), result: writeResult },
  'externalAccessPolicy.remove': { params: z.object({ identity }).strict(), result: writeResult },
  'externalAccessPolicy.grant': {
    params: z.object({ user: sipUri, policyName: z.string().min(1).max(256).nullable() }).strict(),
    result: writeResult,
  },
  'publicProvider.new': { params: NewProviderParams, result: writeResult },
  'publicProvider.set': {
    params: z.object({ identity, enabled: z.boolean().optional(), verificationLevel: VerificationLevelParam.optional() }).strict(),
    result: writeResult,
  },
  'publicProvider.remove': { params: z.object({ identity }).strict(), result: writeResult },
  'clientPolicy.set': {
    // null is meant to restore "not set" (what Get-CsClientPolicy shows for a fresh policy) when
    // rolling back. The parameter is documented as Boolean; whether $null clears it is on the
    // real-server checklist (src/runner/scripts/README.md).
    params: z.object({ identity, disablePICPromptDisplayName: z.boolean().nullable() }).strict(),
    result: writeResult,
  },
} as const;

export const OPS = { ...READ_OPS, ...WRITE_OPS } as const;
export type ReadOpName = keyof typeof READ_OPS;
export type WriteOpName = keyof typeof WRITE_OPS;
export type OpName = keyof typeof OPS;
export type OpParams<N extends OpName> = z.infer<(typeof OPS)[N]['params']>;
export type OpResult<N extends OpName> = z.infer<(typeof OPS)[N]['result']>;

export const OP_NAMES = Object.keys(OPS) as OpName[];
export const READ_OP_NAMES = Object.keys(READ_OPS) as ReadOpName[];

export const isOpName = (name: string): name is OpName => Object.prototype.hasOwnProperty.call(OPS, name);
export const isReadOp = (name: string): name is ReadOpName => Object.prototype.hasOwnProperty.call(READ_OPS, name);
export const isWriteOp = (name: string): name is WriteOpName => Object.prototype.hasOwnProperty.call(WRITE_OPS, name);

/** An op call as data: what plans, jobs and the stdio protocol carry. */
export const OpCall = z.object({ op: z.string(), params: z.record(z.string(), z.unknown()) });
export type OpCall = z.infer<typeof OpCall>;

/** Checks an op call against the catalog; returns the parsed params or a reason. */
export function checkOpCall(call: OpCall): { ok: true; op: OpName; params: Record<string, unknown> } | { ok: false; reason: string } {
  if (!isOpName(call.op)) return { ok: false, reason: `unknown op ${JSON.stringify(call.op)}` };
  const parsed = OPS[call.op].params.safeParse(call.params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${call.op}: ${issue.path.join('.') || 'params'}: ${issue.message}` };
  }
  return { ok: true, op: call.op, params: parsed.data as Record<string, unknown> };
}

/** The stdio shell protocol (docs/architecture.md, Shell protocol): one JSON request per line, one JSON answer per line. */
export const ShellRequest = z.object({ id: z.number().int(), op: z.string(), params: z.record(z.string(), z.unknown()) });
export type ShellRequest = z.infer<typeof ShellRequest>;
export const ShellAnswer = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), data: z.unknown(), warnings: z.array(z.string()).optional() }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ShellAnswer = z.infer<typeof ShellAnswer>;
