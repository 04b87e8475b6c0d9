import { canonicalJson } from '../../../src/contracts/canonical';
import { checkOpCall, OP_NAMES } from '../../../src/contracts/ops';
import { PROFILES } from '../../../src/contracts/profiles';
import { psString, psValue, renderOp } from '../../../src/contracts/render';
import { SKYPE_PROVIDER_COMMAND, SKYPE_PROVIDER_PARAMS } from '../../../src/contracts/skype-provider';

describe('psString / psValue: quoting table', () => {
  it.each([
    ['Global', 'Global'],
    ['site:Redmond', 'site:Redmond'],
    ['tag:EnablePublicUsers', 'tag:EnablePublicUsers'],
    ['federation.messenger.msn.com', 'federation.messenger.msn.com'],
    ['Skype_2', 'Skype_2'],
    ['sip:alice@contoso.com', "'sip:alice@contoso.com'"],
    ['https://images.edge.messenger.live.com/Messenger_16x16.png', "'https://images.edge.messenger.live.com/Messenger_16x16.png'"],
    ['msn.com,outlook.com', "'msn.com,outlook.com'"],
    ['Yahoo!', "'Yahoo!'"],
    ['My Site', "'My Site'"],
    ["O'Brien", "'O''Brien'"],
    ['it\u2019s', "'it\u2019\u2019s'"],
    ['$env:PATH', "'$env:PATH'"],
    ['a;Remove-Item x', "'a;Remove-Item x'"],
    ['-Force', "'-Force'"],
    ['1kb', "'1kb'"],
    ['2', "'2'"],
    ['@(1)', "'@(1)'"],
    ['', "''"],
    ['`whoami`', "'`whoami`'"],
    ['two\nlines', '"two`nlines"'],
    ['tab\there $x "q"', '"tab`there `$x `"q`""'],
    ['bell\u0007esc\u001b', '"bell`aesc$([char]0x1B)"'],
  ])('%j → %s', (input, want) => {
    expect(psString(input)).toBe(want);
  });

  it.each([
    [true, '$true'],
    [false, '$false'],
    [null, '$null'],
    [2, '2'],
    ['AlwaysVerifiable', 'AlwaysVerifiable'],
  ])('%j → %s', (input, want) => {
    expect(psValue(input)).toBe(want);
  });

  it('refuses values PowerShell text cannot carry', () => {
    expect(() => psValue({})).toThrow(/unsupported object/);
  });
});

