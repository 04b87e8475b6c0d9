import type { ObservedState } from '../../../src/contracts/observed';
import type { Profile } from '../../../src/contracts/profiles';
import type { StepStatus } from '../../../src/contracts/runner-api';
import { satisfied } from '../../../src/contracts/satisfied';
import { baselineOf, differences, driftSignature, keyId, keyLabel, keysOfStep, mergeBaseline, rebase, restorePlan, valueText, type BaselineEntry } from '../../../src/core/drift';
import { plan, planHash, type Plan } from '../../../src/core/planner';
import type { ProvisioningRequest } from '../../../src/core/request';
import { applyOp } from '../../fakes/lync-state';
import { freshState, requestFixture } from '../../fixtures/load';

/** The runner's loop over the fake shell: check → skip or change → verify; records each status. */
function run(state: ObservedState, p: Plan): { state: ObservedState; statuses: Record<string, StepStatus> } {
  const statuses: Record<string, StepStatus> = {};
  for (const step of p.steps) {
    if (satisfied(step.op, step.params, state)) {
      statuses[step.id] = 'skipped';
      continue;
    }
    state = applyOp(state, step.op, step.params);
    expect(satisfied(step.op, step.params, state)).toBe(true);
    statuses[step.id] = 'done';
  }
  return { state, statuses };
}
const edit = (state: ObservedState, change: (s: ObservedState) => void): ObservedState => {
  const s = structuredClone(state);
  change(s);
  return s;
};
/** Applies a request's plan to a fresh server; the baseline is what its steps touched, as read after. */
function applied(request: ProvisioningRequest, profile: Profile, start: ObservedState = freshState(profile)) {
  const p = plan(request, start, profile);
  expect(p.refusals).toEqual([]);
  const { state, statuses } = run(start, p);
  return { state, baseline: baselineOf(p.steps, statuses, state), plan: p };
}

describe('the baseline', () => {
  it('holds exactly the keys the plan touched, named by cmdlet parameter, valued as read after the apply', () => {
    const { baseline } = applied(requestFixture('global'), 'lync2013');
    expect(baseline.map((e) => keyId(e.key)).sort()).toEqual([
      'accessEdge.allowFederatedUsers',
      'accessEdge.enablePartnerDiscovery',
      'policy[global].enableFederationAccess',
      'policy[global].enablePublicCloudAccess',
      // The plan removed the old provider that held the Skype proxy FQDN: it must stay gone.
      'provider[messenger].exists',
      'provider[skype].enabled',
      'provider[skype].exists',
      'provider[skype].proxyFqdn',
      'provider[skype].verificationLevel',
    ]);
    expect(baseline.find((e) => keyId(e.key) === 'provider[messenger].exists')!.value).toBe(false);
    expect(baseline.find((e) => keyId(e.key) === 'accessEdge.allowFederatedUsers')!.value).toBe(true);
    expect(keyLabel({ kind: 'accessEdge', param: 'allowFederatedUsers' })).toEqual({ parameter: 'AllowFederatedUsers', object: 'Access Edge configuration (Set-CsAccessEdgeConfiguration)' });
    expect(keyLabel({ kind: 'policy', identity: 'global', param: 'enablePublicCloudAccess' }).parameter).toBe('EnablePublicCloudAccess');
    // Keys no step touched are not watched: outside access, archiving disclaimer, other policies.
    expect(baseline.some((e) => keyId(e.key).includes('enableOutsideAccess') || keyId(e.key).includes('enableArchivingDisclaimer'))).toBe(false);
  });

  it('leaves out steps that never ran', () => {
    const p = plan(requestFixture('global'), freshState('lync2013'), 'lync2013');
    const first = p.steps[0]!;
    const state = applyOp(freshState('lync2013'), first.op, first.params);
    const keys = baselineOf(p.steps, { [first.id]: 'done' }, state).map((e) => keyId(e.key));
    expect(keys.sort()).toEqual(keysOfStep(first).map(keyId).sort());
  });

  it('is extended by a later plan (its keys replace the same keys) and rebased on accept', () => {
    const a: BaselineEntry[] = [{ key: { kind: 'accessEdge', param: 'allowFederatedUsers' }, value: true, provider: null }];
    const b: BaselineEntry[] = [
      { key: { kind: 'accessEdge', param: 'allowFederatedUsers' }, value: false, provider: null },
      { key: { kind: 'clientPolicy', identity: 'Global' }, value: true, provider: null },
    ];
    expect(mergeBaseline(a, b).map((e) => [keyId(e.key), e.value])).toEqual([['accessEdge.allowFederatedUsers', false], ['clientPolicy[global]', true]]);
    const { state, baseline } = applied(requestFixture('global'), 'sfb2019');
    const drifted = edit(state, (s) => {
      s.accessEdge.allowFederatedUsers = false;
    });
    expect(differences(baseline, drifted)).toHaveLength(1);
    expect(differences(rebase(baseline, drifted), drifted)).toEqual([]);
  });
});

