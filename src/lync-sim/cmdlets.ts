import type { OpName, OpParams } from '../contracts/ops';
import type { DiscoveryFallback, ExternalAccessPolicy, Product, PublicProvider } from '../contracts/observed';
import { cmdletCall } from '../contracts/render';
import type { ShellErrorCode } from '../contracts/shell-errors';
import type { Faults } from './faults';
import { hasSkypeSwitches, type SimState } from './state';

/**
 * The simulated cmdlets: each catalog op run against the state, with Lync's documented semantics
 * (docs/lync-reference.md, Rules). A handler checks everything before it changes anything, so a failed op leaves the
 * state as it was. Identities compare case-insensitively, as on a real server.
 */
export type SimOutcome =
  | { ok: true; data: unknown; changed: boolean }
  | { ok: false; error: { code: ShellErrorCode; message: string } };

class SimError extends Error {
  constructor(readonly code: ShellErrorCode, message: string) {
    super(message);
  }
}

type Done = { data: unknown; changed: boolean };
type Handler<N extends OpName> = (state: SimState, params: OpParams<N>, now: Date, faults: Faults) => Done;

const read = (data: unknown): Done => ({ data: structuredClone(data), changed: false });
const wrote: Done = { data: null, changed: true };
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Global, site:X and tag:X as Get- shows them; a bare name is a per-user (tag:) policy. */
function policyIdentity(raw: string): string {
  if (same(raw, 'global')) return 'Global';
  const scoped = /^(site|tag):(.+)$/i.exec(raw);
  if (scoped) return `${scoped[1].toLowerCase()}:${scoped[2]}`;
  if (raw.includes(':')) {
    throw new SimError('invalid_identity', `"${raw}" is not a valid policy identity: use Global, site:<site name> or a per-user policy name.`);
  }
  return `tag:${raw}`;
}

function notFound(kind: string, identity: string): SimError {
  return new SimError('not_found', `Cannot find "${kind}" "${identity}" because it does not exist.`);
}

/** Resolves a name or number the way PowerShell binds it to the server's VerificationLevelType. */
function verificationLevel(value: string | number, levels: Record<string, number>): string {
  const names = Object.keys(levels);
  const numeric = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : null;
  const name = numeric === null
    ? names.find((n) => same(n, value as string))
    : names.find((n) => levels[n] === numeric);
  if (name) return name;
  throw new SimError('bad_params',
    `Cannot bind parameter 'VerificationLevel'. Cannot convert value "${value}" to type "VerificationLevelType". ` +
    `Specify one of the following enumerator names and try again: ${names.join(', ')}`);
}

const noParameter = (name: string) =>
  new SimError('bad_params', `A parameter cannot be found that matches parameter name '${name}'.`);

/**
 * Parameter binding against the server's binaries: a parameter the cmdlet does not have fails
 * as PowerShell fails it, before anything runs. Cmdlets without capabilities are not checked.
 */
function bindParameters(state: SimState, op: OpName, params: Record<string, unknown>): void {
  const call = cmdletCall(op, params);
  const accepted = call ? state.capabilities?.[call.cmdlet] : undefined;
  if (!call || !accepted) return;
  const lower = new Set(accepted.map((a) => a.toLowerCase()));
  const missing = call.parameters.find((p) => !lower.has(p.toLowerCase()));
  if (missing) throw noParameter(missing);
}

/** The product the topology's Registrar service version stands for (the major version of the build). */
const TOPOLOGY_VERSION: Record<Product, string> = {
  'Lync Server 2010': '4',
  'Lync Server 2013': '5',
  'Skype for Business Server 2015': '6',
  'Skype for Business Server 2019': '7',
  'Skype for Business Server Subscription Edition': '8',
};

