import { fingerprint, sameState, type ObservedState } from '../../../src/contracts/observed';
import { PROFILES, type Profile } from '../../../src/contracts/profiles';
import { renderOp } from '../../../src/contracts/render';
import { satisfied } from '../../../src/contracts/satisfied';
import { SKYPE_PROVIDER_COMMAND, SKYPE_RETIREMENT_NOTE } from '../../../src/contracts/skype-provider';
import { legacyProductRefusal, plan, planHash, type Plan } from '../../../src/core/planner';
import { MAX_POLICY_USERS } from '../../../src/core/request';
import { applyOp } from '../../fakes/lync-state';
import { configuredState, freshState, legacyFreshState, requestFixture } from '../../fixtures/load';

const POLICY_OFF = { enableFederationAccess: false, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false };
const lines = (p: Plan) => p.steps.map((s) => renderOp(s.op, s.params));
const rollbackLines = (p: Plan) => p.steps.map((s) => s.rollback.map((r) => renderOp(r.op, r.params)));
const edit = (state: ObservedState, change: (s: ObservedState) => void): ObservedState => {
  const s = structuredClone(state);
  change(s);
  return s;
};
/** Runs the steps through the fake shell the way the runner does: check → skip or change → verify. */
const apply = (state: ObservedState, p: Plan): ObservedState => p.steps.reduce((s, step) => {
  if (satisfied(step.op, step.params, s)) return s;
  const next = applyOp(s, step.op, step.params);
  expect(satisfied(step.op, step.params, next)).toBe(true);
  return next;
}, state);

describe('golden: a fresh server gives the seed procedure (docs/lync-reference.md, Plan order and rollback) for every profile', () => {
  it.each(PROFILES.map((p) => [p]))('%s, global scope', (profile) => {
    const p = plan(requestFixture('global', {}, profile), freshState(profile), profile);
    expect(p.refusals).toEqual([]);
    expect(p.alreadyConfigured).toEqual([]);
    expect(p.steps.map((s) => s.id)).toEqual(['federation', 'policy', 'provider-remove-1', 'provider-new']);
    // The provider each fresh server ships: MSN on Lync 2010, Messenger on Lync 2013, Skype on SfB.
    const sfb = profile.startsWith('sfb');
    const shipped = profile === 'lync2010' ? 'MSN' : sfb ? 'Skype' : 'Messenger';
    expect(lines(p)).toEqual([
      // Microsoft's examples pair EnablePartnerDiscovery with UseDnsSrvRouting.
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true -EnablePartnerDiscovery $true -UseDnsSrvRouting',
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      `Remove-CsPublicProvider -Identity ${shipped}`,
      SKYPE_PROVIDER_COMMAND[profile],
    ]);
    expect(rollbackLines(p)).toEqual([
      ['Set-CsAccessEdgeConfiguration -AllowFederatedUsers $false -EnablePartnerDiscovery $false'],
      ['Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $false -EnablePublicCloudAccess $false'],
      [`New-CsPublicProvider -Identity ${shipped} -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel AlwaysVerifiable${sfb ? ' -EnableSkypeIdRouting $false -EnableSkypeDirectorySearch $false' : ''}`],
      ['Remove-CsPublicProvider -Identity Skype'],
    ]);
  });

  it('the seed document (lync2013) word for word', () => {
    const p = plan(requestFixture('global', { partnerDiscovery: false }), freshState('lync2013'), 'lync2013');
    expect(lines(p)).toEqual([
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true',
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      'Remove-CsPublicProvider -Identity Messenger',
      'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1',
    ]);
  });

  it('site scope creates site:<name> when absent', () => {
    const p = plan(requestFixture('site'), freshState('lync2013'), 'lync2013');
    expect(p.steps[1]).toMatchObject({ id: 'policy', op: 'externalAccessPolicy.new' });
    expect(lines(p)[1]).toBe('New-CsExternalAccessPolicy -Identity site:Redmond -EnableFederationAccess $true -EnablePublicCloudAccess $true');
    expect(rollbackLines(p)[1]).toEqual(['Remove-CsExternalAccessPolicy -Identity site:Redmond']);
  });

  it('site scope sets the site policy when it exists', () => {
    const state = edit(freshState('lync2013'), (s) => {
      s.externalAccessPolicies.push({ identity: 'site:Redmond', enableFederationAccess: true, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: true });
    });
    const p = plan(requestFixture('site', { publicAudioVideo: true }), state, 'lync2013');
    expect(lines(p)[1]).toBe('Set-CsExternalAccessPolicy -Identity site:Redmond -EnablePublicCloudAccess $true -EnablePublicCloudAudioVideoAccess $true');
    expect(rollbackLines(p)[1]).toEqual(['Set-CsExternalAccessPolicy -Identity site:Redmond -EnablePublicCloudAccess $false -EnablePublicCloudAudioVideoAccess $false']);
  });

  it('per-user scope: new policy with its bare name, one grant per user, client policy, A/V', () => {
    const p = plan(requestFixture('user'), freshState('sfb2019'), 'sfb2019');
    expect(p.steps.map((s) => s.id)).toEqual(['federation', 'policy', 'grant-1', 'grant-2', 'provider-remove-1', 'provider-new', 'client-policy']);
    expect(lines(p)).toEqual([
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true',
      'New-CsExternalAccessPolicy -Identity EnablePublicUsers -EnableFederationAccess $true -EnablePublicCloudAccess $true -EnablePublicCloudAudioVideoAccess $true',
      "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName EnablePublicUsers",
      "Grant-CsExternalAccessPolicy -Identity 'sip:bob@contoso.com' -PolicyName EnablePublicUsers",
      'Remove-CsPublicProvider -Identity Skype',
      SKYPE_PROVIDER_COMMAND.sfb2019,
      'Set-CsClientPolicy -Identity Global -DisablePICPromptDisplayName $true',
    ]);
    expect(rollbackLines(p)).toEqual([
      ['Set-CsAccessEdgeConfiguration -AllowFederatedUsers $false'],
      ['Remove-CsExternalAccessPolicy -Identity EnablePublicUsers'],
      ["Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName $null"],
      ["Grant-CsExternalAccessPolicy -Identity 'sip:bob@contoso.com' -PolicyName $null"],
      ['New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel AlwaysVerifiable -EnableSkypeIdRouting $false -EnableSkypeDirectorySearch $false'],
      ['Remove-CsPublicProvider -Identity Skype'],
      ['Set-CsClientPolicy -Identity Global -DisablePICPromptDisplayName $null'],
    ]);
  });
});

