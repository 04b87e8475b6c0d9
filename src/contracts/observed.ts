import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical';

/**
 * The observed state: one JSON document, the union of the read ops' results.
 * The simulator's state file is this document plus an optional `faults` object.
 */
export const PRODUCTS = [
  'Lync Server 2010',
  'Lync Server 2013',
  'Skype for Business Server 2015',
  'Skype for Business Server 2019',
  'Skype for Business Server Subscription Edition',
] as const;
export const Product = z.enum(PRODUCTS);
export type Product = z.infer<typeof Product>;

export const ServerVersion = z.object({
  product: Product,
  version: z.string(),
  /** name → number of the server's VerificationLevelType enum, read with [Enum]::GetValues. */
  verificationLevels: z.record(z.string(), z.number().int()),
});
export type ServerVersion = z.infer<typeof ServerVersion>;

export const AccessEdge = z.object({
  routing: z.enum(['DnsSrv', 'DefaultRoute']),
  allowFederatedUsers: z.boolean(),
  enablePartnerDiscovery: z.boolean().nullable(),
  enableArchivingDisclaimer: z.boolean(),
  allowOutsideUsers: z.boolean(),
});
export type AccessEdge = z.infer<typeof AccessEdge>;

export const SipDomain = z.object({ name: z.string(), isDefault: z.boolean() });
export type SipDomain = z.infer<typeof SipDomain>;

export const PublicProvider = z.object({
  identity: z.string(),
  proxyFqdn: z.string(),
  enabled: z.boolean(),
  verificationLevel: z.string(),
  iconUrl: z.string().nullable(),
  nameDecorationRoutingDomain: z.string().nullable(),
  nameDecorationExcludedDomainList: z.string().nullable(),
  enableSkypeIdRouting: z.boolean().nullable(),
  enableSkypeDirectorySearch: z.boolean().nullable(),
});
export type PublicProvider = z.infer<typeof PublicProvider>;

export const HostingProvider = z.object({
  identity: z.string(),
  proxyFqdn: z.string(),
  enabled: z.boolean(),
  verificationLevel: z.string(),
});
export type HostingProvider = z.infer<typeof HostingProvider>;

export const ExternalAccessPolicy = z.object({
  /** `Global`, `site:X` or `tag:X`. */
  identity: z.string(),
  enableFederationAccess: z.boolean(),
  enablePublicCloudAccess: z.boolean(),
  enablePublicCloudAudioVideoAccess: z.boolean(),
  enableOutsideAccess: z.boolean(),
});
export type ExternalAccessPolicy = z.infer<typeof ExternalAccessPolicy>;

export const UserPolicy = z.object({
  user: z.string(),
  /** The bare policy name, or null when the user inherits the site or global policy. */
  externalAccessPolicy: z.string().nullable(),
});
export type UserPolicy = z.infer<typeof UserPolicy>;

export const ClientPolicy = z.object({
  identity: z.string(),
  disablePICPromptDisplayName: z.boolean().nullable(),
});
export type ClientPolicy = z.infer<typeof ClientPolicy>;

export const ReplicaStatus = z.object({
  replicaFqdn: z.string(),
  upToDate: z.boolean(),
  lastUpdate: z.string().nullable(),
});
export type ReplicaStatus = z.infer<typeof ReplicaStatus>;

/**
 * The parameter names the server's cmdlets accept, read with `(Get-Command <cmdlet>).Parameters.Keys`
 * (cmdlet name → parameter names, common parameters included). Only the cmdlets discovery asks
 * about are keys; a cmdlet that is not a key was not checked.
 */
export const Capabilities = z.record(z.string(), z.array(z.string()));
export type Capabilities = z.infer<typeof Capabilities>;

/** One Edge pool of the topology, from `Get-CsService -EdgeServer`. */
export const EdgePool = z.object({
  identity: z.string(),
  accessEdgeExternalFqdn: z.string(),
  accessEdgeExternalSipPort: z.number().int().nullable(),
  /**
   * Topology Builder's "Enable federation (port 5061)" on this Edge pool; null when the service
   * object shows no federation property (the setting could not be read).
   */
  federationEnabled: z.boolean().nullable(),
});
export type EdgePool = z.infer<typeof EdgePool>;

