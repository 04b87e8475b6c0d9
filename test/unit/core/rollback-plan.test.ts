import { sameState, type ObservedState } from '../../../src/contracts/observed';
import type { Profile } from '../../../src/contracts/profiles';
import { renderOp } from '../../../src/contracts/render';
import type { StepStatus } from '../../../src/contracts/runner-api';
import { satisfied } from '../../../src/contracts/satisfied';
import { plan, planHash, type Plan } from '../../../src/core/planner';
import { rollbackPlan } from '../../../src/core/rollback-plan';
import type { ProvisioningRequest } from '../../../src/core/request';
import { applyOp } from '../../fakes/lync-state';
import { configuredState, freshState, requestFixture } from '../../fixtures/load';

/** The runner's loop over the fake shell: check → skip or change → verify; records each status. */
function run(state: ObservedState, p: Plan, stopAfter = Infinity): { state: ObservedState; statuses: Record<string, StepStatus> } {
  const statuses: Record<string, StepStatus> = {};
  p.steps.forEach((step, i) => {
    if (i >= stopAfter) return;
    if (satisfied(step.op, step.params, state)) {
      statuses[step.id] = 'skipped';
      return;
    }
    state = applyOp(state, step.op, step.params);
    expect(satisfied(step.op, step.params, state)).toBe(true);
    statuses[step.id] = 'done';
  });
  return { state, statuses };
}
const edit = (state: ObservedState, change: (s: ObservedState) => void): ObservedState => {
  const s = structuredClone(state);
  change(s);
  return s;
};
const skypeFrom = (profile: Profile) => configuredState(profile).publicProviders.find((p) => p.identity === 'Skype')!;

describe('rollback of each kind of step restores the original state', () => {
  it.each<[string, ProvisioningRequest, ObservedState, Profile]>([
    ['accessEdge.set, Global policy set, provider remove + new', requestFixture('global'), freshState('lync2013'), 'lync2013'],
    ['site policy new', requestFixture('site'), freshState('sfb2015'), 'sfb2015'],
    ['site policy set', requestFixture('site', { publicAudioVideo: true }), edit(freshState('lync2010'), (s) => {
      s.externalAccessPolicies.push({ identity: 'site:Redmond', enableFederationAccess: false, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: true });
    }), 'lync2010'],
    ['per-user policy new, grants (from null and from another policy), client policy from null', requestFixture('user'), edit(freshState('lync2013-cu5'), (s) => {
      s.userPolicies[1].externalAccessPolicy = 'OldPolicy';
      s.externalAccessPolicies.push({ identity: 'tag:OldPolicy', enableFederationAccess: false, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: true });
    }), 'lync2013-cu5'],
    ['provider set (enabled and verification level)', requestFixture('global'), edit(configuredState('lync2013'), (s) => {
      s.publicProviders[1].enabled = false;
      s.publicProviders[1].verificationLevel = 'AlwaysVerifiable';
    }), 'lync2013'],
    ['an older Skype provider replaced (re-created with all captured fields)', requestFixture('global', {}, 'sfb2019'), edit(freshState('sfb2019'), (s) => {
      s.publicProviders = s.publicProviders.filter((p) => p.identity !== 'Skype');
      s.publicProviders.push({ ...skypeFrom('lync2013'), enableSkypeIdRouting: false, enableSkypeDirectorySearch: null });
    }), 'sfb2019'],
    ['client policy from false', requestFixture('global', { disablePICPromptDisplayName: true }), edit(freshState('sfbse'), (s) => {
      s.clientPolicies[0].disablePICPromptDisplayName = false;
    }), 'sfbse'],
  ])('%s', (_what, request, original, profile) => {
    const forward = plan(request, original, profile);
    expect(forward.refusals).toEqual([]);
    expect(forward.steps.length).toBeGreaterThan(0);
    const applied = run(original, forward);
    expect(sameState(applied.state, original)).toBe(false);

    const back = rollbackPlan({ profile, steps: forward.steps, statuses: applied.statuses, current: applied.state, planFingerprint: forward.fingerprint, captured: original });
    expect(back.refusals).toEqual([]);
    expect(back.steps.map((s) => s.id)).toEqual([...forward.steps].reverse().map((s) => `undo-${s.id}`));
    const restored = run(applied.state, back).state;
    expect(sameState(restored, original)).toBe(true);

    // The rollback plan's own rollback re-applies the change.
    const again = rollbackPlan({ profile, steps: back.steps, statuses: Object.fromEntries(back.steps.map((s) => [s.id, 'done'])), current: restored });
    expect(sameState(run(restored, again).state, applied.state)).toBe(true);
  });
});

