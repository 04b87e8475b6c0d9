import { canonicalJson, sha256Hex } from '../contracts/canonical';
import { fingerprint as observedFingerprint, normalizeObserved, type ObservedState, type PublicProvider } from '../contracts/observed';
import type { OpCall, OpParams } from '../contracts/ops';
import { PROFILE_PRODUCT, type Profile } from '../contracts/profiles';
import type { PlanStep } from '../contracts/runner-api';
import { findPolicy, findProvider, policyKey, providerDifferences, satisfied } from '../contracts/satisfied';
import { SKYPE_IDENTITY, SKYPE_PROVIDER_PARAMS, SKYPE_PROXY_FQDN } from '../contracts/skype-provider';
import type { ProvisioningRequest } from './request';

/**
 * The planner (issue 4 §1, LYNC.md §5): a pure function from the request, the observed state and
 * the version profile to the exact ordered steps, each with its rollback from the captured values.
 * Order: federation (S2) → external access policy and grants (S3) → Skype provider (S4) → client
 * policy (S5). Verify (S6) is not a step: the apply job re-reads the state after the last change.
 */

export type PlanRefusalCode =
  | 'routing_not_dns_srv'
  | 'sip_domain_missing'
  | 'hosting_provider_conflict'
  | 'product_mismatch'
  | 'unknown_user'
  | 'product_unsupported'
  | 'policy_name_reserved'
  | 'observed_incomplete';

export interface PlanRefusal { code: PlanRefusalCode; reason: string }
export interface AlreadyConfigured { id: string; title: string; reason: string }

export interface Plan {
  profile: Profile;
  steps: PlanStep[];
  alreadyConfigured: AlreadyConfigured[];
  refusals: PlanRefusal[];
  /** SHA-256 hex of the canonical observed state the plan was computed from. */
  fingerprint: string;
  /** SHA-256 hex of canonical `{profile, fingerprint, steps: [{id, op, params, rollback}]}`. */
  planHash: string;
}

/** The refusal for LCS 2005 SP1, OCS 2007 and OCS 2007 R2; the intake's "OCS 2007 R2 or older" choice ends with it. */
export function legacyProductRefusal(): PlanRefusal {
  return {
    code: 'product_unsupported',
    reason: 'Live Communications Server 2005 SP1 and Office Communications Server 2007 no longer support public IM connectivity, '
      + 'and Office Communications Server 2007 R2 has no Lync Server Management Shell: configure OCS 2007 R2 with its own '
      + 'administrative tools. picbot plans for Lync Server 2010, 2013 and Skype for Business Server 2015, 2019 and Subscription Edition.',
  };
}

/** The plan hash: what approvals bind to and what dispatch recomputes. Titles and rendered text are not part of it. */
export function planHash(profile: Profile, fingerprint: string, steps: readonly PlanStep[]): string {
  return sha256Hex(canonicalJson({
    profile,
    fingerprint,
    steps: steps.map((s) => ({ id: s.id, op: s.op, params: s.params, rollback: s.rollback.map((r) => ({ op: r.op, params: r.params })) })),
  }));
}

/** Computes the plan. Refusals leave it with no steps at all. */
export function plan(request: ProvisioningRequest, observedRaw: ObservedState, profile: Profile): Plan {
  const observed = normalizeObserved(observedRaw);
  const fp = observedFingerprint(observed);
  const refusals = refusalsFor(request, observed, profile);
  if (refusals.length > 0) return { profile, steps: [], alreadyConfigured: [], refusals, fingerprint: fp, planHash: planHash(profile, fp, []) };

  const out: Builder = { steps: [], alreadyConfigured: [] };
  planFederation(request, observed, out);
  planPolicy(request, observed, out);
  planProvider(observed, profile, out);
  planClientPolicy(request, observed, out);
  for (const step of out.steps) assertSafeRollback(step);
  return { profile, ...out, refusals: [], fingerprint: fp, planHash: planHash(profile, fp, out.steps) };
}