describe('already configured', () => {
  it.each(PROFILES.map((p) => [p]))('%s: the configured state gives zero change steps', (profile) => {
    const p = plan(requestFixture('global', {}, profile), configuredState(profile), profile);
    expect(p.refusals).toEqual([]);
    expect(p.steps).toEqual([]);
    expect(p.alreadyConfigured.map((a) => a.id)).toEqual(['federation', 'policy', 'provider']);
    for (const a of p.alreadyConfigured) expect(a.reason).not.toBe('');
  });

  it.each(PROFILES.map((p) => [p]))('%s: applying the plan to a fresh server gives the configured state, and re-planning gives nothing', (profile) => {
    const request = requestFixture('global', {}, profile);
    const after = apply(freshState(profile), plan(request, freshState(profile), profile));
    expect(sameState(after, configuredState(profile))).toBe(true);
    expect(plan(request, after, profile).steps).toEqual([]);
  });

  it('per-user scope after apply: zero steps, each grant and the client policy listed', () => {
    const request = requestFixture('user');
    const after = apply(freshState('lync2013'), plan(request, freshState('lync2013'), 'lync2013'));
    const again = plan(request, after, 'lync2013');
    expect(again.steps).toEqual([]);
    expect(again.alreadyConfigured.map((a) => a.id)).toEqual(['federation', 'policy', 'grant-1', 'grant-2', 'provider', 'client-policy']);
  });

  it('lists a user who already has the policy and grants only the other', () => {
    const state = edit(freshState('lync2013'), (s) => {
      s.externalAccessPolicies.push({ identity: 'tag:EnablePublicUsers', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: true, enableOutsideAccess: false });
      s.userPolicies[0].externalAccessPolicy = 'EnablePublicUsers';
      s.userPolicies[1].externalAccessPolicy = 'OldPolicy';
    });
    const p = plan(requestFixture('user'), state, 'lync2013');
    expect(p.alreadyConfigured.map((a) => a.id)).toEqual(['policy', 'grant-1']);
    const grant = p.steps.find((s) => s.id === 'grant-2')!;
    expect(rollbackLines({ ...p, steps: [grant] })).toEqual([["Grant-CsExternalAccessPolicy -Identity 'sip:bob@contoso.com' -PolicyName OldPolicy"]]);
  });

  it('sets an existing per-user policy that lacks public access (read back as tag:<name>)', () => {
    const state = edit(freshState('lync2013'), (s) => {
      s.externalAccessPolicies.push({ identity: 'tag:EnablePublicUsers', enableFederationAccess: true, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
    });
    const p = plan(requestFixture('user', { publicAudioVideo: false }), state, 'lync2013');
    expect(lines(p)[1]).toBe('Set-CsExternalAccessPolicy -Identity tag:EnablePublicUsers -EnablePublicCloudAccess $true');
  });

  it('partner discovery: only what differs is set; false leaves it as it is', () => {
    const onNoDiscovery = edit(freshState('lync2013'), (s) => { s.accessEdge.allowFederatedUsers = true; });
    expect(lines(plan(requestFixture('global'), onNoDiscovery, 'lync2013'))[0]).toBe('Set-CsAccessEdgeConfiguration -EnablePartnerDiscovery $true -UseDnsSrvRouting');
    const p = plan(requestFixture('global', { partnerDiscovery: false }), onNoDiscovery, 'lync2013');
    expect(p.alreadyConfigured[0]).toMatchObject({ id: 'federation' });
    expect(p.steps.some((s) => s.op === 'accessEdge.set')).toBe(false);
    const discoveryOn = edit(freshState('lync2013'), (s) => { s.accessEdge.enablePartnerDiscovery = true; });
    const q = plan(requestFixture('global', { partnerDiscovery: false }), discoveryOn, 'lync2013');
    expect(q.steps[0].params).toEqual({ allowFederatedUsers: true });
  });

  it('client policy: nothing when the request leaves it, listed when already equal', () => {
    expect(plan(requestFixture('global'), freshState('lync2013'), 'lync2013').steps.some((s) => s.op === 'clientPolicy.set')).toBe(false);
    const state = edit(freshState('lync2013'), (s) => { s.clientPolicies[0].disablePICPromptDisplayName = false; });
    const p = plan(requestFixture('global', { disablePICPromptDisplayName: false }), state, 'lync2013');
    expect(p.alreadyConfigured.map((a) => a.id)).toContain('client-policy');
    const q = plan(requestFixture('global', { disablePICPromptDisplayName: true }), state, 'lync2013');
    expect(q.steps.at(-1)!.rollback).toEqual([{ op: 'clientPolicy.set', params: { identity: 'Global', disablePICPromptDisplayName: false } }]);
  });
});

describe('the Skype provider', () => {
  const skype2013 = () => structuredClone(configuredState('lync2013').publicProviders.find((p) => p.identity === 'Skype')!);
  const withSkype = (change: Partial<ReturnType<typeof skype2013>>, profile: Profile = 'lync2013') => edit(freshState(profile), (s) => {
    s.publicProviders = s.publicProviders.filter((p) => p.identity !== 'Messenger');
    s.publicProviders.push({ ...skype2013(), ...change });
  });
  const providerSteps = (p: Plan) => p.steps.filter((s) => s.op.startsWith('publicProvider.'));

  it('only disabled: Set-CsPublicProvider -Enabled $true, rolled back to disabled', () => {
    const p = plan(requestFixture('global'), withSkype({ enabled: false }), 'lync2013');
    expect(lines({ ...p, steps: providerSteps(p) })).toEqual(['Set-CsPublicProvider -Identity Skype -Enabled $true']);
    expect(rollbackLines({ ...p, steps: providerSteps(p) })).toEqual([['Set-CsPublicProvider -Identity Skype -Enabled $false']]);
  });

  it('only the verification level differs (by the server map): set it to the seed integer, roll back to the captured name', () => {
    const p = plan(requestFixture('global'), withSkype({ verificationLevel: 'AlwaysUnverifiable', enabled: false }), 'lync2013');
    expect(lines({ ...p, steps: providerSteps(p) })).toEqual(['Set-CsPublicProvider -Identity Skype -Enabled $true -VerificationLevel 2']);
    expect(rollbackLines({ ...p, steps: providerSteps(p) })).toEqual([['Set-CsPublicProvider -Identity Skype -Enabled $false -VerificationLevel AlwaysUnverifiable']]);
  });

  it('a server whose map says 2 is another name sees the same provider differently (never guessed)', () => {
    const state = edit(withSkype({}), (s) => { s.serverVersion.verificationLevels = { AlwaysVerifiable: 2, AlwaysUnverifiable: 0, UseSourceVerification: 1 }; });
    const p = plan(requestFixture('global'), state, 'lync2013');
    expect(lines({ ...p, steps: providerSteps(p) })).toEqual(['Set-CsPublicProvider -Identity Skype -VerificationLevel 2']);
  });

  it('SfB profiles pass no verification level, so any level matches', () => {
    const state = edit(configuredState('sfb2015'), (s) => { s.publicProviders.find((p) => p.identity === 'Skype')!.verificationLevel = 'AlwaysUnverifiable'; });
    expect(plan(requestFixture('global', {}, 'sfb2015'), state, 'sfb2015').steps).toEqual([]);
  });

  it('a Skype provider from an older profile is removed with all its fields captured, then created as documented', () => {
    const state = withSkype({ nameDecorationRoutingDomain: null }, 'lync2013-cu5');
    const p = plan(requestFixture('global', {}, 'lync2013-cu5'), state, 'lync2013-cu5');
    expect(lines({ ...p, steps: providerSteps(p) })).toEqual(['Remove-CsPublicProvider -Identity Skype', SKYPE_PROVIDER_COMMAND['lync2013-cu5']]);
    expect(providerSteps(p)[0].rollback).toEqual([{ op: 'publicProvider.new', params: {
      identity: 'Skype', proxyFqdn: 'federation.messenger.msn.com', enabled: true, verificationLevel: 'UseSourceVerification',
      iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png',
    } }]);
  });

  it('removes every public provider holding the identity Skype or the proxy FQDN, in identity order', () => {
    const state = edit(freshState('sfb2015'), (s) => {
      // An SfB server upgraded from Lync: the old Messenger entry holds the proxy FQDN, a Skype entry points elsewhere.
      s.publicProviders = [
        { ...s.publicProviders[0], identity: 'Messenger' },
        { ...s.publicProviders[0], identity: 'Skype', proxyFqdn: 'old.skype.example.com', iconUrl: 'https://x.example/i.png', enabled: true },
      ];
    });
    const p = plan(requestFixture('global', {}, 'sfb2015'), state, 'sfb2015');
    expect(lines({ ...p, steps: providerSteps(p) })).toEqual([
      'Remove-CsPublicProvider -Identity Messenger',
      'Remove-CsPublicProvider -Identity Skype',
      SKYPE_PROVIDER_COMMAND.sfb2015,
    ]);
    expect(rollbackLines({ ...p, steps: providerSteps(p) })[1]).toEqual([
      "New-CsPublicProvider -Identity Skype -ProxyFqdn old.skype.example.com -Enabled $true -VerificationLevel AlwaysVerifiable -IconUrl 'https://x.example/i.png' -EnableSkypeIdRouting $false -EnableSkypeDirectorySearch $false",
    ]);
  });

  it('no conflicting provider: only the new one', () => {
    const state = edit(freshState('lync2010'), (s) => { s.publicProviders = []; });
    expect(lines(plan(requestFixture('global', {}, 'lync2010'), state, 'lync2010')).slice(2)).toEqual([SKYPE_PROVIDER_COMMAND.lync2010]);
  });
});

describe('refusals: no steps at all', () => {
  const fresh = freshState('lync2013');
  it.each([
    ['default routing', requestFixture('global'), edit(fresh, (s) => { s.accessEdge.routing = 'DefaultRoute'; s.accessEdge.enablePartnerDiscovery = null; }), 'lync2013', ['routing_not_dns_srv']],
    ['a SIP domain the server does not have', requestWithDomains({ sipDomains: ['contoso.com', 'fabrikam.com'], domainAdmins: { 'contoso.com': 'dana@contoso.com', 'fabrikam.com': 'dana@contoso.com' } }), fresh, 'lync2013', ['sip_domain_missing']],
    ['a hosting provider named Skype', requestFixture('global'), edit(fresh, (s) => { s.hostingProviders.push({ identity: 'skype', proxyFqdn: 'sip.hosted.example.com', enabled: true, verificationLevel: 'AlwaysVerifiable' }); }), 'lync2013', ['hosting_provider_conflict']],
    ['a hosting provider on the Skype proxy FQDN', requestFixture('global'), edit(fresh, (s) => { s.hostingProviders.push({ identity: 'MSN', proxyFqdn: 'Federation.Messenger.MSN.com', enabled: false, verificationLevel: 'AlwaysVerifiable' }); }), 'lync2013', ['hosting_provider_conflict']],
    ['a profile of another product', requestFixture('global'), fresh, 'sfb2015', ['product_mismatch']],
    ['Lync 2010 profile on Lync 2013', requestFixture('global'), fresh, 'lync2010', ['product_mismatch']],
    ['a user the server does not know', requestFixture('user'), edit(fresh, (s) => { s.userPolicies.pop(); s.unknownUsers = ['sip:bob@contoso.com']; }), 'lync2013', ['unknown_user']],
    ['a user discovery did not read', requestFixture('user'), edit(fresh, (s) => { s.userPolicies.pop(); }), 'lync2013', ['unknown_user']],
    ['a Global client policy that was not read', requestFixture('global', { disablePICPromptDisplayName: true }), edit(fresh, (s) => { s.clientPolicies = []; }), 'lync2013', ['observed_incomplete']],
    ['no Global external access policy', requestFixture('global'), edit(fresh, (s) => { s.externalAccessPolicies = []; }), 'lync2013', ['observed_incomplete']],
    ['a per-user policy named Global', requestFixture('user', { policyScope: { kind: 'user', policyName: 'global', users: ['sip:alice@contoso.com'] } }), fresh, 'lync2013', ['policy_name_reserved']],
    ['several at once', requestFixture('global'), edit(fresh, (s) => { s.accessEdge.routing = 'DefaultRoute'; s.sipDomains = []; }), 'sfbse', ['product_mismatch', 'routing_not_dns_srv', 'sip_domain_missing']],
  ] as const)('%s', (_what, request, state, profile, wantRefusal) => {
    const p = plan(request, state, profile);
    expect(p.refusals.map((r) => r.code)).toEqual(wantRefusal);
    for (const r of p.refusals) expect(r.reason.length).toBeGreaterThan(20);
    expect(p.steps).toEqual([]);
    expect(p.alreadyConfigured).toEqual([]);
    expect(p.fingerprint).toBe(fingerprint(state));
    expect(p.planHash).toBe(planHash(profile, p.fingerprint, []));
  });

  it('OCS 2007 R2 or older: one refusal the intake can use too', () => {
    const r = legacyProductRefusal();
    expect(r.code).toBe('product_unsupported');
    expect(r.reason).toMatch(/Office Communications Server 2007 R2 has no Lync Server Management Shell/);
    expect(r.reason).toMatch(/2005 SP1/);
  });
});

describe('hashes', () => {
  const request = requestFixture('user');
  // An export made before the optional keys existed: its fingerprint and plan hash stay what they were.
  const state = legacyFreshState();

  it('same inputs, same fingerprint and plan hash (pinned, so a change in canonical form is noticed)', () => {
    const a = plan(request, state, 'lync2013');
    const b = plan(requestFixture('user'), legacyFreshState(), 'lync2013');
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.planHash).toBe(a.planHash);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect({ fingerprint: a.fingerprint, planHash: a.planHash }).toEqual(PINNED);
  });

  it('the order the server lists things in does not matter', () => {
    const shuffled = edit(state, (s) => {
      s.publicProviders.reverse();
      s.userPolicies.reverse();
      s.externalAccessPolicies.unshift({ identity: 'site:Oslo', enableFederationAccess: false, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
    });
    const sorted = edit(state, (s) => {
      s.externalAccessPolicies.push({ identity: 'site:Oslo', enableFederationAccess: false, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
    });
    const a = plan(request, shuffled, 'lync2013');
    const b = plan(request, sorted, 'lync2013');
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.planHash).toBe(b.planHash);
    expect(a.steps).toEqual(b.steps);
  });

  it('how the state was read (discovery fallbacks) is not part of the fingerprint; the capabilities are', () => {
    const fresh = freshState('lync2013');
    const fellBack = { ...fresh, discoveryFallbacks: [{ read: 'Get-CsServerVersion', reason: 'run only on the local computer', instead: 'the topology' }] };
    expect(plan(request, fellBack, 'lync2013').fingerprint).toBe(plan(request, fresh, 'lync2013').fingerprint);
    expect(plan(request, { ...fresh, capabilities: undefined }, 'lync2013').fingerprint).not.toBe(plan(request, fresh, 'lync2013').fingerprint);
  });

  it('faults in a simulator state file are ignored', () => {
    const withFaults = { ...state, faults: { failOp: { op: 'publicProvider.new', message: 'x' } } } as ObservedState;
    expect(plan(request, withFaults, 'lync2013').planHash).toBe(plan(request, state, 'lync2013').planHash);
  });

  it('binds the profile, the state and every param, but not titles', () => {
    const base = plan(request, state, 'lync2013');
    expect(plan(request, edit(state, (s) => { s.serverVersion.version = '5.0.8308.1'; }), 'lync2013').planHash).not.toBe(base.planHash);
    expect(planHash('lync2013-cu5', base.fingerprint, base.steps)).not.toBe(base.planHash);
    const changed = structuredClone(base.steps);
    changed[2].params.policyName = 'Other';
    expect(planHash('lync2013', base.fingerprint, changed)).not.toBe(base.planHash);
    const rollbackChanged = structuredClone(base.steps);
    rollbackChanged[2].rollback[0].params.policyName = 'Other';
    expect(planHash('lync2013', base.fingerprint, rollbackChanged)).not.toBe(base.planHash);
    const retitled = base.steps.map((s) => ({ ...s, title: 'x' }));
    expect(planHash('lync2013', base.fingerprint, retitled)).toBe(base.planHash);
  });
});

describe('a request for 5,000 users (the most one may hold)', () => {
  const users = Array.from({ length: MAX_POLICY_USERS }, (_, i) => `sip:user${i}@contoso.com`);
  const request = requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users } });
  const state = edit(freshState('lync2013'), (s) => { s.userPolicies = users.map((user) => ({ user, externalAccessPolicy: null })); });
  const base = plan(request, state, 'lync2013');
  const grants = base.steps.filter((s) => s.op === 'externalAccessPolicy.grant');

  it('plans one grant step per user, each with its own rollback', () => {
    expect(base.refusals).toEqual([]);
    expect(grants).toHaveLength(MAX_POLICY_USERS);
    expect(new Set(grants.map((s) => s.params.user))).toEqual(new Set(users));
    expect(grants.every((s) => s.rollback.length === 1 && s.rollback[0]!.params.user === s.params.user)).toBe(true);
  });

  it.each([
    ['the first grant', 0],
    ['the middle grant', 2500],
    ['the last grant', MAX_POLICY_USERS - 1],
  ])('the plan hash the approval binds to covers %s', (_name, index) => {
    const i = base.steps.indexOf(grants[index]!);
    const changed = structuredClone(base.steps);
    changed[i]!.params.user = 'sip:mallory@contoso.com';
    expect(planHash('lync2013', base.fingerprint, changed)).not.toBe(base.planHash);
    expect(planHash('lync2013', base.fingerprint, base.steps.filter((_, n) => n !== i))).not.toBe(base.planHash);
  });
});

describe('never removes the Global external access policy', () => {
  it.each(PROFILES.flatMap((profile) => (['global', 'site', 'user'] as const).map((scope) => [profile, scope] as const)))('%s, %s scope', (profile, scope) => {
    for (const state of [freshState(profile), configuredState(profile)]) {
      const p = plan(requestFixture(scope, {}, profile), state, profile);
      for (const call of p.steps.flatMap((s) => [s, ...s.rollback])) {
        expect(call.op === 'externalAccessPolicy.remove' && String(call.params.identity).toLowerCase() === 'global').toBe(false);
      }
    }
  });
});

function requestWithDomains(change: { sipDomains: string[]; domainAdmins: Record<string, string> }) {
  const r = requestFixture('global');
  return { ...r, sipDomains: change.sipDomains, contacts: { ...r.contacts, domainAdmins: change.domainAdmins } };
}

// Both were cross-checked outside JS: Python's json.dumps(sort_keys=True, separators=(',', ':')) + hashlib.sha256
// over the fixture, and over {profile, fingerprint, steps: [{id, op, params, rollback}]} from `picbot plan --json`.
const PINNED = {
  fingerprint: 'b35ca2e9e164b2a28e1f733edd6afec3810ff678bab04904b52b8052452d1b5b',
  planHash: '857a5040397321b8816d6796b198ed50d9461dd66508186bcb487db6fdd77100',
};

describe('what the server can run: capabilities', () => {
  it('refuses a CU5 plan on Lync 2013 binaries without CU5, naming cmdlet, parameter, products in words and the fitting profile', () => {
    const p = plan(requestFixture('global', {}, 'lync2013-cu5'), freshState('lync2013'), 'lync2013-cu5');
    expect(p.steps).toEqual([]);
    expect(p.refusals.map((r) => r.code)).toEqual(['profile_capability_mismatch', 'profile_capability_mismatch']);
    expect(p.refusals[0].reason).toBe('The plan was made for Lync Server 2013 CU5 or later (`lync2013-cu5`), but this server\'s New-CsPublicProvider has no '
      + '-NameDecorationRoutingDomain parameter, so the plan would stop half-way, after earlier steps have changed the server. Choose Lync Server 2013 (before CU5) (`lync2013`) instead.');
    expect(p.refusals[1].reason).toMatch(/-NameDecorationExcludedDomainList/);
  });

  it('plans the pre-CU5 command on the same server, and the CU5 one on CU5 binaries', () => {
    expect(plan(requestFixture('global', {}, 'lync2013'), freshState('lync2013'), 'lync2013').refusals).toEqual([]);
    expect(plan(requestFixture('global', {}, 'lync2013-cu5'), freshState('lync2013-cu5'), 'lync2013-cu5').refusals).toEqual([]);
  });

  it('federation only sends no provider step, so the CU5 profile plans on a server without CU5', () => {
    const p = plan(requestFixture('global', { skypeProvider: false }, 'lync2013-cu5'), freshState('lync2013'), 'lync2013-cu5');
    expect(p.refusals).toEqual([]);
  });

  it('names the server\'s lack when no profile fits', () => {
    const state = edit(freshState('lync2013'), (s) => { s.capabilities = { ...s.capabilities, 'New-CsPublicProvider': ['Identity', 'ProxyFqdn', 'Enabled'] }; });
    const p = plan(requestFixture('global'), state, 'lync2013');
    expect(p.refusals.map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/no -IconUrl parameter.*No version profile fits/)]));
  });

  it('an observed state without capabilities plans as before, with a warning', () => {
    const p = plan(requestFixture('global', {}, 'lync2013-cu5'), { ...freshState('lync2013'), capabilities: undefined }, 'lync2013-cu5');
    expect(p.refusals).toEqual([]);
    expect(p.warnings[0]).toMatch(/cmdlet parameters .*not checked against what the server can run/);
  });
});