/** server.version with the remote-session fallbacks lync-ops.ps1 takes, recorded in `fallbacks`. */
function serverVersion(s: SimState, faults: Faults): Done {
  const fallbacks: DiscoveryFallback[] = [];
  let version = s.serverVersion.version;
  if (faults.serverVersionLocalOnly) {
    version = TOPOLOGY_VERSION[s.serverVersion.product];
    fallbacks.push({
      read: 'Get-CsServerVersion',
      reason: 'Get-CsServerVersion is designed to run only on the local computer.',
      instead: `the product from the topology (Get-CsService -Registrar, version ${version}); the build number is unknown`,
    });
  }
  let levels = s.serverVersion.verificationLevels;
  if (faults.scriptBlocksRefused) {
    const reason = 'The remote endpoint refused the script block that reads the VerificationLevelType values (restricted language mode).';
    if ((s.capabilities?.['New-CsPublicProvider'] ?? []).some((p) => p.toLowerCase() === 'inmemory')) {
      fallbacks.push({ read: 'VerificationLevelType values', reason, instead: 'each number resolved by binding it with New-CsPublicProvider -InMemory (nothing created)' });
    } else {
      levels = {};
      fallbacks.push({ read: 'VerificationLevelType values', reason, instead: 'nothing: the verification level names are unknown, so plans that pass -VerificationLevel 2 are refused' });
    }
  }
  return read({ ...s.serverVersion, version, verificationLevels: levels, ...(fallbacks.length > 0 ? { fallbacks } : {}) });
}

function markReplicasStale(state: SimState): void {
  for (const replica of state.replicas ?? []) replica.upToDate = false;
}

function findPolicy(state: SimState, identity: string): ExternalAccessPolicy | undefined {
  return state.externalAccessPolicies.find((p) => same(p.identity, identity));
}

type PolicyFlags = Partial<Omit<ExternalAccessPolicy, 'identity'>>;
const POLICY_DEFAULTS: Required<PolicyFlags> = {
  enableFederationAccess: false,
  enablePublicCloudAccess: false,
  enablePublicCloudAudioVideoAccess: false,
  enableOutsideAccess: false,
};

function policyFlags(params: PolicyFlags): PolicyFlags {
  const flags: PolicyFlags = {};
  for (const key of Object.keys(POLICY_DEFAULTS) as (keyof PolicyFlags)[]) {
    if (params[key] !== undefined) flags[key] = params[key];
  }
  return flags;
}