describe('renderOp', () => {
  it.each([
    ['server.version', {}, 'Get-CsServerVersion'],
    ['accessEdge.get', {}, 'Get-CsAccessEdgeConfiguration'],
    ['sipDomain.list', {}, 'Get-CsSipDomain'],
    ['publicProvider.list', {}, 'Get-CsPublicProvider'],
    ['hostingProvider.list', {}, 'Get-CsHostingProvider'],
    ['externalAccessPolicy.list', {}, 'Get-CsExternalAccessPolicy'],
    ['user.externalAccessPolicy', { users: ['sip:alice@contoso.com'] }, "Get-CsUser -Identity 'sip:alice@contoso.com' | Select-Object SipAddress, ExternalAccessPolicy"],
    ['user.externalAccessPolicy', { users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'] },
      "@('sip:alice@contoso.com', 'sip:bob@contoso.com') | ForEach-Object { Get-CsUser -Identity $_ } | Select-Object SipAddress, ExternalAccessPolicy"],
    ['clientPolicy.get', { identity: 'Global' }, 'Get-CsClientPolicy -Identity Global'],
    ['replication.status', {}, 'Get-CsManagementStoreReplicationStatus'],
    ['accessEdge.set', { allowFederatedUsers: true }, 'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true'],
    ['accessEdge.set', { enablePartnerDiscovery: true, allowFederatedUsers: true }, 'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true -EnablePartnerDiscovery $true'],
    ['accessEdge.set', { enableArchivingDisclaimer: false }, 'Set-CsAccessEdgeConfiguration -EnableArchivingDisclaimer $false'],
    ['externalAccessPolicy.set', { enablePublicCloudAccess: true, identity: 'Global', enableFederationAccess: true },
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true'],
    ['externalAccessPolicy.new', { identity: 'site:Redmond', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: true },
      'New-CsExternalAccessPolicy -Identity site:Redmond -EnableFederationAccess $true -EnablePublicCloudAccess $true -EnablePublicCloudAudioVideoAccess $true'],
    ['externalAccessPolicy.set', { identity: 'Global', enableOutsideAccess: false }, 'Set-CsExternalAccessPolicy -Identity Global -EnableOutsideAccess $false'],
    ['externalAccessPolicy.remove', { identity: 'EnablePublicUsers' }, 'Remove-CsExternalAccessPolicy -Identity EnablePublicUsers'],
    ['externalAccessPolicy.grant', { user: 'sip:alice@contoso.com', policyName: 'EnablePublicUsers' }, "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName EnablePublicUsers"],
    ['externalAccessPolicy.grant', { user: 'sip:alice@contoso.com', policyName: null }, "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName $null"],
    ['publicProvider.new', { identity: 'Messenger', proxyFqdn: 'federation.messenger.msn.com', enabled: false, verificationLevel: 'AlwaysUnverifiable' },
      'New-CsPublicProvider -Identity Messenger -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel AlwaysUnverifiable'],
    ['publicProvider.new', {
      identity: 'Skype', proxyFqdn: 'federation.messenger.msn.com', enabled: true, verificationLevel: 'UseSourceVerification',
      iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png', nameDecorationRoutingDomain: 'msn.com',
      nameDecorationExcludedDomainList: 'msn.com,live.com', enableSkypeIdRouting: false, enableSkypeDirectorySearch: false,
    }, "New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -Enabled $true -VerificationLevel UseSourceVerification -IconUrl 'https://images.edge.messenger.live.com/Messenger_16x16.png' -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList 'msn.com,live.com' -EnableSkypeIdRouting $false -EnableSkypeDirectorySearch $false"],
    ['publicProvider.set', { identity: 'Skype', enabled: true }, 'Set-CsPublicProvider -Identity Skype -Enabled $true'],
    ['publicProvider.set', { identity: 'Skype', verificationLevel: 2 }, 'Set-CsPublicProvider -Identity Skype -VerificationLevel 2'],
    ['publicProvider.remove', { identity: 'Messenger' }, 'Remove-CsPublicProvider -Identity Messenger'],
    ['publicProvider.remove', { identity: 'Yahoo!' }, "Remove-CsPublicProvider -Identity 'Yahoo!'"],
    ['clientPolicy.set', { identity: 'Global', disablePICPromptDisplayName: true }, 'Set-CsClientPolicy -Identity Global -DisablePICPromptDisplayName $true'],
    ['clientPolicy.set', { identity: 'Global', disablePICPromptDisplayName: null }, 'Set-CsClientPolicy -Identity Global -DisablePICPromptDisplayName $null'],
  ])('%s %j', (op, params, want) => {
    expect(renderOp(op, params)).toBe(want);
  });

  it('covers every op in the catalog', () => {
    const sample: Record<string, Record<string, unknown>> = {
      'user.externalAccessPolicy': { users: ['sip:a@contoso.com'] },
      'clientPolicy.get': { identity: 'Global' },
      'externalAccessPolicy.new': { identity: 'X' },
      'externalAccessPolicy.set': { identity: 'X' },
      'externalAccessPolicy.remove': { identity: 'X' },
      'externalAccessPolicy.grant': { user: 'sip:a@contoso.com', policyName: 'X' },
      'publicProvider.new': { identity: 'X', proxyFqdn: 'x.example.com', enabled: true },
      'publicProvider.probe': { identity: 'X', proxyFqdn: 'x.example.com', enabled: true },
      'publicProvider.set': { identity: 'X' },
      'publicProvider.remove': { identity: 'X' },
      'clientPolicy.set': { identity: 'Global', disablePICPromptDisplayName: false },
    };
    for (const op of OP_NAMES) {
      const text = renderOp(op, sample[op] ?? {});
      expect(text).toMatch(/^(@\(|\(Get-Command |[A-Z][a-z]+-Cs[A-Za-z]+)/);
      expect(text).not.toMatch(/-ErrorAction|-Force|-Confirm|-WhatIf/);
    }
  });

  it('renders the same text whatever the key order of the params (as read back from canonical JSON)', () => {
    const params = { identity: 'Global', enableFederationAccess: true, enablePublicCloudAccess: true };
    const roundTripped = JSON.parse(canonicalJson(params)) as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    expect(renderOp('externalAccessPolicy.set', roundTripped)).toBe(renderOp('externalAccessPolicy.set', reversed));
  });

  it.each([
    ['an unknown op', 'publicProvider.enable', { identity: 'Skype' }, /unknown op/],
    ['an unknown param', 'publicProvider.set', { identity: 'Skype', iconUrl: 'x' }, /publicProvider\.set/],
    ['a missing param', 'publicProvider.remove', {}, /identity/],
  ])('refuses %s', (_what, op, params, want) => {
    expect(() => renderOp(op, params)).toThrow(want);
  });
});

describe('the Skype publicProvider.new renders the documented command letter for letter', () => {
  it.each([
    ['lync2010', 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -VerificationLevel 2 -Enabled 1'],
    ['lync2013', 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1'],
    ['lync2013-cu5', 'New-CsPublicProvider -ProxyFqdn federation.messenger.msn.com -Enabled 1 -Identity Skype -VerificationLevel 2 -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png"'],
    ['sfb2015', 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -Enabled $true -EnableSkypeIdRouting $true -EnableSkypeDirectorySearch $true'],
    ['sfb2019', 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -Enabled $true -EnableSkypeIdRouting $true -EnableSkypeDirectorySearch $true'],
    ['sfbse', 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -Enabled $true -EnableSkypeIdRouting $true -EnableSkypeDirectorySearch $true'],
  ] as const)('%s', (profile, want) => {
    expect(SKYPE_PROVIDER_COMMAND[profile]).toBe(want);
    expect(renderOp('publicProvider.new', SKYPE_PROVIDER_PARAMS[profile])).toBe(want);
  });

  it('selects the template by params alone: distinct params per documented text', () => {
    const byParams = new Map<string, string>();
    for (const p of PROFILES) {
      const key = canonicalJson(SKYPE_PROVIDER_PARAMS[p]);
      expect(byParams.get(key) ?? SKYPE_PROVIDER_COMMAND[p]).toBe(SKYPE_PROVIDER_COMMAND[p]);
      byParams.set(key, SKYPE_PROVIDER_COMMAND[p]);
    }
  });

  it('renders any other provider (a different field, the level as a name) with the general rules', () => {
    expect(renderOp('publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2013, verificationLevel: 'AlwaysUnverifiable' }))
      .toBe("New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -Enabled $true -VerificationLevel AlwaysUnverifiable -IconUrl 'https://images.edge.messenger.live.com/Messenger_16x16.png'");
    expect(renderOp('publicProvider.new', { ...SKYPE_PROVIDER_PARAMS.lync2010, enabled: false }))
      .toBe('New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel 2');
  });
});

describe('the catalog refuses wildcard users', () => {
  // Grant-CsExternalAccessPolicy's -Identity accepts wildcards: one grant must reach exactly one user.
  it.each(['sip:*@contoso.com', 'sip:al?ce@contoso.com', 'sip:alice@*.com', 'sip:[ab]lice@contoso.com'])('%s', (user) => {
    expect(checkOpCall({ op: 'externalAccessPolicy.grant', params: { user, policyName: 'P' } })).toMatchObject({ ok: false, reason: expect.stringMatching(/no wildcards/) });
    expect(checkOpCall({ op: 'user.externalAccessPolicy', params: { users: [user] } }).ok).toBe(false);
  });
  it('a plain SIP URI passes', () => {
    expect(checkOpCall({ op: 'externalAccessPolicy.grant', params: { user: 'sip:alice@contoso.com', policyName: 'P' } }).ok).toBe(true);
  });
});

