import type { ObservedState, PublicProvider } from './observed';
import { checkOpCall, type OpParams, type WriteOpName } from './ops';
import { CodedError } from '../shared/errors';

/**
 * `satisfied(op, params, observed)`: whether the state a write op would produce already holds.
 * The runner checks it before each change (skip if true) and after it (verify); the planner uses
 * it to list steps as "already configured". Only the params given are compared.
 *
 * Comparison rules, the same everywhere:
 * - Lync identities and policy names are case-insensitive (`global` = `Global`); a per-user
 *   policy created as `N` is read back as `tag:N`, so a bare policy identity means `tag:N`.
 * - SIP URIs, proxy FQDNs and domain names are case-insensitive; the excluded-domain list is a set.
 * - A verification level (a name, or the integer the seed uses) is compared through the server's
 *   own name → number map (`serverVersion.verificationLevels`); a name or number the map does not
 *   know never matches, because guessing what the server would store is exactly what we must not do.
 */
export interface SatisfiedCheck {
  satisfied: boolean;
  /** Why not, one line per difference (empty when satisfied); for step reports and test failures. */
  differences: string[];
}

/** Whether the write op's desired state already holds in `observed`. */
export function satisfied(op: WriteOpName | string, params: Record<string, unknown>, observed: ObservedState): boolean {
  return checkSatisfied(op, params, observed).satisfied;
}

/** `satisfied` with the differences spelled out. Throws CodedError('bad_request') for a read op or bad params. */
export function checkSatisfied(op: WriteOpName | string, params: Record<string, unknown>, observed: ObservedState): SatisfiedCheck {
  const checked = checkOpCall({ op, params });
  if (!checked.ok) throw new CodedError('bad_request', `checking ${op}: ${checked.reason}`);
  const diffs: string[] = [];
  const p = checked.params;
  switch (checked.op) {
    case 'accessEdge.set': {
      const want = p as OpParams<'accessEdge.set'>;
      for (const key of ['allowFederatedUsers', 'enablePartnerDiscovery', 'enableArchivingDisclaimer'] as const) {
        if (want[key] !== undefined && observed.accessEdge[key] !== want[key]) {
          diffs.push(`accessEdge.${key} is ${String(observed.accessEdge[key])}, want ${String(want[key])}`);
        }
      }
      if (want.useDnsSrvRouting && observed.accessEdge.routing !== 'DnsSrv') diffs.push(`accessEdge.routing is ${observed.accessEdge.routing}, want DnsSrv`);
      break;
    }
    case 'externalAccessPolicy.new':
    case 'externalAccessPolicy.set': {
      const want = p as OpParams<'externalAccessPolicy.set'>;
      const policy = findPolicy(observed, want.identity);
      if (!policy) {
        diffs.push(`external access policy ${want.identity} does not exist`);
        break;
      }
      for (const key of ['enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess'] as const) {
        if (want[key] !== undefined && policy[key] !== want[key]) {
          diffs.push(`${policy.identity}.${key} is ${String(policy[key])}, want ${String(want[key])}`);
        }
      }
      break;
    }
    case 'externalAccessPolicy.remove': {
      const identity = (p as OpParams<'externalAccessPolicy.remove'>).identity;
      const policy = findPolicy(observed, identity);
      if (policyKey(identity) === 'global') {
        // Removing Global resets it to the server defaults (all four switches off) rather than deleting it.
        const on = policy ? (['enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess'] as const).filter((k) => policy[k]) : [];
        for (const k of on) diffs.push(`Global.${k} is true, the default is false`);
      } else if (policy) {
        diffs.push(`external access policy ${policy.identity} still exists`);
      }
      break;
    }
    case 'externalAccessPolicy.grant': {
      const want = p as OpParams<'externalAccessPolicy.grant'>;
      const user = findUser(observed, want.user);
      if (!user) diffs.push(`user ${want.user} was not read`);
      else if (bareName(user.externalAccessPolicy) !== bareName(want.policyName)) {
        diffs.push(`${user.user} has policy ${user.externalAccessPolicy ?? 'null (inherited)'}, want ${want.policyName ?? 'null (inherited)'}`);
      }
      break;
    }
    case 'publicProvider.new':
    case 'publicProvider.set': {
      const want = p as OpParams<'publicProvider.new'>;
      const provider = findProvider(observed, want.identity);
      if (!provider) {
        diffs.push(`public provider ${want.identity} does not exist`);
        break;
      }
      diffs.push(...providerDifferences(provider, want, observed.serverVersion.verificationLevels));
      break;
    }
    case 'publicProvider.remove': {
      const provider = findProvider(observed, (p as OpParams<'publicProvider.remove'>).identity);
      if (provider) diffs.push(`public provider ${provider.identity} still exists`);
      break;
    }
    case 'clientPolicy.set': {
      const want = p as OpParams<'clientPolicy.set'>;
      const policy = observed.clientPolicies.find((c) => policyKey(c.identity) === policyKey(want.identity));
      if (!policy) diffs.push(`client policy ${want.identity} was not read`);
      else if (policy.disablePICPromptDisplayName !== want.disablePICPromptDisplayName) {
        diffs.push(`${policy.identity}.disablePICPromptDisplayName is ${String(policy.disablePICPromptDisplayName)}, want ${String(want.disablePICPromptDisplayName)}`);
      }
      break;
    }
    default:
      throw new CodedError('bad_request', `checking ${op}: a read op has no desired state`);
  }
  return { satisfied: diffs.length === 0, differences: diffs };
}