const HANDLERS: { [N in OpName]: Handler<N> } = {
  'server.version': (s, _p, _now, faults) => serverVersion(s, faults),
  'capabilities.get': (s) => read(s.capabilities ?? {}),
  'topology.get': (s) => read(s.topology ?? { edgePools: [] }),
  'site.list': (s) => read(s.sites ?? []),
  'externalAccessPolicy.holders': (s) => {
    const holders: Record<string, number> = {};
    for (const u of s.userPolicies) {
      if (u.externalAccessPolicy !== null) holders[u.externalAccessPolicy] = (holders[u.externalAccessPolicy] ?? 0) + 1;
    }
    return read(holders);
  },
  // Binding only, like -InMemory on a server: no uniqueness rule, nothing stored.
  'publicProvider.probe': (s, p) => read({ verificationLevel: verificationLevel(p.verificationLevel ?? 'AlwaysVerifiable', s.serverVersion.verificationLevels) }),
  'accessEdge.get': (s) => read(s.accessEdge),
  'sipDomain.list': (s) => read(s.sipDomains),
  'publicProvider.list': (s) => read(s.publicProviders),
  'hostingProvider.list': (s) => read(s.hostingProviders),
  'externalAccessPolicy.list': (s) => read(s.externalAccessPolicies),

  'user.externalAccessPolicy': (s, p) => {
    const users: { user: string; externalAccessPolicy: string | null }[] = [];
    const missing: string[] = [];
    for (const user of p.users) {
      const known = s.userPolicies.find((u) => same(u.user, user));
      if (known) users.push({ user, externalAccessPolicy: known.externalAccessPolicy });
      else missing.push(user);
    }
    return read({ users, notFound: missing });
  },

  'clientPolicy.get': (s, p) => {
    const identity = policyIdentity(p.identity);
    const policy = s.clientPolicies.find((c) => same(c.identity, identity));
    if (!policy) throw notFound('ClientPolicy', identity);
    return read(policy);
  },

  // Replication is simulated as lagging by one look: the first replication.status after a write
  // shows the replicas stale, and the replicas catch up right after that answer.
  'replication.status': (s, _p, now) => {
    const answer = structuredClone(s.replicas ?? []);
    const stale = (s.replicas ?? []).filter((r) => !r.upToDate);
    if (stale.length === 0 || s.faults?.replicationStuck) return { data: answer, changed: false };
    for (const replica of stale) {
      replica.upToDate = true;
      replica.lastUpdate = now.toISOString();
    }
    return { data: answer, changed: true };
  },

  'accessEdge.set': (s, p) => {
    if (p.useDnsSrvRouting && s.accessEdge.routing !== 'DnsSrv') {
      // A real server would switch the routing mode; picbot never asks for that (the planner refuses default routing).
      throw new SimError('default_routing', 'UseDnsSrvRouting would switch the Edge servers from default routing to DNS SRV routing: every hosting and public provider must be removed first.');
    }
    if (p.enablePartnerDiscovery !== undefined && s.accessEdge.routing !== 'DnsSrv') {
      throw new SimError('default_routing', 'EnablePartnerDiscovery can be set only when the Edge servers use DNS SRV routing.');
    }
    if (p.allowFederatedUsers !== undefined) s.accessEdge.allowFederatedUsers = p.allowFederatedUsers;
    if (p.enablePartnerDiscovery !== undefined) s.accessEdge.enablePartnerDiscovery = p.enablePartnerDiscovery;
    if (p.enableArchivingDisclaimer !== undefined) s.accessEdge.enableArchivingDisclaimer = p.enableArchivingDisclaimer;
    return wrote;
  },

  'externalAccessPolicy.new': (s, p) => {
    const identity = policyIdentity(p.identity);
    if (identity === 'Global') {
      throw new SimError('invalid_identity',
        'Cannot create a policy at the global scope: the global policy always exists. Use Set-CsExternalAccessPolicy -Identity global to change it.');
    }
    if (identity.startsWith('site:') && findPolicy(s, identity)) {
      throw new SimError('already_exists', `A policy for site "${identity.slice(5)}" already exists. A site can have only one external access policy.`);
    }
    if (findPolicy(s, identity)) {
      throw new SimError('already_exists', `"ExternalAccessPolicy" with identity "${identity}" already exists.`);
    }
    s.externalAccessPolicies.push({ identity, ...POLICY_DEFAULTS, ...policyFlags(p) });
    return wrote;
  },

  'externalAccessPolicy.set': (s, p) => {
    const identity = policyIdentity(p.identity);
    const policy = findPolicy(s, identity);
    if (!policy) throw notFound('ExternalAccessPolicy', identity);
    Object.assign(policy, policyFlags(p));
    return wrote;
  },

  'externalAccessPolicy.remove': (s, p) => {
    const identity = policyIdentity(p.identity);
    const policy = findPolicy(s, identity);
    if (!policy) throw notFound('ExternalAccessPolicy', identity);
    if (identity === 'Global') {
      // Lync never deletes the global policy: Remove- resets it to the defaults (docs/lync-reference.md, External access policies).
      Object.assign(policy, POLICY_DEFAULTS);
      return wrote;
    }
    if (policy.identity.startsWith('tag:')) {
      const name = policy.identity.slice(4);
      if (s.userPolicies.some((u) => u.externalAccessPolicy !== null && same(u.externalAccessPolicy, name))) {
        throw new SimError('policy_in_use',
          `The policy "${name}" is currently assigned to one or more users. Assign a different policy to the users before removing this one. The policy is in use.`);
      }
    }
    s.externalAccessPolicies = s.externalAccessPolicies.filter((x) => x !== policy);
    return wrote;
  },

  'externalAccessPolicy.grant': (s, p) => {
    const user = s.userPolicies.find((u) => same(u.user, p.user));
    if (!user) throw new SimError('not_found', `Management object not found for identity "${p.user}".`);
    if (p.policyName === null) {
      user.externalAccessPolicy = null;
      return wrote;
    }
    // ASSUMPTION: PolicyName is the bare name (docs/lync-reference.md, External access policies); a tag:/site: prefix is refused.
    if (/^(tag|site):/i.test(p.policyName) || same(p.policyName, 'global')) {
      throw new SimError('bad_params', `"${p.policyName}" is not a per-user policy name. PolicyName is the policy's Identity without the "tag:" prefix.`);
    }
    const policy = findPolicy(s, `tag:${p.policyName}`);
    if (!policy) throw notFound('ExternalAccessPolicy', `tag:${p.policyName}`);
    user.externalAccessPolicy = policy.identity.slice(4);
    return wrote;
  },

  'publicProvider.new': (s, p) => {
    const level = p.verificationLevel === undefined
      ? verificationLevel('AlwaysVerifiable', s.serverVersion.verificationLevels)
      : verificationLevel(p.verificationLevel, s.serverVersion.verificationLevels);
    if (s.accessEdge.routing !== 'DnsSrv') {
      throw new SimError('default_routing',
        'You cannot federate with a public provider while your Edge servers use default routing. Switch the Edge servers to DNS SRV routing first.');
    }
    // Identities and proxy FQDNs are unique across public AND hosting providers (docs/lync-reference.md, Public providers).
    const all = [
      ...s.publicProviders.map((x) => ({ kind: 'public provider', ...x })),
      ...s.hostingProviders.map((x) => ({ kind: 'hosting provider', ...x })),
    ];
    const sameIdentity = all.find((x) => same(x.identity, p.identity));
    if (sameIdentity) {
      throw new SimError('already_exists', `Identity "${p.identity}" is already used by ${sameIdentity.kind} "${sameIdentity.identity}". Identities must be unique among public and hosting providers.`);
    }
    const sameFqdn = all.find((x) => same(x.proxyFqdn, p.proxyFqdn));
    if (sameFqdn) {
      throw new SimError('proxy_fqdn_in_use', `ProxyFqdn "${p.proxyFqdn}" is already used by ${sameFqdn.kind} "${sameFqdn.identity}". Proxy FQDNs must be unique among public and hosting providers.`);
    }
    const skypeDefault = hasSkypeSwitches(s.serverVersion.product) ? false : null;
    const provider: PublicProvider = {
      identity: p.identity,
      proxyFqdn: p.proxyFqdn,
      enabled: p.enabled,
      verificationLevel: level,
      iconUrl: p.iconUrl ?? null,
      nameDecorationRoutingDomain: p.nameDecorationRoutingDomain ?? null,
      nameDecorationExcludedDomainList: p.nameDecorationExcludedDomainList ?? null,
      enableSkypeIdRouting: p.enableSkypeIdRouting ?? skypeDefault,
      enableSkypeDirectorySearch: p.enableSkypeDirectorySearch ?? skypeDefault,
    };
    s.publicProviders.push(provider);
    return wrote;
  },

  // Set-CsPublicProvider takes only Enabled and VerificationLevel; the catalog schema already
  // refuses anything else with "A parameter cannot be found…" before a handler runs.
  'publicProvider.set': (s, p) => {
    const provider = s.publicProviders.find((x) => same(x.identity, p.identity));
    const level = p.verificationLevel === undefined ? undefined : verificationLevel(p.verificationLevel, s.serverVersion.verificationLevels);
    if (!provider) throw notFound('PublicProvider', p.identity);
    if (p.enabled !== undefined) provider.enabled = p.enabled;
    if (level !== undefined) provider.verificationLevel = level;
    return wrote;
  },

  'publicProvider.remove': (s, p) => {
    const provider = s.publicProviders.find((x) => same(x.identity, p.identity));
    if (!provider) throw notFound('PublicProvider', p.identity);
    s.publicProviders = s.publicProviders.filter((x) => x !== provider);
    return wrote;
  },

  'clientPolicy.set': (s, p) => {
    const identity = policyIdentity(p.identity);
    const policy = s.clientPolicies.find((c) => same(c.identity, identity));
    if (!policy) throw notFound('ClientPolicy', identity);
    policy.disablePICPromptDisplayName = p.disablePICPromptDisplayName;
    return wrote;
  },
};

/** Runs one catalog op (params already checked against the catalog) against the state. */
export function runOp(state: SimState, op: OpName, params: Record<string, unknown>, now: Date, faults: Faults = state.faults ?? {}): SimOutcome {
  try {
    bindParameters(state, op, params);
    const handler = HANDLERS[op] as Handler<OpName>;
    const done = handler(state, params as OpParams<OpName>, now, faults);
    if (done.changed && op !== 'replication.status') markReplicasStale(state);
    return { ok: true, data: done.data, changed: done.changed };
  } catch (err) {
    if (err instanceof SimError) return { ok: false, error: { code: err.code, message: err.message } };
    throw err;
  }
}