describe('differences', () => {
  const { state, baseline } = applied(requestFixture('global'), 'lync2013');

  it('is empty right after the apply, and names each drifted key with both values', () => {
    expect(differences(baseline, state)).toEqual([]);
    const drifted = edit(state, (s) => {
      s.accessEdge.allowFederatedUsers = false;
      s.externalAccessPolicies.find((p) => p.identity === 'Global')!.enablePublicCloudAccess = false;
      s.accessEdge.enableArchivingDisclaimer = !s.accessEdge.enableArchivingDisclaimer; // never touched: not watched
    });
    const diffs = differences(baseline, drifted);
    expect(diffs.map((d) => [d.id, valueText(d.key, d.baseline), valueText(d.key, d.now)])).toEqual([
      ['accessEdge.allowFederatedUsers', 'True', 'False'],
      ['policy[global].enablePublicCloudAccess', 'True', 'False'],
    ]);
    expect(driftSignature(diffs)).toBe(driftSignature(differences(baseline, structuredClone(drifted))));
    expect(driftSignature(diffs)).not.toBe(driftSignature(diffs.slice(1)));
  });

  it('does not compare keys a read did not cover (a user or client policy not read)', () => {
    const user = applied(requestFixture('user'), 'lync2013-cu5');
    const unread = edit(user.state, (s) => {
      s.userPolicies = [];
      s.clientPolicies = [];
    });
    expect(differences(user.baseline, unread)).toEqual([]);
  });
});

describe('the restore plan puts the baseline back, and its rollback puts the drift back', () => {
  it.each<[string, ProvisioningRequest, Profile, (s: ObservedState) => void]>([
    ['federation off, public IM off in Global', requestFixture('global'), 'lync2013', (s) => {
      s.accessEdge.allowFederatedUsers = false;
      s.externalAccessPolicies.find((p) => p.identity === 'Global')!.enablePublicCloudAccess = false;
    }],
    ['the Skype provider disabled', requestFixture('global'), 'sfb2015', (s) => {
      s.publicProviders.find((p) => p.identity === 'Skype')!.enabled = false;
    }],
    ['the Skype provider removed', requestFixture('global'), 'sfb2019', (s) => {
      s.publicProviders = s.publicProviders.filter((p) => p.identity !== 'Skype');
    }],
    ['the site policy removed', requestFixture('site'), 'sfb2015', (s) => {
      s.externalAccessPolicies = s.externalAccessPolicies.filter((p) => !p.identity.startsWith('site:'));
    }],
    ['a user regranted, the client policy reset', requestFixture('user'), 'lync2013-cu5', (s) => {
      s.userPolicies[0]!.externalAccessPolicy = null;
      s.clientPolicies[0]!.disablePICPromptDisplayName = null;
    }],
  ])('%s', (_name, request, profile, change) => {
    const { state, baseline } = applied(request, profile);
    const drifted = edit(state, change);
    expect(differences(baseline, drifted).length).toBeGreaterThan(0);
    const { plan: restore, refusals } = restorePlan(profile, baseline, drifted);
    expect(refusals).toEqual([]);
    expect(restore.planHash).toBe(planHash(profile, restore.fingerprint, restore.steps));
    const restored = run(drifted, restore).state;
    expect(differences(baseline, restored)).toEqual([]);
    // Each step's rollback is the drifted value: rolling the restore back gives the drift again.
    let back = restored;
    for (const step of [...restore.steps].reverse()) for (const r of step.rollback) back = applyOp(back, r.op, r.params);
    expect(differences(baseline, back)).toEqual(differences(baseline, drifted));
  });

  it('has no steps when nothing drifted', () => {
    const { state, baseline } = applied(requestFixture('global'), 'lync2013');
    expect(restorePlan('lync2013', baseline, state).plan.steps).toEqual([]);
  });
});