/** The comparable key of an external access or client policy identity: `global`, `site:x` or `tag:x`. */
export function policyKey(identity: string): string {
  const id = identity.trim().toLowerCase();
  if (id === 'global' || id.startsWith('site:') || id.startsWith('tag:') || id.startsWith('service:')) return id;
  return `tag:${id}`;
}

function bareName(policy: string | null): string | null {
  if (policy === null) return null;
  const p = policy.trim().toLowerCase();
  return p.startsWith('tag:') ? p.slice(4) : p;
}

/** The observed external access policy with this identity (bare names mean `tag:`), if any. */
export function findPolicy(observed: ObservedState, identity: string) {
  const key = policyKey(identity);
  return observed.externalAccessPolicies.find((p) => policyKey(p.identity) === key);
}

/** The observed public provider with this identity (case-insensitive), if any. */
export function findProvider(observed: ObservedState, identity: string): PublicProvider | undefined {
  const key = identity.toLowerCase();
  return observed.publicProviders.find((p) => p.identity.toLowerCase() === key);
}

/**
 * A user's entry, matched without regard to case (a server holds each SIP URI once, whatever its
 * case). A request may hold thousands of users and the runner checks each grant before and after
 * it runs: the usual exact match is found without lower-casing every entry.
 */
function findUser(observed: ObservedState, sipUri: string): ObservedState['userPolicies'][number] | undefined {
  const key = sipUri.toLowerCase();
  return observed.userPolicies.find((u) => u.user === sipUri || u.user === key)
    ?? observed.userPolicies.find((u) => u.user.toLowerCase() === key);
}

/** Whether a requested verification level (name or number) is the level a provider shows, by the server's own map. */
export function sameVerificationLevel(want: string | number, observedName: string, levels: Record<string, number>): boolean {
  const lookup = (name: string): number | undefined => {
    const hit = Object.keys(levels).find((k) => k.toLowerCase() === name.toLowerCase());
    return hit === undefined ? undefined : levels[hit];
  };
  const have = lookup(observedName);
  if (typeof want === 'string') {
    if (want.toLowerCase() === observedName.toLowerCase()) return true;
    const w = lookup(want);
    return w !== undefined && have !== undefined && w === have;
  }
  return have !== undefined && have === want;
}

const domainSet = (list: string | null): string =>
  list === null ? '' : list.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean).sort().join(',');

/** Each field of `want` that the provider does not show, as readable lines. */
export function providerDifferences(provider: PublicProvider, want: Partial<OpParams<'publicProvider.new'>>, levels: Record<string, number>): string[] {
  const diffs: string[] = [];
  const differ = (field: string, have: unknown, wanted: unknown) =>
    diffs.push(`${provider.identity}.${field} is ${JSON.stringify(have)}, want ${JSON.stringify(wanted)}`);
  if (want.proxyFqdn !== undefined && provider.proxyFqdn.toLowerCase() !== want.proxyFqdn.toLowerCase()) differ('proxyFqdn', provider.proxyFqdn, want.proxyFqdn);
  if (want.enabled !== undefined && provider.enabled !== want.enabled) differ('enabled', provider.enabled, want.enabled);
  if (want.verificationLevel !== undefined && !sameVerificationLevel(want.verificationLevel, provider.verificationLevel, levels)) {
    differ('verificationLevel', provider.verificationLevel, want.verificationLevel);
  }
  if (want.iconUrl !== undefined && provider.iconUrl !== want.iconUrl) differ('iconUrl', provider.iconUrl, want.iconUrl);
  if (want.nameDecorationRoutingDomain !== undefined
    && (provider.nameDecorationRoutingDomain === null || provider.nameDecorationRoutingDomain.toLowerCase() !== want.nameDecorationRoutingDomain.toLowerCase())) {
    differ('nameDecorationRoutingDomain', provider.nameDecorationRoutingDomain, want.nameDecorationRoutingDomain);
  }
  if (want.nameDecorationExcludedDomainList !== undefined
    && (provider.nameDecorationExcludedDomainList === null || domainSet(provider.nameDecorationExcludedDomainList) !== domainSet(want.nameDecorationExcludedDomainList))) {
    differ('nameDecorationExcludedDomainList', provider.nameDecorationExcludedDomainList, want.nameDecorationExcludedDomainList);
  }
  if (want.enableSkypeIdRouting !== undefined && provider.enableSkypeIdRouting !== want.enableSkypeIdRouting) differ('enableSkypeIdRouting', provider.enableSkypeIdRouting, want.enableSkypeIdRouting);
  if (want.enableSkypeDirectorySearch !== undefined && provider.enableSkypeDirectorySearch !== want.enableSkypeDirectorySearch) differ('enableSkypeDirectorySearch', provider.enableSkypeDirectorySearch, want.enableSkypeDirectorySearch);
  return diffs;
}

/** The server object a write step changes (the access edge, one policy, one user, one provider). */
export function objectOf(step: { op: string; params: Record<string, unknown> }): string {
  const p = step.params;
  const id = (v: unknown) => String(v ?? '').trim().toLowerCase();
  switch (step.op) {
    case 'accessEdge.set':
      return 'access-edge';
    case 'externalAccessPolicy.grant':
      return `user:${id(p.user)}`;
    case 'externalAccessPolicy.new':
    case 'externalAccessPolicy.set':
    case 'externalAccessPolicy.remove':
      return `external-access-policy:${policyKey(String(p.identity ?? ''))}`;
    case 'clientPolicy.set':
      return `client-policy:${policyKey(String(p.identity ?? ''))}`;
    default:
      return `${step.op.split('.')[0]}:${id(p.identity)}`;
  }
}
