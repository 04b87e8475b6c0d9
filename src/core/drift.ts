import { z } from 'zod';
import { fingerprint as observedFingerprint, PublicProvider, type ObservedState } from '../contracts/observed';
import type { OpCall } from '../contracts/ops';
import type { Profile } from '../contracts/profiles';
import type { PlanStep, StepStatus } from '../contracts/runner-api';
import { findPolicy, findProvider, policyKey } from '../contracts/satisfied';
import { canonicalJson, sha256Hex } from '../contracts/canonical';
import { planHash, type Plan } from './planner';

/**
 * Drift watch, as pure functions: which keys an applied plan touched and what the server showed
 * for them after the apply (the baseline), how a later read differs from it, and the plan that
 * puts the baseline back. See docs/drift.md.
 *
 * A key is one cmdlet parameter of one object (AllowFederatedUsers of the Access Edge
 * configuration, EnablePublicCloudAccess of the Global external access policy, …), plus whether a
 * policy or provider that a plan created or removed exists at all.
 */

const POLICY_FLAGS = ['enableFederationAccess', 'enablePublicCloudAccess', 'enablePublicCloudAudioVideoAccess', 'enableOutsideAccess'] as const;
const EDGE_FLAGS = ['allowFederatedUsers', 'enablePartnerDiscovery', 'enableArchivingDisclaimer'] as const;
const PROVIDER_FIELDS = ['enabled', 'verificationLevel', 'proxyFqdn'] as const;

export const DriftKey = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('accessEdge'), param: z.enum(EDGE_FLAGS) }),
  /** `identity` as a plan names it (Global, site:X, or a bare per-user policy name). */
  z.object({ kind: z.literal('policy'), identity: z.string().min(1), param: z.enum([...POLICY_FLAGS, 'exists']) }),
  z.object({ kind: z.literal('grant'), user: z.string().min(1) }),
  z.object({ kind: z.literal('provider'), identity: z.string().min(1), param: z.enum([...PROVIDER_FIELDS, 'exists']) }),
  z.object({ kind: z.literal('clientPolicy'), identity: z.string().min(1) }),
]);
export type DriftKey = z.infer<typeof DriftKey>;

/** A key's value: a switch, a name, or null (absent, inherited, not set). */
export const KeyValue = z.union([z.boolean(), z.string(), z.null()]);
export type KeyValue = z.infer<typeof KeyValue>;

export const BaselineEntry = z.object({
  key: DriftKey,
  value: KeyValue,
  /** A provider's whole record when the key is its existence (what re-creating it needs). */
  provider: PublicProvider.nullable().default(null),
});
export type BaselineEntry = z.infer<typeof BaselineEntry>;