/** Every reason not to plan at all (all of them, so the admin can fix them in one go). */
export function refusalsFor(request: ProvisioningRequest, observed: ObservedState, profile: Profile): PlanRefusal[] {
  const refusals: PlanRefusal[] = [];
  const product = observed.serverVersion.product;
  if (PROFILE_PRODUCT[profile] !== product) {
    refusals.push({ code: 'product_mismatch', reason: `The server reports ${product}, but the plan was asked for the ${profile} profile (${PROFILE_PRODUCT[profile]}). Choose the profile that matches the server.` });
  }
  if (observed.accessEdge.routing !== 'DnsSrv') {
    refusals.push({ code: 'routing_not_dns_srv', reason: 'The Access Edge uses default routing, and public providers need DNS SRV routing. Switching the routing mode is a separate, high-impact change (every hosting and public provider must be deleted first); picbot does not make it.' });
  }
  const known = new Set(observed.sipDomains.map((d) => d.name.toLowerCase()));
  for (const d of request.sipDomains) {
    if (!known.has(d.toLowerCase())) refusals.push({ code: 'sip_domain_missing', reason: `The SIP domain ${d} is not one of the server's SIP domains (Get-CsSipDomain). Add it to the topology first, or remove it from the request.` });
  }
  for (const h of observed.hostingProviders) {
    if (h.identity.toLowerCase() === SKYPE_IDENTITY.toLowerCase() || h.proxyFqdn.toLowerCase() === SKYPE_PROXY_FQDN) {
      refusals.push({ code: 'hosting_provider_conflict', reason: `The hosting provider ${h.identity} (${h.proxyFqdn}) holds the identity Skype or the proxy FQDN ${SKYPE_PROXY_FQDN}, which the Skype public provider needs. picbot never deletes hosting providers: review it and remove it yourself if it is not needed.` });
    }
  }
  if (request.options.policyScope.kind === 'user') {
    if (request.options.policyScope.policyName.toLowerCase() === 'global') {
      refusals.push({ code: 'policy_name_reserved', reason: 'A per-user external access policy cannot be named Global: that is the global policy. Choose the global scope, or another name.' });
    }
    const unknown = new Set(observed.unknownUsers.map((u) => u.toLowerCase()));
    const read = new Set(observed.userPolicies.map((u) => u.user.toLowerCase()));
    for (const user of dedupe(request.options.policyScope.users)) {
      if (unknown.has(user.toLowerCase())) refusals.push({ code: 'unknown_user', reason: `The server does not know the user ${user} (not Lync-enabled, or misspelt).` });
      else if (!read.has(user.toLowerCase())) refusals.push({ code: 'unknown_user', reason: `The user ${user} was not read during discovery: run discovery again for this request.` });
    }
  }
  if (request.options.policyScope.kind === 'global' && !findPolicy(observed, 'Global')) {
    refusals.push({ code: 'observed_incomplete', reason: 'The observed state has no Global external access policy (every server has one): run discovery again.' });
  }
  if (request.options.disablePICPromptDisplayName !== null && !observed.clientPolicies.some((c) => policyKey(c.identity) === 'global')) {
    refusals.push({ code: 'observed_incomplete', reason: 'The Global client policy was not read: run discovery again for this request.' });
  }
  return refusals;
}

interface Builder { steps: PlanStep[]; alreadyConfigured: AlreadyConfigured[] }

function step(id: string, title: string, op: string, params: Record<string, unknown>, rollback: OpCall[]): PlanStep {
  return { id, title, op, params, rollback };
}

function dedupe(users: string[]): string[] {
  const seen = new Set<string>();
  return users.filter((u) => !seen.has(u.toLowerCase()) && seen.add(u.toLowerCase()));
}

const yesNo = (v: boolean | null) => (v === null ? 'not set' : v ? 'True' : 'False');

/** S2: federation on (+ partner discovery when asked); only the switches that differ are set. */
function planFederation(request: ProvisioningRequest, observed: ObservedState, out: Builder): void {
  const edge = observed.accessEdge;
  const want: OpParams<'accessEdge.set'> = { allowFederatedUsers: true };
  // partnerDiscovery false means "leave it as it is", never "turn it off".
  if (request.options.partnerDiscovery) want.enablePartnerDiscovery = true;
  const title = want.enablePartnerDiscovery ? 'Enable federation and partner discovery on the Access Edge' : 'Enable federation on the Access Edge';
  const params: Record<string, boolean> = {};
  const back: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(want) as [keyof typeof want, boolean][]) {
    if (edge[key] !== value) {
      params[key] = value;
      back[key] = edge[key] ?? false; // null only under default routing, which is refused; the documented default is False
    }
  }
  if (Object.keys(params).length === 0) {
    out.alreadyConfigured.push({ id: 'federation', title, reason: `AllowFederatedUsers is already True${want.enablePartnerDiscovery ? ' and EnablePartnerDiscovery is already True' : ''}.` });
    return;
  }
  out.steps.push(step('federation', title, 'accessEdge.set', params, [{ op: 'accessEdge.set', params: back }]));
}

