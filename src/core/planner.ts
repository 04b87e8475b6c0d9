import { canonicalJson, sha256Hex } from '../contracts/canonical';
import { fingerprint as observedFingerprint, normalizeObserved, type ObservedState, type PublicProvider } from '../contracts/observed';
import type { OpCall, OpParams } from '../contracts/ops';
import { PROFILE_LABEL, PROFILE_PRODUCT, PROFILES, type Profile } from '../contracts/profiles';
import { cmdletCall } from '../contracts/render';
import type { PlanStep } from '../contracts/runner-api';
import { findPolicy, findProvider, policyKey, providerDifferences, satisfied } from '../contracts/satisfied';
import { SKYPE_IDENTITY, SKYPE_PROVIDER_PARAMS, SKYPE_PROXY_FQDN, SKYPE_RETIRED_SHORT, SKYPE_RETIREMENT_NOTE } from '../contracts/skype-provider';
import { includesSkype, type ProvisioningRequest } from './request';

/**
 * The planner (docs/lync-reference.md, Plan order and rollback): a pure function from the request, the observed state and
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
  | 'observed_incomplete'
  | 'profile_capability_mismatch'
  | 'edge_fqdn_unknown'
  | 'site_unknown'
  | 'policy_held_by_others';

export interface PlanRefusal { code: PlanRefusalCode; reason: string }
export interface AlreadyConfigured { id: string; title: string; reason: string }

export interface Plan {
  profile: Profile;
  steps: PlanStep[];
  alreadyConfigured: AlreadyConfigured[];
  refusals: PlanRefusal[];
  /**
   * What the admin should know before approving: checks the observed state could not make (an
   * older export), users a Global change does not reach, Edge FQDNs not in the topology, the
   * Skype retirement. Not part of the plan hash.
   */
  warnings: string[];
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
  const warnings = warningsFor(request, observed);
  const refused = (list: PlanRefusal[]): Plan => ({ profile, steps: [], alreadyConfigured: [], refusals: list, warnings, fingerprint: fp, planHash: planHash(profile, fp, []) });
  const refusals = refusalsFor(request, observed, profile);
  if (refusals.length > 0) return refused(refusals);

  const out: Builder = { steps: [], alreadyConfigured: [] };
  planFederation(request, observed, out);
  planPolicy(request, observed, out);
  if (includesSkype(request.options)) planProvider(observed, profile, out);
  planClientPolicy(request, observed, out);
  for (const step of out.steps) assertSafeRollback(step);
  // Refusals that depend on the steps: what the server's binaries can run, and who else a changed policy reaches.
  const late = [...capabilityRefusals(out.steps, observed, profile), ...holderRefusals(request, observed, out.steps)];
  if (late.length > 0) return refused(late);
  return { profile, ...out, refusals: [], warnings, fingerprint: fp, planHash: planHash(profile, fp, out.steps) };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Warnings: what could not be checked, and what the plan does not reach. */