/** One key whose value now differs from the baseline. */
export interface Difference {
  key: DriftKey;
  /** Stable id of the key (`accessEdge.allowFederatedUsers`, `policy[global].enablePublicCloudAccess`). */
  id: string;
  baseline: KeyValue;
  now: KeyValue;
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The stable id of a key: what baselines merge on and differences are sorted by. */
export function keyId(key: DriftKey): string {
  switch (key.kind) {
    case 'accessEdge': return `accessEdge.${key.param}`;
    case 'policy': return `policy[${policyKey(key.identity)}].${key.param}`;
    case 'grant': return `grant[${key.user.toLowerCase()}]`;
    case 'provider': return `provider[${key.identity.toLowerCase()}].${key.param}`;
    case 'clientPolicy': return `clientPolicy[${policyKey(key.identity)}]`;
  }
}

/** A key's parts: the cmdlet parameter, the object it belongs to, and the cmdlet that sets it. */
export function keyParts(key: DriftKey): { parameter: string; what: string; cmdlet: string } {
  switch (key.kind) {
    case 'accessEdge':
      return { parameter: upperFirst(key.param), what: 'Access Edge configuration', cmdlet: 'Set-CsAccessEdgeConfiguration' };
    case 'policy': {
      const name = policyKey(key.identity) === 'global' ? 'Global' : key.identity;
      return { parameter: key.param === 'exists' ? 'Identity' : upperFirst(key.param), what: `external access policy ${name}`, cmdlet: 'Set-CsExternalAccessPolicy' };
    }
    case 'grant':
      return { parameter: 'PolicyName', what: `external access policy of ${key.user}`, cmdlet: 'Grant-CsExternalAccessPolicy' };
    case 'provider':
      return { parameter: key.param === 'exists' ? 'Identity' : upperFirst(key.param), what: `public provider ${key.identity}`, cmdlet: 'Set-CsPublicProvider' };
    case 'clientPolicy':
      return { parameter: 'DisablePICPromptDisplayName', what: `client policy ${key.identity}`, cmdlet: 'Set-CsClientPolicy' };
  }
}

/** How `picbot drift check` names a key: the cmdlet parameter, and the object and cmdlet it belongs to. */
export function keyLabel(key: DriftKey): { parameter: string; object: string } {
  const { parameter, what, cmdlet } = keyParts(key);
  return { parameter, object: `${what} (${cmdlet})` };
}

/** A value as a card shows it (PowerShell's words for switches). */
export function valueText(key: DriftKey, value: KeyValue): string {
  if (value === null) {
    if (key.kind === 'grant') return 'inherited (no per-user policy)';
    if (key.kind === 'clientPolicy' || (key.kind === 'accessEdge' && key.param === 'enablePartnerDiscovery')) return 'not set';
    return 'absent';
  }
  if (typeof value === 'boolean') {
    if ((key.kind === 'policy' || key.kind === 'provider') && key.param === 'exists') return value ? 'present' : 'absent';
    return value ? 'True' : 'False';
  }
  return value;
}

/**
 * Whether the read covers the key: users and client policies are read only when the discovery
 * scope names them, so a read without them says nothing about their keys.
 */
export function covers(observed: ObservedState, key: DriftKey): boolean {
  if (key.kind === 'grant') {
    const u = key.user.toLowerCase();
    return observed.userPolicies.some((p) => p.user.toLowerCase() === u) || observed.unknownUsers.some((x) => x.toLowerCase() === u);
  }
  if (key.kind === 'clientPolicy') return observed.clientPolicies.some((c) => policyKey(c.identity) === policyKey(key.identity));
  return true;
}

/** The key's value in an observed state (null: absent, inherited or not set). */
export function readKey(observed: ObservedState, key: DriftKey): KeyValue {
  switch (key.kind) {
    case 'accessEdge':
      return observed.accessEdge[key.param];
    case 'policy': {
      const policy = findPolicy(observed, key.identity);
      if (key.param === 'exists') return policy !== undefined;
      return policy ? policy[key.param] : null;
    }
    case 'grant': {
      const user = observed.userPolicies.find((p) => p.user.toLowerCase() === key.user.toLowerCase());
      const name = user?.externalAccessPolicy ?? null;
      return name !== null && name.toLowerCase().startsWith('tag:') ? name.slice(4) : name;
    }
    case 'provider': {
      const provider = findProvider(observed, key.identity);
      if (key.param === 'exists') return provider !== undefined;
      return provider ? provider[key.param] : null;
    }
    case 'clientPolicy':
      return observed.clientPolicies.find((c) => policyKey(c.identity) === policyKey(key.identity))?.disablePICPromptDisplayName ?? null;
  }
}

/** The keys one write step touches (from its op and params; never from titles or rendered text). */
export function keysOfStep(step: Pick<PlanStep, 'op' | 'params'>): DriftKey[] {
  const p = step.params;
  const identity = typeof p.identity === 'string' ? p.identity : '';
  switch (step.op) {
    case 'accessEdge.set':
      return EDGE_FLAGS.filter((f) => p[f] !== undefined).map((param) => ({ kind: 'accessEdge', param }));
    case 'externalAccessPolicy.new':
    case 'externalAccessPolicy.set':
      return [
        ...(step.op === 'externalAccessPolicy.new' ? [{ kind: 'policy' as const, identity, param: 'exists' as const }] : []),
        ...POLICY_FLAGS.filter((f) => p[f] !== undefined).map((param) => ({ kind: 'policy' as const, identity, param })),
      ];
    case 'externalAccessPolicy.remove':
      return [{ kind: 'policy', identity, param: 'exists' }];
    case 'externalAccessPolicy.grant':
      return typeof p.user === 'string' ? [{ kind: 'grant', user: p.user }] : [];
    case 'publicProvider.new':
      return [{ kind: 'provider', identity, param: 'exists' }, ...PROVIDER_FIELDS.map((param) => ({ kind: 'provider' as const, identity, param }))];
    case 'publicProvider.set':
      return (['enabled', 'verificationLevel'] as const).filter((f) => p[f] !== undefined).map((param) => ({ kind: 'provider', identity, param }));
    case 'publicProvider.remove':
      return [{ kind: 'provider', identity, param: 'exists' }];
    case 'clientPolicy.set':
      return [{ kind: 'clientPolicy', identity }];
    default:
      return [];
  }
}

/** Step statuses after which the step's keys are the plan's business: it changed them, or found them already so. */
const TOUCHED: ReadonlySet<StepStatus> = new Set(['done', 'skipped', 'failed']);

/**
 * The baseline entries an applied plan leaves: every key of every step that ran, valued as the
 * job's read after its last change shows it. Keys the read does not cover are left out.
 */
export function baselineOf(steps: readonly PlanStep[], statuses: Readonly<Record<string, StepStatus | undefined>>, after: ObservedState): BaselineEntry[] {
  const out = new Map<string, BaselineEntry>();
  for (const step of steps) {
    const status = statuses[step.id];
    if (!status || !TOUCHED.has(status)) continue;
    for (const key of keysOfStep(step)) {
      if (!covers(after, key)) continue;
      out.set(keyId(key), entryFor(key, after));
    }
  }
  return [...out.values()];
}

function entryFor(key: DriftKey, observed: ObservedState): BaselineEntry {
  const provider = key.kind === 'provider' && key.param === 'exists' ? findProvider(observed, key.identity) ?? null : null;
  return { key, value: readKey(observed, key), provider };
}

/** A baseline extended by later entries: a key in `later` replaces the same key in `base`. */
export function mergeBaseline(base: readonly BaselineEntry[], later: readonly BaselineEntry[]): BaselineEntry[] {
  const out = new Map(base.map((e) => [keyId(e.key), e]));
  for (const e of later) out.set(keyId(e.key), e);
  return [...out.values()].sort((a, b) => (keyId(a.key) < keyId(b.key) ? -1 : 1));
}

/** The baseline with each key valued as `observed` shows it (accepting a drift as the new baseline). */
export function rebase(base: readonly BaselineEntry[], observed: ObservedState): BaselineEntry[] {
  return base.map((e) => (covers(observed, e.key) ? entryFor(e.key, observed) : e));
}

/** The baseline's keys whose value differs in `observed` (keys the read does not cover are not compared). */
export function differences(base: readonly BaselineEntry[], observed: ObservedState): Difference[] {
  const out: Difference[] = [];
  for (const e of base) {
    if (!covers(observed, e.key)) continue;
    const now = readKey(observed, e.key);
    if (!sameValue(e.value, now)) out.push({ key: e.key, id: keyId(e.key), baseline: e.value, now });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function sameValue(a: KeyValue, b: KeyValue): boolean {
  // Names (policy names, FQDNs, verification levels) compare case-insensitively, as Lync does.
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** A fingerprint of a set of differences: the same drift seen twice has the same signature. */
export function driftSignature(diffs: readonly Difference[]): string {
  return sha256Hex(canonicalJson(diffs.map((d) => ({ id: d.id, baseline: d.baseline, now: d.now }))));
}

export type RestoreRefusal = { code: 'cannot-restore'; reason: string };

/**
 * The plan that puts every drifted key back to its baseline value, made from the state the check
 * read (its fingerprint is what the apply job re-reads and compares). Each step's rollback puts
 * back what the check saw, so the restore plan can be rolled back like any plan.
 */
export function restorePlan(profile: Profile, base: readonly BaselineEntry[], observed: ObservedState): { plan: Plan; refusals: RestoreRefusal[] } {
  const diffs = differences(base, observed);
  const steps: PlanStep[] = [];
  const refusals: RestoreRefusal[] = [];
  const baseOf = new Map(base.map((e) => [keyId(e.key), e]));
  const add = (id: string, title: string, call: OpCall, rollback: OpCall[]) => steps.push({ id, title, op: call.op, params: call.params, rollback });

  // Access Edge: one Set with every drifted switch.
  const edge = diffs.filter((d) => d.key.kind === 'accessEdge');
  if (edge.length > 0) {
    const params: Record<string, unknown> = {};
    const back: Record<string, unknown> = {};
    for (const d of edge) {
      if (d.key.kind !== 'accessEdge' || typeof d.baseline !== 'boolean') continue;
      params[d.key.param] = d.baseline;
      back[d.key.param] = typeof d.now === 'boolean' ? d.now : false;
    }
    if (Object.keys(params).length > 0) add('restore-federation', 'Restore the Access Edge configuration to the baseline', { op: 'accessEdge.set', params }, [{ op: 'accessEdge.set', params: back }]);
  }

  // External access policies, one step per policy.
  const policies = groupBy(diffs.filter((d) => d.key.kind === 'policy'), (d) => (d.key.kind === 'policy' ? policyKey(d.key.identity) : ''));
  let n = 0;
  for (const [pkey, group] of policies) {
    n += 1;
    const identity = group[0]!.key.kind === 'policy' ? group[0]!.key.identity : pkey;
    const current = findPolicy(observed, identity);
    const wantExists = baseOf.get(`policy[${pkey}].exists`)?.value;
    const flagsFromBase = Object.fromEntries(POLICY_FLAGS.flatMap((f) => {
      const v = baseOf.get(`policy[${pkey}].${f}`)?.value;
      return typeof v === 'boolean' ? [[f, v]] : [];
    }));
    if (wantExists === false) {
      if (!current) continue;
      if (pkey === 'global') {
        refusals.push({ code: 'cannot-restore', reason: 'The Global external access policy cannot be removed (that resets it to the defaults).' });
        continue;
      }
      const now = Object.fromEntries(POLICY_FLAGS.map((f) => [f, current[f]]));
      add(`restore-policy-${n}`, `Remove the external access policy ${current.identity} again`, { op: 'externalAccessPolicy.remove', params: { identity: current.identity } },
        [{ op: 'externalAccessPolicy.new', params: { identity: createAs(current.identity), ...now } }]);
      continue;
    }
    if (!current) {
      if (pkey === 'global') continue; // every server has it; the read was incomplete
      add(`restore-policy-${n}`, `Re-create the external access policy ${identity} as in the baseline`, { op: 'externalAccessPolicy.new', params: { identity: createAs(identity), ...flagsFromBase } },
        [{ op: 'externalAccessPolicy.remove', params: { identity: createAs(identity) } }]);
      continue;
    }
    const params: Record<string, unknown> = { identity: current.identity };
    const back: Record<string, unknown> = { identity: current.identity };
    for (const d of group) {
      if (d.key.kind !== 'policy' || d.key.param === 'exists' || typeof d.baseline !== 'boolean') continue;
      params[d.key.param] = d.baseline;
      back[d.key.param] = current[d.key.param];
    }
    if (Object.keys(params).length > 1) add(`restore-policy-${n}`, `Restore the external access policy ${current.identity} to the baseline`, { op: 'externalAccessPolicy.set', params }, [{ op: 'externalAccessPolicy.set', params: back }]);
  }

  // Per-user grants.
  diffs.filter((d) => d.key.kind === 'grant').forEach((d, i) => {
    if (d.key.kind !== 'grant') return;
    const want = typeof d.baseline === 'string' ? d.baseline : null;
    const now = typeof d.now === 'string' ? d.now : null;
    add(`restore-grant-${i + 1}`, `Assign ${want ?? 'no per-user policy'} to ${d.key.user} again`, { op: 'externalAccessPolicy.grant', params: { user: d.key.user, policyName: want } },
      [{ op: 'externalAccessPolicy.grant', params: { user: d.key.user, policyName: now } }]);
  });

  // Public providers, one or two steps per provider.
  const providers = groupBy(diffs.filter((d) => d.key.kind === 'provider'), (d) => (d.key.kind === 'provider' ? d.key.identity.toLowerCase() : ''));
  n = 0;
  for (const [pid, group] of providers) {
    n += 1;
    const identity = group[0]!.key.kind === 'provider' ? group[0]!.key.identity : pid;
    const current = findProvider(observed, identity);
    const existence = baseOf.get(`provider[${pid}].exists`);
    if (existence?.value === false) {
      if (current) add(`restore-provider-${n}`, `Remove the public provider ${current.identity} again`, { op: 'publicProvider.remove', params: { identity: current.identity } }, [{ op: 'publicProvider.new', params: recreate(current) }]);
      continue;
    }
    const record = existence?.provider ?? null;
    const fixedDrift = group.some((d) => d.key.kind === 'provider' && (d.key.param === 'exists' || d.key.param === 'proxyFqdn'));
    if (!current || fixedDrift) {
      if (!record) {
        refusals.push({ code: 'cannot-restore', reason: `The baseline does not hold the whole public provider ${identity}, so picbot cannot re-create it.` });
        continue;
      }
      if (current) add(`restore-provider-${n}-remove`, `Remove the changed public provider ${current.identity}`, { op: 'publicProvider.remove', params: { identity: current.identity } }, [{ op: 'publicProvider.new', params: recreate(current) }]);
      add(`restore-provider-${n}`, `Re-create the public provider ${record.identity} as in the baseline`, { op: 'publicProvider.new', params: recreate(record) }, [{ op: 'publicProvider.remove', params: { identity: record.identity } }]);
      continue;
    }
    const params: Record<string, unknown> = { identity: current.identity };
    const back: Record<string, unknown> = { identity: current.identity };
    for (const d of group) {
      if (d.key.kind !== 'provider' || (d.key.param !== 'enabled' && d.key.param !== 'verificationLevel') || d.baseline === null) continue;
      params[d.key.param] = d.baseline;
      back[d.key.param] = current[d.key.param];
    }
    if (Object.keys(params).length > 1) add(`restore-provider-${n}`, `Restore the public provider ${current.identity} to the baseline`, { op: 'publicProvider.set', params }, [{ op: 'publicProvider.set', params: back }]);
  }

  // Client policies.
  diffs.filter((d) => d.key.kind === 'clientPolicy').forEach((d, i) => {
    if (d.key.kind !== 'clientPolicy') return;
    const want = typeof d.baseline === 'boolean' ? d.baseline : null;
    const now = typeof d.now === 'boolean' ? d.now : null;
    add(`restore-client-policy-${i + 1}`, `Set DisablePICPromptDisplayName of the client policy ${d.key.identity} back to the baseline`, { op: 'clientPolicy.set', params: { identity: d.key.identity, disablePICPromptDisplayName: want } },
      [{ op: 'clientPolicy.set', params: { identity: d.key.identity, disablePICPromptDisplayName: now } }]);
  });

  const fp = observedFingerprint(observed);
  const plan: Plan = { profile, steps, alreadyConfigured: [], refusals: [], warnings: [], fingerprint: fp, planHash: planHash(profile, fp, steps) };
  return { plan, refusals };
}

/** A policy identity as New-CsExternalAccessPolicy takes it: a per-user policy by its bare name. */
function createAs(identity: string): string {
  return identity.toLowerCase().startsWith('tag:') ? identity.slice(4) : identity;
}

/** A provider's record as `publicProvider.new` params (every field it has). */
function recreate(p: PublicProvider): Record<string, unknown> {
  const out: Record<string, unknown> = { identity: p.identity, proxyFqdn: p.proxyFqdn, enabled: p.enabled, verificationLevel: p.verificationLevel };
  if (p.iconUrl !== null) out.iconUrl = p.iconUrl;
  if (p.nameDecorationRoutingDomain !== null) out.nameDecorationRoutingDomain = p.nameDecorationRoutingDomain;
  if (p.nameDecorationExcludedDomainList !== null) out.nameDecorationExcludedDomainList = p.nameDecorationExcludedDomainList;
  if (p.enableSkypeIdRouting !== null) out.enableSkypeIdRouting = p.enableSkypeIdRouting;
  if (p.enableSkypeDirectorySearch !== null) out.enableSkypeDirectorySearch = p.enableSkypeDirectorySearch;
  return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return out;
}