type PolicyFlags = Pick<OpParams<'externalAccessPolicy.set'>, 'enableFederationAccess' | 'enablePublicCloudAccess' | 'enablePublicCloudAudioVideoAccess'>;

/** S3: the external access policy for the scope, then (per-user scope) one grant per user whose policy differs. */
function planPolicy(request: ProvisioningRequest, observed: ObservedState, out: Builder): void {
  const scope = request.options.policyScope;
  const want: PolicyFlags = { enableFederationAccess: true, enablePublicCloudAccess: true };
  if (request.options.publicAudioVideo) want.enablePublicCloudAudioVideoAccess = true;

  // Created as a site identity or a bare per-user name; read back as site:X / tag:X.
  const createAs = scope.kind === 'global' ? 'Global' : scope.kind === 'site' ? `site:${scope.site}` : scope.policyName;
  const existing = findPolicy(observed, createAs);
  const label = scope.kind === 'global' ? 'the global external access policy'
    : scope.kind === 'site' ? `the site external access policy site:${scope.site}` : `the per-user external access policy ${scope.policyName}`;

  if (!existing) {
    // Only site and per-user policies can be absent (Global always exists; refused otherwise).
    out.steps.push(step('policy', `Create ${label} with federation and public IM access`, 'externalAccessPolicy.new',
      { identity: createAs, ...want }, [{ op: 'externalAccessPolicy.remove', params: { identity: createAs } }]));
  } else {
    const params: Record<string, unknown> = { identity: existing.identity };
    const back: Record<string, unknown> = { identity: existing.identity };
    for (const [key, value] of Object.entries(want) as [keyof PolicyFlags, boolean][]) {
      if (existing[key] !== value) {
        params[key] = value;
        back[key] = existing[key];
      }
    }
    const title = `Allow federation and public IM in ${label}`;
    if (Object.keys(params).length === 1) {
      out.alreadyConfigured.push({ id: 'policy', title, reason: `${existing.identity} already allows federation and public IM${want.enablePublicCloudAudioVideoAccess ? ' with audio/video' : ''}.` });
    } else {
      out.steps.push(step('policy', title, 'externalAccessPolicy.set', params, [{ op: 'externalAccessPolicy.set', params: back }]));
    }
  }

  if (scope.kind !== 'user') return;
  // A request may name thousands of users: each is looked up once in an index, and checked
  // against a view of the state holding only that user (linear, not quadratic, in the users).
  const byUser = new Map<string, ObservedState['userPolicies'][number]>();
  for (const u of observed.userPolicies) if (!byUser.has(u.user.toLowerCase())) byUser.set(u.user.toLowerCase(), u);
  dedupe(scope.users).forEach((user, i) => {
    const id = `grant-${i + 1}`;
    const title = `Assign ${scope.policyName} to ${user}`;
    const current = byUser.get(user.toLowerCase());
    const captured = current?.externalAccessPolicy ?? null;
    const onlyThisUser: ObservedState = { ...observed, userPolicies: current ? [current] : [] };
    if (satisfied('externalAccessPolicy.grant', { user, policyName: scope.policyName }, onlyThisUser)) {
      out.alreadyConfigured.push({ id, title, reason: `${user} already has ${scope.policyName}.` });
      return;
    }
    out.steps.push(step(id, title, 'externalAccessPolicy.grant', { user, policyName: scope.policyName },
      [{ op: 'externalAccessPolicy.grant', params: { user, policyName: captured } }]));
  });
}

/** A captured provider as `publicProvider.new` params with every field it has (Set cannot restore the others). */
function recreateParams(p: PublicProvider): OpParams<'publicProvider.new'> {
  const params: OpParams<'publicProvider.new'> = { identity: p.identity, proxyFqdn: p.proxyFqdn, enabled: p.enabled, verificationLevel: p.verificationLevel };
  if (p.iconUrl !== null) params.iconUrl = p.iconUrl;
  if (p.nameDecorationRoutingDomain !== null) params.nameDecorationRoutingDomain = p.nameDecorationRoutingDomain;
  if (p.nameDecorationExcludedDomainList !== null) params.nameDecorationExcludedDomainList = p.nameDecorationExcludedDomainList;
  if (p.enableSkypeIdRouting !== null) params.enableSkypeIdRouting = p.enableSkypeIdRouting;
  if (p.enableSkypeDirectorySearch !== null) params.enableSkypeDirectorySearch = p.enableSkypeDirectorySearch;
  return params;
}