describe('topology and scope checks', () => {
  it('refuses a primary Access Edge FQDN that is no Edge pool\'s external FQDN; warns for an additional one', () => {
    const primary = plan({ ...requestFixture('global'), accessEdgeFqdns: ['edge.contoso.com'] }, freshState('lync2013'), 'lync2013');
    expect(primary.refusals).toEqual([{ code: 'edge_fqdn_unknown', reason: expect.stringMatching(/edge\.contoso\.com is not the external FQDN .*lists sip\.contoso\.com/) }]);
    const extra = plan({ ...requestFixture('global'), accessEdgeFqdns: ['sip.contoso.com', 'edge2.contoso.com'] }, freshState('lync2013'), 'lync2013');
    expect(extra.refusals).toEqual([]);
    expect(extra.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/additional Access Edge FQDN edge2\.contoso\.com is not the external FQDN/)]));
  });

  it('warns plainly when federation is off in the topology (or unreadable)', () => {
    const off = edit(freshState('sfb2019'), (s) => { s.topology!.edgePools[0].federationEnabled = false; });
    expect(plan(requestFixture('global', {}, 'sfb2019'), off, 'sfb2019').warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/Federation \(port 5061\) is off in the topology for sip\.contoso\.com.*Topology Builder.*picbot cannot change it/),
    ]));
    const unknown = edit(freshState('sfb2019'), (s) => { s.topology!.edgePools[0].federationEnabled = null; });
    expect(plan(requestFixture('global', {}, 'sfb2019'), unknown, 'sfb2019').warnings).toEqual(expect.arrayContaining([expect.stringMatching(/could not be read for sip\.contoso\.com/)]));
  });

  it('refuses a site Get-CsSite does not list; without sites it plans and says it could not check', () => {
    const p = plan(requestFixture('site', { policyScope: { kind: 'site', site: 'Oslo' } }), freshState('lync2013'), 'lync2013');
    expect(p.refusals).toEqual([{ code: 'site_unknown', reason: 'The topology has no site named Oslo (Get-CsSite lists Redmond).' }]);
    expect(plan(requestFixture('site'), freshState('lync2013'), 'lync2013').refusals).toEqual([]);
    const old = plan(requestFixture('site', { policyScope: { kind: 'site', site: 'Oslo' } }), { ...freshState('lync2013'), sites: undefined }, 'lync2013');
    expect(old.refusals).toEqual([]);
    expect(old.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/site name Oslo was not checked against Get-CsSite/)]));
  });

  it('Global scope: warns with counts when site or per-user policies keep their own settings', () => {
    const state = edit(freshState('lync2013'), (s) => {
      s.externalAccessPolicies.push({ identity: 'site:Oslo', ...POLICY_OFF }, { identity: 'tag:Kiosk', ...POLICY_OFF }, { identity: 'tag:Sales', ...POLICY_OFF });
      s.policyHolders = { Kiosk: 3, Sales: 2 };
    });
    const p = plan(requestFixture('global'), state, 'lync2013');
    expect(p.warnings).toEqual(expect.arrayContaining([
      'Changing the Global policy does not reach users under other policies: 1 site policy (site:Oslo) and the users homed in those sites; '
        + '2 per-user policies (tag:Kiosk, tag:Sales) held by 5 users keep their own settings.',
    ]));
  });

  it('per-user scope: an existing policy held by users outside the request is refused unless the admin ticked "change it for its other holders too"', () => {
    const state = edit(freshState('lync2013'), (s) => {
      s.externalAccessPolicies.push({ identity: 'tag:EnablePublicUsers', ...POLICY_OFF, enableFederationAccess: true });
      s.userPolicies[0].externalAccessPolicy = 'EnablePublicUsers';
      s.policyHolders = { EnablePublicUsers: 4 };
    });
    const refused = plan(requestFixture('user'), state, 'lync2013');
    expect(refused.refusals).toEqual([{ code: 'policy_held_by_others', reason: expect.stringMatching(/EnablePublicUsers already exists and 3 users outside this request hold it.*change it for its other holders too/) }]);
    const ticked = plan(requestFixture('user', { changeForOtherHolders: true }), state, 'lync2013');
    expect(ticked.refusals).toEqual([]);
    expect(ticked.steps.find((s) => s.id === 'policy')?.op).toBe('externalAccessPolicy.set');
    // Only the request's users hold it: nobody else's access widens.
    const alone = edit(state, (s) => { s.policyHolders = { EnablePublicUsers: 1 }; });
    expect(plan(requestFixture('user'), alone, 'lync2013').refusals).toEqual([]);
  });
});