export function warningsFor(request: ProvisioningRequest, observed: ObservedState): string[] {
  const out: string[] = [];
  const missing = (what: string) => `The observed state has no ${what} (it was read by an older picbot, or the read failed): `;
  if (!observed.capabilities) {
    out.push(`${missing('list of the server\'s cmdlet parameters')}the plan was not checked against what the server can run. Run discovery again to check it.`);
  }
  if (!observed.topology) {
    out.push(`${missing('Edge topology')}the Access Edge FQDNs were not compared with the Edge pools, and the topology's federation setting was not read.`);
  } else {
    const pools = observed.topology.edgePools;
    const external = new Set(pools.map((e) => e.accessEdgeExternalFqdn.toLowerCase()));
    for (const fqdn of request.accessEdgeFqdns.slice(1)) {
      if (!external.has(fqdn)) out.push(`The additional Access Edge FQDN ${fqdn} is not the external FQDN of any Edge pool in the topology (${[...external].join(', ') || 'none'}).`);
    }
    const off = pools.filter((e) => e.federationEnabled === false);
    if (off.length > 0) {
      out.push(`Federation (port 5061) is off in the topology for ${off.map((e) => e.accessEdgeExternalFqdn).join(', ')}: every step can succeed and still nothing federates. Enable it in Topology Builder and publish the topology; picbot cannot change it.`);
    }
    const unknown = pools.filter((e) => e.federationEnabled === null);
    if (unknown.length > 0) out.push(`Whether federation (port 5061) is enabled in the topology could not be read for ${unknown.map((e) => e.accessEdgeExternalFqdn).join(', ')}: check it in Topology Builder.`);
  }
  const scope = request.options.policyScope;
  if (scope.kind === 'site' && !observed.sites) out.push(`${missing('list of sites')}the site name ${scope.site} was not checked against Get-CsSite.`);
  if (scope.kind === 'global') {
    const sitePolicies = observed.externalAccessPolicies.filter((p) => policyKey(p.identity).startsWith('site:'));
    const tagPolicies = observed.externalAccessPolicies.filter((p) => policyKey(p.identity).startsWith('tag:'));
    if (sitePolicies.length > 0 || tagPolicies.length > 0) {
      const holders = observed.policyHolders;
      const held = holders ? Object.values(holders).reduce((a, b) => a + b, 0) : null;
      const parts: string[] = [];
      if (sitePolicies.length > 0) parts.push(`${plural(sitePolicies.length, 'site policy', 'site policies')} (${sitePolicies.map((p) => p.identity).join(', ')}) and the users homed in those sites`);
      if (tagPolicies.length > 0) parts.push(`${plural(tagPolicies.length, 'per-user policy', 'per-user policies')} (${tagPolicies.map((p) => p.identity).join(', ')})${held === null ? ', held by an unknown number of users' : ` held by ${plural(held, 'user')}`}`);
      out.push(`Changing the Global policy does not reach users under other policies: ${parts.join('; ')} keep their own settings.`);
    }
  }
  if (scope.kind === 'user' && !observed.policyHolders && findPolicy(observed, scope.policyName)) {
    out.push(`${missing('count of users holding each per-user policy')}whether users outside this request hold ${scope.policyName} was not checked.`);
  }
  if (includesSkype(request.options)) out.push(SKYPE_RETIREMENT_NOTE);
  else if (request.options.publicAudioVideo) {
    out.push('Public audio/video (the EnablePublicCloudAudioVideoAccess setting) was asked for, but it works only with the Skype public provider, which this request leaves out: it is not set.');
  }
  return out;
}

/** The products' names in words, with the profile id in code formatting. */
const profileWords = (p: Profile) => `${PROFILE_LABEL[p]} (\`${p}\`)`;

/**
 * Refuses a plan that would send a parameter the server's cmdlet lacks (the capabilities read in
 * discovery), naming the cmdlet, the parameter and the profile that fits the server.
 */
function capabilityRefusals(steps: PlanStep[], observed: ObservedState, profile: Profile): PlanRefusal[] {
  const caps = observed.capabilities;
  if (!caps) return [];
  const missing: { cmdlet: string; parameter: string }[] = [];
  for (const s of steps) {
    const call = cmdletCall(s.op, s.params);
    const accepted = call ? caps[call.cmdlet] : undefined;
    if (!call || !accepted) continue;
    const lower = new Set(accepted.map((a) => a.toLowerCase()));
    for (const parameter of call.parameters) {
      if (!lower.has(parameter.toLowerCase()) && !missing.some((m) => m.cmdlet === call.cmdlet && m.parameter === parameter)) missing.push({ cmdlet: call.cmdlet, parameter });
    }
  }
  if (missing.length === 0) return [];
  const product = observed.serverVersion.product;
  const fits = PROFILES.filter((p) => p !== profile && PROFILE_PRODUCT[p] === product && providerFits(p, caps));
  const suggestion = fits.length > 0
    ? `Choose ${fits.map(profileWords).join(' or ')} instead.`
    : 'No version profile fits what the server reports: check the server\'s updates.';
  return missing.map((m) => ({
    code: 'profile_capability_mismatch' as const,
    reason: `The plan was made for ${profileWords(profile)}, but this server's ${m.cmdlet} has no -${m.parameter} parameter, so the plan would stop half-way, after earlier steps have changed the server. ${suggestion}`,
  }));
}

/** Whether a profile's documented Skype provider binds on a server with these capabilities. */
function providerFits(profile: Profile, caps: NonNullable<ObservedState['capabilities']>): boolean {
  const call = cmdletCall('publicProvider.new', SKYPE_PROVIDER_PARAMS[profile]);
  const accepted = call ? caps[call.cmdlet] : undefined;
  if (!call || !accepted) return true;
  const lower = new Set(accepted.map((a) => a.toLowerCase()));
  return call.parameters.every((p) => lower.has(p.toLowerCase()));
}