/** S4: the Skype public provider exactly as the profile documents it. */
function planProvider(observed: ObservedState, profile: Profile, out: Builder): void {
  const documented = SKYPE_PROVIDER_PARAMS[profile];
  const title = 'Create the Skype public provider';
  if (satisfied('publicProvider.new', documented, observed)) {
    out.alreadyConfigured.push({ id: 'provider', title, reason: `The public provider Skype already exists as the ${profile} profile documents it, and is enabled.` });
    return;
  }
  const skype = findProvider(observed, SKYPE_IDENTITY);
  if (skype) {
    const { enabled, verificationLevel, ...fixed } = documented;
    if (providerDifferences(skype, fixed, observed.serverVersion.verificationLevels).length === 0) {
      // Only the two fields Set-CsPublicProvider can change differ.
      const params: Record<string, unknown> = { identity: skype.identity };
      const back: Record<string, unknown> = { identity: skype.identity };
      const levels = observed.serverVersion.verificationLevels;
      if (providerDifferences(skype, { enabled }, levels).length > 0) {
        params.enabled = enabled;
        back.enabled = skype.enabled;
      }
      if (verificationLevel !== undefined && providerDifferences(skype, { verificationLevel }, levels).length > 0) {
        params.verificationLevel = verificationLevel;
        back.verificationLevel = skype.verificationLevel;
      }
      const what = [params.enabled !== undefined ? 'enable it' : '', params.verificationLevel !== undefined ? `set its verification level to ${String(verificationLevel)}` : '']
        .filter(Boolean).join(' and ');
      out.steps.push(step('provider-set', `Update the Skype public provider: ${what}`,
        'publicProvider.set', params, [{ op: 'publicProvider.set', params: back }]));
      return;
    }
  }
  // Identities and proxy FQDNs are unique across providers: everything holding either goes first.
  const conflicting = observed.publicProviders.filter((p) =>
    p.identity.toLowerCase() === SKYPE_IDENTITY.toLowerCase() || p.proxyFqdn.toLowerCase() === SKYPE_PROXY_FQDN);
  conflicting.forEach((p, i) => {
    out.steps.push(step(`provider-remove-${i + 1}`, `Remove the public provider ${p.identity} (${p.proxyFqdn})`,
      'publicProvider.remove', { identity: p.identity }, [{ op: 'publicProvider.new', params: recreateParams(p) }]));
  });
  out.steps.push(step('provider-new', title, 'publicProvider.new', { ...documented },
    [{ op: 'publicProvider.remove', params: { identity: SKYPE_IDENTITY } }]));
}

/** S5: DisablePICPromptDisplayName on the Global client policy, only when the request sets it. */
function planClientPolicy(request: ProvisioningRequest, observed: ObservedState, out: Builder): void {
  const want = request.options.disablePICPromptDisplayName;
  if (want === null) return;
  const policy = observed.clientPolicies.find((c) => policyKey(c.identity) === 'global');
  if (!policy) return; // refused earlier
  const title = `Set DisablePICPromptDisplayName to ${yesNo(want)} in the global client policy`;
  if (policy.disablePICPromptDisplayName === want) {
    out.alreadyConfigured.push({ id: 'client-policy', title, reason: `DisablePICPromptDisplayName is already ${yesNo(want)}.` });
    return;
  }
  out.steps.push(step('client-policy', title, 'clientPolicy.set', { identity: policy.identity, disablePICPromptDisplayName: want },
    [{ op: 'clientPolicy.set', params: { identity: policy.identity, disablePICPromptDisplayName: policy.disablePICPromptDisplayName } }]));
}

/** Removing Global resets it to defaults: no plan may ever roll back that way (LYNC.md §2.3). */
function assertSafeRollback(s: PlanStep): void {
  for (const r of [s, ...s.rollback]) {
    if (r.op === 'externalAccessPolicy.remove' && policyKey(String(r.params.identity)) === 'global') {
      throw new Error(`planner bug: step ${s.id} would remove the Global external access policy`);
    }
  }
}