describe('honest about Skype', () => {
  it('federation only: no provider step, no public IM in the policy, no retirement note', () => {
    const p = plan(requestFixture('global', { skypeProvider: false, publicAudioVideo: true }), freshState('lync2013'), 'lync2013');
    expect(p.steps.map((s) => s.id)).toEqual(['federation', 'policy']);
    expect(lines(p)[1]).toBe('Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true');
    expect(p.warnings).not.toContain(SKYPE_RETIREMENT_NOTE);
    expect(p.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/Public audio\/video .*works only with the Skype public provider.*not set/)]));
  });

  it('a request without the option keeps today\'s meaning: the Skype provider, with the retirement note beside its steps', () => {
    const p = plan(requestFixture('global'), freshState('lync2013'), 'lync2013');
    expect(p.steps.map((s) => s.id)).toEqual(['federation', 'policy', 'provider-remove-1', 'provider-new']);
    for (const s of p.steps.filter((x) => x.id.startsWith('provider'))) expect(s.title).toMatch(/retired by Microsoft on 5 May 2025/);
    expect(p.warnings).toContain(SKYPE_RETIREMENT_NOTE);
  });
});

describe('verification levels that could not be read', () => {
  it('refuses the profiles that pass -VerificationLevel 2, not the SfB ones', () => {
    const lync = edit(freshState('lync2013'), (s) => { s.serverVersion.verificationLevels = {}; });
    expect(plan(requestFixture('global'), lync, 'lync2013').refusals).toEqual([{ code: 'observed_incomplete', reason: expect.stringMatching(/-VerificationLevel 2.*could not be read/) }]);
    expect(plan(requestFixture('global', { skypeProvider: false }), lync, 'lync2013').refusals).toEqual([]);
    const sfb = edit(freshState('sfb2019'), (s) => { s.serverVersion.verificationLevels = {}; });
    expect(plan(requestFixture('global', {}, 'sfb2019'), sfb, 'sfb2019').refusals).toEqual([]);
  });
});