/**
 * A per-user policy that already exists and is held by users outside the request: changing it
 * widens access for them too, so the plan is refused unless the admin said to change it for them.
 */
function holderRefusals(request: ProvisioningRequest, observed: ObservedState, steps: PlanStep[]): PlanRefusal[] {
  const scope = request.options.policyScope;
  if (scope.kind !== 'user' || request.options.changeForOtherHolders) return [];
  if (!steps.some((s) => s.id === 'policy' && s.op === 'externalAccessPolicy.set')) return [];
  const total = observed.policyHolders?.[Object.keys(observed.policyHolders).find((k) => k.toLowerCase() === scope.policyName.toLowerCase()) ?? ''];
  if (total === undefined) return [];
  const requested = new Set(scope.users.map((u) => u.toLowerCase()));
  const inRequest = observed.userPolicies.filter((u) => bare(u.externalAccessPolicy) === scope.policyName.toLowerCase() && requested.has(u.user.toLowerCase())).length;
  const others = total - inRequest;
  if (others <= 0) return [];
  return [{
    code: 'policy_held_by_others',
    reason: `The per-user policy ${scope.policyName} already exists and ${plural(others, 'user')} outside this request ${others === 1 ? 'holds' : 'hold'} it: changing it would widen their access too. Tick "change it for its other holders too" in the options, or choose a new policy name.`,
  }];
}

const bare = (name: string | null) => (name ?? '').replace(/^tag:/i, '').toLowerCase();