describe('rollbackPlan', () => {
  const request = requestFixture('user');
  const original = freshState('lync2013');
  const forward = plan(request, original, 'lync2013');

  it('reverses the order and renders each undo', () => {
    const all = Object.fromEntries(forward.steps.map((s) => [s.id, 'done' as const]));
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses: all, current: original });
    expect(back.steps.map((s) => renderOp(s.op, s.params))).toEqual([
      'Set-CsClientPolicy -Identity Global -DisablePICPromptDisplayName $null',
      'Remove-CsPublicProvider -Identity Skype',
      'New-CsPublicProvider -Identity Messenger -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel AlwaysVerifiable',
      "Grant-CsExternalAccessPolicy -Identity 'sip:bob@contoso.com' -PolicyName $null",
      "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName $null",
      'Remove-CsExternalAccessPolicy -Identity EnablePublicUsers',
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $false',
    ]);
    expect(back.steps[0]).toMatchObject({ id: 'undo-client-policy', title: expect.stringMatching(/^Undo: Set DisablePICPromptDisplayName/) });
    expect(back.steps[0].rollback).toEqual([{ op: forward.steps.at(-1)!.op, params: forward.steps.at(-1)!.params }]);
  });

  it('undoes done, failed and running steps; never skipped or unstarted ones', () => {
    const [federation, policy, grant1, grant2, remove] = forward.steps.map((s) => s.id);
    const back = rollbackPlan({
      profile: 'lync2013',
      steps: forward.steps,
      statuses: { [federation]: 'skipped', [policy]: 'done', [grant1]: 'done', [grant2]: 'failed', [remove]: 'running' },
      current: original,
    });
    expect(back.steps.map((s) => s.id)).toEqual([`undo-${remove}`, `undo-${grant2}`, `undo-${grant1}`, `undo-${policy}`]);
  });

  it('a job stopped after a failure: the rollback of what ran restores the original', () => {
    const partial = run(original, forward, 3);
    const statuses = { ...partial.statuses, [forward.steps[3].id]: 'failed' as const };
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses, current: partial.state });
    expect(back.steps).toHaveLength(4);
    expect(sameState(run(partial.state, back).state, original)).toBe(true);
  });

  it('nothing ran: zero steps, a normal hash over the current state', () => {
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses: {}, current: original });
    expect(back.steps).toEqual([]);
    expect(back.fingerprint).toBe(forward.fingerprint);
    expect(back.planHash).toBe(planHash('lync2013', forward.fingerprint, []));
  });

  it('refuses when the captured state is not the state the plan was made from', () => {
    const back = rollbackPlan({
      profile: 'lync2013', steps: forward.steps, statuses: { federation: 'done' }, current: original,
      planFingerprint: forward.fingerprint, captured: edit(original, (s) => { s.accessEdge.allowOutsideUsers = false; }),
    });
    expect(back.refusals.map((r) => r.code)).toEqual(['observed_incomplete']);
    expect(back.steps).toEqual([]);
  });

  it('is deterministic and bound to the current state', () => {
    const statuses = Object.fromEntries(forward.steps.map((s) => [s.id, 'done' as const]));
    const after = run(original, forward).state;
    const a = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses, current: after });
    const b = rollbackPlan({ profile: 'lync2013', steps: structuredClone(forward.steps), statuses, current: structuredClone(after) });
    expect(a.planHash).toBe(b.planHash);
    expect(rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses, current: original }).planHash).not.toBe(a.planHash);
  });

  it('undoes every change the server shows, reported or not: no events at all (all lost)', () => {
    const after = run(original, forward).state;
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses: {}, current: after, planFingerprint: forward.fingerprint, captured: original });
    expect(back.steps.map((s) => s.id)).toEqual([...forward.steps].reverse().map((s) => `undo-${s.id}`));
    expect(sameState(run(after, back).state, original)).toBe(true);
  });

  it('undoes a change the events did not report, and not a step that never landed', () => {
    const partial = run(original, forward, 2);
    // Only the first step was reported; the second landed too; the rest never ran.
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses: { [forward.steps[0].id]: 'done' }, current: partial.state, planFingerprint: forward.fingerprint, captured: original });
    expect(back.steps.map((s) => s.id)).toEqual([`undo-${forward.steps[1].id}`, `undo-${forward.steps[0].id}`]);
    expect(sameState(run(partial.state, back).state, original)).toBe(true);
  });

  it('leaves a key someone else changed since alone, and names it', () => {
    const after = run(original, forward).state;
    const clientStep = forward.steps.find((s) => s.op === 'clientPolicy.set')!;
    // Someone set the client policy to a third value after the apply.
    const changed = edit(after, (s) => { s.clientPolicies[0].disablePICPromptDisplayName = false; });
    expect(satisfied(clientStep.op, clientStep.params, changed)).toBe(false);
    const all = Object.fromEntries(forward.steps.map((s) => [s.id, 'done' as const]));
    const back = rollbackPlan({ profile: 'lync2013', steps: forward.steps, statuses: all, current: changed, planFingerprint: forward.fingerprint, captured: original });
    expect(back.steps.map((s) => s.id)).not.toContain(`undo-${clientStep.id}`);
    expect(back.steps).toHaveLength(forward.steps.length - 1);
    expect(back.alreadyConfigured).toEqual([{ id: `left-alone-${clientStep.id}`, title: clientStep.title, reason: 'left alone: disablePICPromptDisplayName changed since the apply by someone else' }]);
  });
});
