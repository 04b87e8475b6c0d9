import { discoveryScope } from '../../../src/core/discovery-scope';
import { requestFixture } from '../../fixtures/load';

describe('discoveryScope', () => {
  it.each([
    ['global, client policy left as is', requestFixture('global'), { users: [], clientPolicyIdentities: [] }],
    ['site, client policy set', requestFixture('site', { disablePICPromptDisplayName: false }), { users: [], clientPolicyIdentities: ['Global'] }],
    ['per-user', requestFixture('user'), { users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'], clientPolicyIdentities: ['Global'] }],
    ['per-user, a user listed twice', requestFixture('user', {
      policyScope: { kind: 'user', policyName: 'P', users: ['sip:alice@contoso.com', 'sip:bob@contoso.com', 'sip:alice@contoso.com'] },
      disablePICPromptDisplayName: null,
    }), { users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'], clientPolicyIdentities: [] }],
  ])('%s', (_what, request, want) => {
    expect(discoveryScope(request)).toEqual(want);
  });
});