/** Every reason not to plan at all (all of them, so the admin can fix them in one go). */
export function refusalsFor(request: ProvisioningRequest, observed: ObservedState, profile: Profile): PlanRefusal[] {
  const refusals: PlanRefusal[] = [];
  const product = observed.serverVersion.product;
  if (PROFILE_PRODUCT[profile] !== product) {
    refusals.push({ code: 'product_mismatch', reason: `The server reports ${product}, but the request is for ${PROFILE_LABEL[profile]}. Edit the request's target to the product the server runs.` });
  }
  if (observed.accessEdge.routing !== 'DnsSrv') {
    refusals.push({ code: 'routing_not_dns_srv', reason: 'The Access Edge uses default routing, and public providers need DNS SRV routing. Switching the routing mode is a separate, high-impact change (every hosting and public provider must be deleted first); picbot does not make it.' });
  }
  const known = new Set(observed.sipDomains.map((d) => d.name.toLowerCase()));
  for (const d of request.sipDomains) {
    if (!known.has(d.toLowerCase())) refusals.push({ code: 'sip_domain_missing', reason: `The SIP domain ${d} is not one of the server's SIP domains (Get-CsSipDomain). Add it to the topology first, or remove it from the request.` });
  }
  for (const h of includesSkype(request.options) ? observed.hostingProviders : []) {
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
  const primary = request.accessEdgeFqdns[0];
  if (observed.topology && primary !== undefined && !observed.topology.edgePools.some((e) => e.accessEdgeExternalFqdn.toLowerCase() === primary)) {
    const known = observed.topology.edgePools.map((e) => e.accessEdgeExternalFqdn);
    refusals.push({ code: 'edge_fqdn_unknown', reason: `The primary Access Edge FQDN ${primary} is not the external FQDN of any Edge pool in the topology (Get-CsService -EdgeServer lists ${known.join(', ') || 'none'}). The provisioning request must name the Access Edge the server federates through.` });
  }
  const scope = request.options.policyScope;
  if (scope.kind === 'site' && observed.sites && !observed.sites.some((x) => x.toLowerCase() === scope.site.toLowerCase())) {
    refusals.push({ code: 'site_unknown', reason: `The topology has no site named ${scope.site} (Get-CsSite lists ${observed.sites.join(', ') || 'none'}).` });
  }
  if (includesSkype(request.options) && SKYPE_PROVIDER_PARAMS[profile].verificationLevel !== undefined
    && Object.keys(observed.serverVersion.verificationLevels).length === 0) {
    refusals.push({ code: 'observed_incomplete', reason: `The ${PROFILE_LABEL[profile]} command passes -VerificationLevel 2, and the server's verification level names could not be read during discovery (see the discovery card), so what 2 means there is unknown. Allow the script block on the OcsPowershell endpoint or run the runner on a Front End, then discover again.` });
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
  const params: OpParams<'accessEdge.set'> = {};
  const back: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(want) as [Exclude<keyof typeof want, 'useDnsSrvRouting'>, boolean][]) {
    if (edge[key] !== value) {
      params[key] = value;
      back[key] = edge[key] ?? false; // null only under default routing, which is refused; the documented default is False
    }
  }
  if (Object.keys(params).length === 0) {
    out.alreadyConfigured.push({ id: 'federation', title, reason: `AllowFederatedUsers is already True${want.enablePartnerDiscovery ? ' and EnablePartnerDiscovery is already True' : ''}.` });
    return;
  }
  // Microsoft's examples always pair EnablePartnerDiscovery with UseDnsSrvRouting; the routing is
  // already DNS SRV (default routing is refused), so the switch changes nothing else.
  if (params.enablePartnerDiscovery) params.useDnsSrvRouting = true;
  out.steps.push(step('federation', title, 'accessEdge.set', params, [{ op: 'accessEdge.set', params: back }]));
}

type PolicyFlags = Pick<OpParams<'externalAccessPolicy.set'>, 'enableFederationAccess' | 'enablePublicCloudAccess' | 'enablePublicCloudAudioVideoAccess'>;

/** S3: the external access policy for the scope, then (per-user scope) one grant per user whose policy differs. */
function planPolicy(request: ProvisioningRequest, observed: ObservedState, out: Builder): void {
  const scope = request.options.policyScope;
  const skype = includesSkype(request.options);
  const want: PolicyFlags = skype ? { enableFederationAccess: true, enablePublicCloudAccess: true } : { enableFederationAccess: true };
  if (skype && request.options.publicAudioVideo) want.enablePublicCloudAudioVideoAccess = true;
  const what = skype ? `federation and public IM (${SKYPE_RETIRED_SHORT})` : 'federation';

  // Created as a site identity or a bare per-user name; read back as site:X / tag:X.
  const createAs = scope.kind === 'global' ? 'Global' : scope.kind === 'site' ? `site:${scope.site}` : scope.policyName;
  const existing = findPolicy(observed, createAs);
  const label = scope.kind === 'global' ? 'the global external access policy'
    : scope.kind === 'site' ? `the site external access policy site:${scope.site}` : `the per-user external access policy ${scope.policyName}`;

  if (!existing) {
    // Only site and per-user policies can be absent (Global always exists; refused otherwise).
    out.steps.push(step('policy', `Create ${label} with ${what} access`, 'externalAccessPolicy.new',
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
    const title = `Allow ${what} in ${label}`;
    if (Object.keys(params).length === 1) {
      out.alreadyConfigured.push({ id: 'policy', title, reason: `${existing.identity} already allows ${skype ? 'federation and public IM' : 'federation'}${want.enablePublicCloudAudioVideoAccess ? ' with audio/video' : ''}.` });
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
  const title = `Create the Skype public provider (${SKYPE_RETIRED_SHORT})`;
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
      out.steps.push(step('provider-set', `Update the Skype public provider (${SKYPE_RETIRED_SHORT}): ${what}`,
        'publicProvider.set', params, [{ op: 'publicProvider.set', params: back }]));
      return;
    }
  }
  // Identities and proxy FQDNs are unique across providers: everything holding either goes first.
  const conflicting = observed.publicProviders.filter((p) =>
    p.identity.toLowerCase() === SKYPE_IDENTITY.toLowerCase() || p.proxyFqdn.toLowerCase() === SKYPE_PROXY_FQDN);
  conflicting.forEach((p, i) => {
    // The proxy FQDN goes last, not in parentheses: a card column too narrow for it wraps it at
    // any character and could leave its closing ")" alone on a line.
    out.steps.push(step(`provider-remove-${i + 1}`, `Remove the public provider ${p.identity} to re-create it as Skype (${SKYPE_RETIRED_SHORT}); its proxy FQDN is ${p.proxyFqdn}`,
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

/** Removing Global resets it to defaults: no plan may ever roll back that way (docs/lync-reference.md, External access policies). */
function assertSafeRollback(s: PlanStep): void {
  for (const r of [s, ...s.rollback]) {
    if (r.op === 'externalAccessPolicy.remove' && policyKey(String(r.params.identity)) === 'global') {
      throw new Error(`planner bug: step ${s.id} would remove the Global external access policy`);
    }
  }
}