export const Topology = z.object({ edgePools: z.array(EdgePool) });
export type Topology = z.infer<typeof Topology>;

/** A read that did not work the usual way, and what discovery did instead (shown on the discovery card). */
export const DiscoveryFallback = z.object({
  /** The read that failed, e.g. `Get-CsServerVersion`. */
  read: z.string(),
  /** Why, in the server's words. */
  reason: z.string(),
  /** What was read instead, or what is now unknown. */
  instead: z.string(),
});
export type DiscoveryFallback = z.infer<typeof DiscoveryFallback>;

/** Per-user (tag:) external access policy name → how many users hold it. */
export const PolicyHolders = z.record(z.string(), z.number().int().min(0));
export type PolicyHolders = z.infer<typeof PolicyHolders>;

/**
 * The observed state. The keys after `clientPolicies` came later and are optional: an export
 * made before them still loads, and the planner names what it could not check without them.
 */
export const ObservedState = z.object({
  serverVersion: ServerVersion,
  accessEdge: AccessEdge,
  sipDomains: z.array(SipDomain),
  publicProviders: z.array(PublicProvider),
  hostingProviders: z.array(HostingProvider),
  externalAccessPolicies: z.array(ExternalAccessPolicy),
  userPolicies: z.array(UserPolicy),
  /** Users discovery was asked about that the server does not know; the planner refuses on them. */
  unknownUsers: z.array(z.string()).default([]),
  clientPolicies: z.array(ClientPolicy),
  capabilities: Capabilities.optional(),
  topology: Topology.optional(),
  /** Site names, from `Get-CsSite` (its Identity, e.g. `Redmond`). */
  sites: z.array(z.string()).optional(),
  policyHolders: PolicyHolders.optional(),
  discoveryFallbacks: z.array(DiscoveryFallback).optional(),
});
export type ObservedState = z.infer<typeof ObservedState>;

/** Sorts the state's lists by identity/name/user so the order a server lists things in does not matter. */
export function normalizeObserved(state: ObservedState): ObservedState {
  const by = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    ...state,
    sipDomains: [...state.sipDomains].sort(by((d) => d.name)),
    publicProviders: [...state.publicProviders].sort(by((p) => p.identity)),
    hostingProviders: [...state.hostingProviders].sort(by((p) => p.identity)),
    externalAccessPolicies: [...state.externalAccessPolicies].sort(by((p) => p.identity)),
    userPolicies: [...state.userPolicies].sort(by((u) => u.user)),
    unknownUsers: [...(state.unknownUsers ?? [])].sort(),
    clientPolicies: [...state.clientPolicies].sort(by((p) => p.identity)),
    ...(state.capabilities ? { capabilities: Object.fromEntries(Object.entries(state.capabilities).map(([k, v]) => [k, [...v].sort()])) } : {}),
    ...(state.topology ? { topology: { edgePools: [...state.topology.edgePools].sort(by((e) => e.identity)) } } : {}),
    ...(state.sites ? { sites: [...state.sites].sort() } : {}),
  };
}

/**
 * Canonical JSON of the observed state, without `faults` or anything else outside the schema, and
 * without `discoveryFallbacks`: how a state was read (and the wording of a server's error) is not
 * part of the state, so it never makes a plan look drifted.
 */
export function canonicalObserved(state: ObservedState): string {
  const { discoveryFallbacks: _howRead, ...parsed } = ObservedState.parse(state); // drops unknown keys such as `faults`
  return canonicalJson(normalizeObserved(parsed));
}

/** The observed-state fingerprint: SHA-256 hex of its canonical JSON. */
export function fingerprint(state: ObservedState): string {
  return sha256Hex(canonicalObserved(state));
}

/** Whether two states are equal, ignoring list order and `faults`. */
export function sameState(a: ObservedState, b: ObservedState): boolean {
  return canonicalObserved(a) === canonicalObserved(b);
}
