import type { ObservedState } from '../../src/contracts/observed';
import { checkOpCall, type OpParams } from '../../src/contracts/ops';
import { policyKey } from '../../src/contracts/satisfied';

/**
 * A hand-written fake of the Lync shell at the op boundary, for planner unit tests only: applies
 * one write op to an observed-state document the way the documented cmdlets would (enough to check
 * that each step's `satisfied` holds after it and that a rollback restores the original). The real
 * semantics, errors and faults live in the simulator (src/lync-sim/), which integration tests drive.
 */
export function applyOp(state: ObservedState, op: string, params: Record<string, unknown>): ObservedState {
  const checked = checkOpCall({ op, params });
  if (!checked.ok) throw new Error(checked.reason);
  const s = structuredClone(state);
  const p = checked.params as any;
  const levelName = (v: string | number) => {
    if (typeof v === 'string') return v;
    const hit = Object.entries(s.serverVersion.verificationLevels).find(([, n]) => n === v);
    if (!hit) throw new Error(`no verification level ${v}`);
    return hit[0];
  };
  const provider = (id: string) => s.publicProviders.findIndex((x) => x.identity.toLowerCase() === id.toLowerCase());
  const policy = (id: string) => s.externalAccessPolicies.findIndex((x) => policyKey(x.identity) === policyKey(id));
  const flags = ['enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess'] as const;
  switch (checked.op) {
    case 'accessEdge.set':
      for (const k of ['allowFederatedUsers', 'enablePartnerDiscovery', 'enableArchivingDisclaimer'] as const) if (p[k] !== undefined) s.accessEdge[k] = p[k];
      return s;
    case 'externalAccessPolicy.new': {
      if (policy(p.identity) >= 0) throw new Error(`policy ${p.identity} exists`);
      const identity = policyKey(p.identity).startsWith('site:') ? p.identity : `tag:${p.identity}`;
      s.externalAccessPolicies.push({ identity, ...Object.fromEntries(flags.map((f) => [f, p[f] ?? false])) } as any);
      return s;
    }
    case 'externalAccessPolicy.set': {
      const i = policy(p.identity);
      if (i < 0) throw new Error(`no policy ${p.identity}`);
      for (const f of flags) if (p[f] !== undefined) s.externalAccessPolicies[i][f] = p[f];
      return s;
    }
    case 'externalAccessPolicy.remove': {
      const i = policy(p.identity);
      if (i < 0) throw new Error(`no policy ${p.identity}`);
      if (policyKey(p.identity) === 'global') for (const f of flags) s.externalAccessPolicies[i][f] = false;
      else s.externalAccessPolicies.splice(i, 1);
      return s;
    }
    case 'externalAccessPolicy.grant': {
      const u = s.userPolicies.find((x) => x.user.toLowerCase() === p.user.toLowerCase());
      if (!u) throw new Error(`no user ${p.user}`);
      u.externalAccessPolicy = p.policyName;
      return s;
    }
    case 'publicProvider.new': {
      const np = p as OpParams<'publicProvider.new'>;
      if (provider(np.identity) >= 0 || s.publicProviders.some((x) => x.proxyFqdn === np.proxyFqdn)) throw new Error(`provider ${np.identity} exists`);
      s.publicProviders.push({
        identity: np.identity, proxyFqdn: np.proxyFqdn, enabled: np.enabled,
        verificationLevel: levelName(np.verificationLevel ?? 'AlwaysVerifiable'),
        iconUrl: np.iconUrl ?? null, nameDecorationRoutingDomain: np.nameDecorationRoutingDomain ?? null,
        nameDecorationExcludedDomainList: np.nameDecorationExcludedDomainList ?? null,
        enableSkypeIdRouting: np.enableSkypeIdRouting ?? null, enableSkypeDirectorySearch: np.enableSkypeDirectorySearch ?? null,
      });
      return s;
    }
    case 'publicProvider.set': {
      const i = provider(p.identity);
      if (i < 0) throw new Error(`no provider ${p.identity}`);
      if (p.enabled !== undefined) s.publicProviders[i].enabled = p.enabled;
      if (p.verificationLevel !== undefined) s.publicProviders[i].verificationLevel = levelName(p.verificationLevel);
      return s;
    }
    case 'publicProvider.remove': {
      const i = provider(p.identity);
      if (i < 0) throw new Error(`no provider ${p.identity}`);
      s.publicProviders.splice(i, 1);
      return s;
    }
    case 'clientPolicy.set': {
      const c = s.clientPolicies.find((x) => policyKey(x.identity) === policyKey(p.identity));
      if (!c) throw new Error(`no client policy ${p.identity}`);
      c.disablePICPromptDisplayName = p.disablePICPromptDisplayName;
      return s;
    }
    default:
      throw new Error(`${op} is not a write op`);
  }
}
