import type { ObservedState } from '../../../src/contracts/observed';
import { checkSatisfied, sameVerificationLevel, satisfied } from '../../../src/contracts/satisfied';
import { SKYPE_PROVIDER_PARAMS } from '../../../src/contracts/skype-provider';
import { applyOp } from '../../fakes/lync-state';
import { configuredState, freshState } from '../../fixtures/load';

const fresh = freshState('lync2013');
const configured = configuredState('lync2013');
const with_ = (edit: (s: ObservedState) => void): ObservedState => {
  const s = structuredClone(fresh);
  edit(s);
  return s;
};
const tagged = with_((s) => {
  s.externalAccessPolicies.push({ identity: 'tag:EnablePublicUsers', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
  s.userPolicies[0].externalAccessPolicy = 'EnablePublicUsers';
});

describe('satisfied: table', () => {
  it.each([
    ['accessEdge.set', { allowFederatedUsers: false }, fresh, true],
    ['accessEdge.set', { allowFederatedUsers: true }, fresh, false],
    ['accessEdge.set', { allowFederatedUsers: true, enablePartnerDiscovery: true }, configured, true],
    ['accessEdge.set', { allowFederatedUsers: true, enablePartnerDiscovery: true }, with_((s) => { s.accessEdge.allowFederatedUsers = true; }), false],
    ['accessEdge.set', { enablePartnerDiscovery: true }, with_((s) => { s.accessEdge.enablePartnerDiscovery = null; }), false],
    ['externalAccessPolicy.set', { identity: 'Global', enableFederationAccess: true }, configured, true],
    ['externalAccessPolicy.set', { identity: 'global', enableFederationAccess: true, enablePublicCloudAccess: true }, configured, true],
    ['externalAccessPolicy.set', { identity: 'Global', enablePublicCloudAudioVideoAccess: true }, configured, false],
    ['externalAccessPolicy.set', { identity: 'site:Redmond', enableFederationAccess: true }, configured, false],
    ['externalAccessPolicy.new', { identity: 'EnablePublicUsers', enableFederationAccess: true, enablePublicCloudAccess: true }, tagged, true],
    ['externalAccessPolicy.new', { identity: 'tag:EnablePublicUsers', enableFederationAccess: true }, tagged, true],
    ['externalAccessPolicy.new', { identity: 'EnablePublicUsers', enableOutsideAccess: true }, tagged, false],
    ['externalAccessPolicy.new', { identity: 'EnablePublicUsers' }, fresh, false],
    ['externalAccessPolicy.remove', { identity: 'EnablePublicUsers' }, fresh, true],
    ['externalAccessPolicy.remove', { identity: 'EnablePublicUsers' }, tagged, false],
    ['externalAccessPolicy.remove', { identity: 'Global' }, fresh, true],
    ['externalAccessPolicy.remove', { identity: 'Global' }, configured, false],
    ['externalAccessPolicy.grant', { user: 'sip:alice@contoso.com', policyName: 'EnablePublicUsers' }, tagged, true],
    ['externalAccessPolicy.grant', { user: 'sip:ALICE@contoso.com', policyName: 'enablepublicusers' }, tagged, true],
    ['externalAccessPolicy.grant', { user: 'sip:bob@contoso.com', policyName: 'EnablePublicUsers' }, tagged, false],
    ['externalAccessPolicy.grant', { user: 'sip:bob@contoso.com', policyName: null }, tagged, true],
    ['externalAccessPolicy.grant', { user: 'sip:alice@contoso.com', policyName: null }, tagged, false],
    ['externalAccessPolicy.grant', { user: 'sip:carol@contoso.com', policyName: null }, fresh, false],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2013, configured, true],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2010, configured, true],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS['lync2013-cu5'], configured, false],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2013, fresh, false],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2013, verificationLevel: 'UseSourceVerification' }, configured, true],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2013, verificationLevel: 'usesourceverification' }, configured, true],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2013, verificationLevel: 1 }, configured, false],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2013, proxyFqdn: 'FEDERATION.messenger.msn.com' }, configured, true],
    ['publicProvider.new', { identity: 'Messenger', proxyFqdn: 'federation.messenger.msn.com', enabled: false, verificationLevel: 'AlwaysVerifiable' }, fresh, true],
    ['publicProvider.new', { identity: 'Messenger', proxyFqdn: 'federation.messenger.msn.com', enabled: false, iconUrl: 'https://x.example/i.png' }, fresh, false],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS.sfb2015, configuredState('sfb2015'), true],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.sfb2015, nameDecorationExcludedDomainList: 'hotmail.com, live.com,outlook.com,MSN.com' }, configuredState('sfb2015'), true],
    ['publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.sfb2015, nameDecorationExcludedDomainList: 'msn.com' }, configuredState('sfb2015'), false],
    ['publicProvider.new', SKYPE_PROVIDER_PARAMS.sfb2015, with_((s) => { s.publicProviders[1] = { ...configuredState('sfb2015').publicProviders.find((p) => p.identity === 'Skype')!, enableSkypeDirectorySearch: null }; }), false],
    ['publicProvider.set', { identity: 'Skype', enabled: true, verificationLevel: 2 }, configured, true],
    ['publicProvider.set', { identity: 'Messenger', enabled: true }, fresh, false],
    ['publicProvider.set', { identity: 'Skype', enabled: true }, fresh, false],
    ['publicProvider.remove', { identity: 'Messenger' }, configured, true],
    ['publicProvider.remove', { identity: 'messenger' }, fresh, false],
    ['clientPolicy.set', { identity: 'Global', disablePICPromptDisplayName: null }, fresh, true],
    ['clientPolicy.set', { identity: 'Global', disablePICPromptDisplayName: false }, fresh, false],
    ['clientPolicy.set', { identity: 'global', disablePICPromptDisplayName: true }, with_((s) => { s.clientPolicies[0].disablePICPromptDisplayName = true; }), true],
    ['clientPolicy.set', { identity: 'site:Redmond', disablePICPromptDisplayName: true }, fresh, false],
  ])('%s %j', (op, params, state, want) => {
    const check = checkSatisfied(op, params as Record<string, unknown>, state);
    expect(check.satisfied).toBe(want);
    expect(check.differences.length === 0).toBe(want);
  });

  it('explains each difference', () => {
    expect(checkSatisfied('publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2013, with_((s) => {
      s.publicProviders.push({ ...configured.publicProviders[1], enabled: false, iconUrl: null });
    })).differences).toEqual([
      'Skype.enabled is false, want true',
      'Skype.iconUrl is null, want "https://images.edge.messenger.live.com/Messenger_16x16.png"',
    ]);
  });

  it('refuses read ops and bad params', () => {
    expect(() => satisfied('accessEdge.get', {}, fresh)).toThrow(/read op/);
    expect(() => satisfied('publicProvider.set', { identity: 'Skype', iconUrl: 'x' }, fresh)).toThrow(/publicProvider\.set/);
  });

  it('holds after the fake applies each op (check → change → verify)', () => {
    const calls: Array<[string, Record<string, unknown>]> = [
      ['accessEdge.set', { allowFederatedUsers: true, enablePartnerDiscovery: true }],
      ['externalAccessPolicy.set', { identity: 'Global', enablePublicCloudAccess: true }],
      ['externalAccessPolicy.new', { identity: 'EnablePublicUsers', enableFederationAccess: true }],
      ['externalAccessPolicy.new', { identity: 'site:Redmond', enablePublicCloudAccess: true }],
      ['externalAccessPolicy.grant', { user: 'sip:bob@contoso.com', policyName: 'X' }],
      ['publicProvider.remove', { identity: 'Messenger' }],
      ['clientPolicy.set', { identity: 'Global', disablePICPromptDisplayName: true }],
    ];
    let state = fresh;
    for (const [op, params] of calls) {
      expect(satisfied(op, params, state)).toBe(false);
      state = applyOp(state, op, params);
      expect(checkSatisfied(op, params, state).differences).toEqual([]);
    }
    state = applyOp(state, 'publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2013);
    expect(satisfied('publicProvider.new', SKYPE_PROVIDER_PARAMS.lync2013, state)).toBe(true);
  });
});

describe('sameVerificationLevel: through the server map, never guessed', () => {
  const levels = { AlwaysVerifiable: 0, AlwaysUnverifiable: 1, UseSourceVerification: 2 };
  it.each([
    [2, 'UseSourceVerification', levels, true],
    [1, 'UseSourceVerification', levels, false],
    ['AlwaysUnverifiable', 'AlwaysUnverifiable', {}, true],
    ['alwaysunverifiable', 'AlwaysUnverifiable', levels, true],
    [2, 'UseSourceVerification', {}, false],
    [2, 'SomethingNew', levels, false],
    ['Unknown', 'AlwaysVerifiable', levels, false],
    [0, 'AlwaysVerifiable', { AlwaysVerifiable: 0 }, true],
  ])('%j vs %s with %j → %s', (want, observedName, map, expected) => {
    expect(sameVerificationLevel(want, observedName, map)).toBe(expected);
  });
});
