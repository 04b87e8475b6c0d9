import type { OpName } from '../../src/contracts/ops';
import type { Profile } from '../../src/contracts/profiles';
import type { ShellErrorCode } from '../../src/contracts/shell-errors';
import type { SimState } from '../../src/lync-sim/state';
import { startSim, tempDir, writeState } from './sim-helpers';

/**
 * Lync's documented semantics (docs/lync-reference.md, Rules), as op sequences run against the real
 * simulator process through the runner's shell host. Each step wants data (toEqual), or a subset
 * of it (wantLike, toMatchObject), or an error code (wantError) and message (wantMessage), or
 * a refusal by the shell host before anything is sent (wantHostRefusal).
 */
interface Step {
  op: OpName;
  params?: Record<string, unknown>;
  want?: unknown;
  wantLike?: unknown;
  wantError?: ShellErrorCode;
  wantMessage?: RegExp;
  /** The runner's shell host refuses to send it at all (the simulator's own refusal is in lync-sim-protocol). */
  wantHostRefusal?: RegExp;
}
interface Row {
  name: string;
  profile?: Profile;
  tweak?: (s: SimState) => void;
  steps: Step[];
}

const msnFqdn = 'federation.messenger.msn.com';
const skype = { identity: 'Skype', proxyFqdn: msnFqdn, enabled: true };
const policyOff = { enableFederationAccess: false, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false };
const hosting = (s: SimState) => {
  s.hostingProviders.push({ identity: 'LyncOnline', proxyFqdn: 'sipfed.online.lync.com', enabled: true, verificationLevel: 'AlwaysVerifiable' });
};
const defaultRouting = (s: SimState) => {
  s.accessEdge.routing = 'DefaultRoute';
  s.accessEdge.enablePartnerDiscovery = null;
};
const provider = (identity: string, proxyFqdn: string, skypeSwitch: boolean | null) => ({
  identity, proxyFqdn, enabled: false, verificationLevel: 'AlwaysVerifiable', iconUrl: null,
  nameDecorationRoutingDomain: null, nameDecorationExcludedDomainList: null,
  enableSkypeIdRouting: skypeSwitch, enableSkypeDirectorySearch: skypeSwitch,
});
const withPolicy = (s: SimState) => {
  s.externalAccessPolicies.push({ identity: 'tag:PICUsers', ...policyOff, enablePublicCloudAccess: true });
};

const rows: Row[] = [
  {
    name: 'a fresh Lync 2013 server: version, DNS SRV routing with federation off, one SIP domain',
    steps: [
      { op: 'server.version', want: { product: 'Lync Server 2013', version: '5.0.8308.0', verificationLevels: { AlwaysVerifiable: 0, AlwaysUnverifiable: 1, UseSourceVerification: 2 } } },
      { op: 'accessEdge.get', want: { routing: 'DnsSrv', allowFederatedUsers: false, enablePartnerDiscovery: false, enableArchivingDisclaimer: false, allowOutsideUsers: true } },
      { op: 'sipDomain.list', want: [{ name: 'contoso.com', isDefault: true }] },
      { op: 'hostingProvider.list', want: [] },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }] },
      { op: 'clientPolicy.get', params: { identity: 'Global' }, want: { identity: 'Global', disablePICPromptDisplayName: null } },
    ],
  },
  {
    name: 'a fresh Lync 2013 server ships Messenger, Yahoo and AOL, disabled',
    steps: [{
      op: 'publicProvider.list',
      want: [provider('Messenger', msnFqdn, null), provider('Yahoo', 'lcs.yahoo.com', null), provider('AOL', 'sip.oscar.aol.com', null)],
    }],
  },
  {
    name: 'the seed sequence: Skype on Messenger\'s FQDN fails until Messenger is removed; the integer 2 is stored as its name',
    steps: [
      { op: 'publicProvider.new', params: { ...skype, verificationLevel: 2 }, wantError: 'proxy_fqdn_in_use', wantMessage: /federation\.messenger\.msn\.com.*Messenger/ },
      { op: 'publicProvider.remove', params: { identity: 'Messenger' }, want: null },
      { op: 'publicProvider.new', params: { ...skype, verificationLevel: 2, iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png' }, want: null },
      { op: 'publicProvider.list', wantLike: [{ identity: 'Yahoo' }, { identity: 'AOL' }, { ...skype, verificationLevel: 'UseSourceVerification', iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png', nameDecorationRoutingDomain: null }] },
    ],
  },
  {
    name: 'New-CsPublicProvider fails when the identity exists (any case)',
    steps: [
      { op: 'publicProvider.new', params: { identity: 'yahoo', proxyFqdn: 'other.example.com', enabled: false }, wantError: 'already_exists', wantMessage: /Yahoo/ },
    ],
  },
  {
    name: 'identities and proxy FQDNs are unique across public AND hosting providers',
    tweak: hosting,
    steps: [
      { op: 'publicProvider.new', params: { identity: 'LyncOnline', proxyFqdn: 'new.example.com', enabled: true }, wantError: 'already_exists', wantMessage: /hosting provider "LyncOnline"/ },
      { op: 'publicProvider.new', params: { identity: 'Other', proxyFqdn: 'SIPFED.online.lync.com', enabled: true }, wantError: 'proxy_fqdn_in_use', wantMessage: /hosting provider "LyncOnline"/ },
      { op: 'hostingProvider.list', want: [{ identity: 'LyncOnline', proxyFqdn: 'sipfed.online.lync.com', enabled: true, verificationLevel: 'AlwaysVerifiable' }] },
    ],
  },
  {
    name: 'Remove-CsPublicProvider fails when the provider is absent',
    steps: [
      { op: 'publicProvider.remove', params: { identity: 'Skype' }, wantError: 'not_found', wantMessage: /Skype/ },
      { op: 'publicProvider.remove', params: { identity: 'aol' }, want: null },
      { op: 'publicProvider.remove', params: { identity: 'AOL' }, wantError: 'not_found' },
    ],
  },
  {
    name: 'Set-CsPublicProvider changes only Enabled and VerificationLevel',
    steps: [
      { op: 'publicProvider.set', params: { identity: 'Messenger', proxyFqdn: 'x.example.com' }, wantHostRefusal: /Unrecognized key: "proxyFqdn"/ },
      { op: 'publicProvider.set', params: { identity: 'Messenger', iconUrl: 'https://x' }, wantHostRefusal: /Unrecognized key: "iconUrl"/ },
      { op: 'publicProvider.set', params: { identity: 'Messenger', enabled: true, verificationLevel: 'alwaysunverifiable' }, want: null },
      { op: 'publicProvider.set', params: { identity: 'Messenger', verificationLevel: 'Sometimes' }, wantError: 'bad_params', wantMessage: /AlwaysVerifiable, AlwaysUnverifiable, UseSourceVerification/ },
      { op: 'publicProvider.set', params: { identity: 'Messenger', verificationLevel: 7 }, wantError: 'bad_params' },
      { op: 'publicProvider.set', params: { identity: 'Skype', enabled: true }, wantError: 'not_found' },
      { op: 'publicProvider.list', wantLike: [{ identity: 'Messenger', proxyFqdn: msnFqdn, enabled: true, verificationLevel: 'AlwaysUnverifiable' }, { identity: 'Yahoo', enabled: false }, { identity: 'AOL', enabled: false }] },
    ],
  },
  {
    name: 'the verification level resolves names, integers and digit strings through the server\'s enum',
    steps: [
      { op: 'publicProvider.set', params: { identity: 'Yahoo', verificationLevel: '1' }, want: null },
      { op: 'publicProvider.set', params: { identity: 'AOL', verificationLevel: 2 }, want: null },
      { op: 'publicProvider.list', wantLike: [{ verificationLevel: 'AlwaysVerifiable' }, { verificationLevel: 'AlwaysUnverifiable' }, { verificationLevel: 'UseSourceVerification' }] },
    ],
  },
  {
    name: 'public providers refuse creation under default routing; so does partner discovery',
    tweak: (s) => { defaultRouting(s); s.publicProviders = []; },
    steps: [
      { op: 'publicProvider.new', params: skype, wantError: 'default_routing', wantMessage: /default routing/ },
      { op: 'accessEdge.set', params: { enablePartnerDiscovery: true }, wantError: 'default_routing' },
      { op: 'accessEdge.set', params: { allowFederatedUsers: true }, want: null },
      { op: 'accessEdge.get', want: { routing: 'DefaultRoute', allowFederatedUsers: true, enablePartnerDiscovery: null, enableArchivingDisclaimer: false, allowOutsideUsers: true } },
      { op: 'publicProvider.list', want: [] },
    ],
  },
  {
    name: 'Set-CsAccessEdgeConfiguration changes only what it is given',
    steps: [
      { op: 'accessEdge.set', params: { allowFederatedUsers: true, enableArchivingDisclaimer: true }, want: null },
      { op: 'accessEdge.set', params: { enablePartnerDiscovery: true }, want: null },
      { op: 'accessEdge.get', want: { routing: 'DnsSrv', allowFederatedUsers: true, enablePartnerDiscovery: true, enableArchivingDisclaimer: true, allowOutsideUsers: true } },
    ],
  },
  {
    name: 'New-CsExternalAccessPolicy refuses Global, in any case',
    steps: [
      { op: 'externalAccessPolicy.new', params: { identity: 'Global', enablePublicCloudAccess: true }, wantError: 'invalid_identity', wantMessage: /global/i },
      { op: 'externalAccessPolicy.new', params: { identity: 'global' }, wantError: 'invalid_identity' },
      { op: 'externalAccessPolicy.new', params: { identity: 'service:Registrar:fe01' }, wantError: 'invalid_identity' },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }] },
    ],
  },
  {
    name: 'New-CsExternalAccessPolicy refuses a second policy for one site',
    steps: [
      { op: 'externalAccessPolicy.new', params: { identity: 'site:Redmond', enableFederationAccess: true }, want: null },
      { op: 'externalAccessPolicy.new', params: { identity: 'SITE:redmond' }, wantError: 'already_exists', wantMessage: /only one/ },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }, { identity: 'site:Redmond', ...policyOff, enableFederationAccess: true }] },
    ],
  },
  {
    name: 'a per-user policy is created with its bare name and read back as tag:<name>; New fails when it exists',
    steps: [
      { op: 'externalAccessPolicy.new', params: { identity: 'PICUsers', enableFederationAccess: true, enablePublicCloudAccess: true }, want: null },
      { op: 'externalAccessPolicy.new', params: { identity: 'PICUsers' }, wantError: 'already_exists', wantMessage: /tag:PICUsers/ },
      { op: 'externalAccessPolicy.new', params: { identity: 'tag:picusers' }, wantError: 'already_exists' },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }, { identity: 'tag:PICUsers', ...policyOff, enableFederationAccess: true, enablePublicCloudAccess: true }] },
    ],
  },
  {
    name: 'Set-CsExternalAccessPolicy changes the given switches; fails on an absent policy',
    steps: [
      { op: 'externalAccessPolicy.set', params: { identity: 'global', enableFederationAccess: true, enablePublicCloudAccess: true }, want: null },
      { op: 'externalAccessPolicy.set', params: { identity: 'Nobody', enableFederationAccess: true }, wantError: 'not_found', wantMessage: /tag:Nobody/ },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff, enableFederationAccess: true, enablePublicCloudAccess: true }] },
    ],
  },
  {
    name: 'removing Global resets it to the defaults instead of deleting it',
    steps: [
      { op: 'externalAccessPolicy.set', params: { identity: 'Global', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: true, enableOutsideAccess: true }, want: null },
      { op: 'externalAccessPolicy.remove', params: { identity: 'Global' }, want: null },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }] },
    ],
  },
  {
    name: 'Remove-CsExternalAccessPolicy fails when the policy is absent',
    steps: [
      { op: 'externalAccessPolicy.remove', params: { identity: 'site:Nowhere' }, wantError: 'not_found' },
      { op: 'externalAccessPolicy.remove', params: { identity: 'PICUsers' }, wantError: 'not_found' },
    ],
  },
  {
    name: 'grant: an unknown user or policy fails; a granted per-user policy cannot be removed ("policy is in use")',
    tweak: withPolicy,
    steps: [
      { op: 'externalAccessPolicy.grant', params: { user: 'sip:carol@contoso.com', policyName: 'PICUsers' }, wantError: 'not_found', wantMessage: /Management object not found for identity "sip:carol@contoso.com"/ },
      { op: 'externalAccessPolicy.grant', params: { user: 'sip:alice@contoso.com', policyName: 'NoSuchPolicy' }, wantError: 'not_found', wantMessage: /tag:NoSuchPolicy/ },
      { op: 'externalAccessPolicy.grant', params: { user: 'sip:alice@contoso.com', policyName: 'tag:PICUsers' }, wantError: 'bad_params', wantMessage: /without the "tag:" prefix/ },
      { op: 'externalAccessPolicy.grant', params: { user: 'sip:Alice@Contoso.com', policyName: 'picusers' }, want: null },
      { op: 'user.externalAccessPolicy', params: { users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'] }, want: { users: [{ user: 'sip:alice@contoso.com', externalAccessPolicy: 'PICUsers' }, { user: 'sip:bob@contoso.com', externalAccessPolicy: null }], notFound: [] } },
      { op: 'externalAccessPolicy.remove', params: { identity: 'PICUsers' }, wantError: 'policy_in_use', wantMessage: /The policy is in use/ },
      { op: 'externalAccessPolicy.grant', params: { user: 'sip:alice@contoso.com', policyName: null }, want: null },
      { op: 'externalAccessPolicy.remove', params: { identity: 'tag:PICUsers' }, want: null },
      { op: 'externalAccessPolicy.list', want: [{ identity: 'Global', ...policyOff }] },
    ],
  },
  {
    name: 'user.externalAccessPolicy answers unknown users under notFound instead of failing',
    steps: [
      { op: 'user.externalAccessPolicy', params: { users: ['sip:bob@contoso.com', 'sip:mallory@fabrikam.com'] }, want: { users: [{ user: 'sip:bob@contoso.com', externalAccessPolicy: null }], notFound: ['sip:mallory@fabrikam.com'] } },
      { op: 'user.externalAccessPolicy', params: { users: [] }, want: { users: [], notFound: [] } },
    ],
  },
  {
    name: 'client policy: get and set DisablePICPromptDisplayName (null restores "not set"); absent policies fail',
    steps: [
      { op: 'clientPolicy.set', params: { identity: 'global', disablePICPromptDisplayName: true }, want: null },
      { op: 'clientPolicy.get', params: { identity: 'Global' }, want: { identity: 'Global', disablePICPromptDisplayName: true } },
      { op: 'clientPolicy.set', params: { identity: 'Global', disablePICPromptDisplayName: null }, want: null },
      { op: 'clientPolicy.get', params: { identity: 'Global' }, want: { identity: 'Global', disablePICPromptDisplayName: null } },
      { op: 'clientPolicy.get', params: { identity: 'tag:Kiosk' }, wantError: 'not_found' },
      { op: 'clientPolicy.set', params: { identity: 'Kiosk', disablePICPromptDisplayName: true }, wantError: 'not_found' },
    ],
  },
  {
    name: 'Lync 2010 has no IconUrl or NameDecoration* parameters',
    profile: 'lync2010',
    tweak: (s) => { s.publicProviders = []; },
    steps: [
      { op: 'server.version', wantLike: { product: 'Lync Server 2010', version: '4.0.7577.0' } },
      { op: 'publicProvider.new', params: { ...skype, iconUrl: 'https://x' }, wantError: 'bad_params', wantMessage: /'IconUrl'/ },
      { op: 'publicProvider.new', params: { ...skype, nameDecorationRoutingDomain: 'msn.com' }, wantError: 'bad_params', wantMessage: /'NameDecorationRoutingDomain'/ },
      { op: 'publicProvider.new', params: { ...skype, verificationLevel: 2 }, want: null },
    ],
  },
  {
    name: 'Lync 2013 takes the CU5 NameDecoration* pair but not the SfB EnableSkype* switches',
    profile: 'lync2013-cu5',
    tweak: (s) => { s.publicProviders = []; },
    steps: [
      { op: 'publicProvider.new', params: { ...skype, enableSkypeIdRouting: true }, wantError: 'bad_params', wantMessage: /'EnableSkypeIdRouting'/ },
      { op: 'publicProvider.new', params: { ...skype, nameDecorationRoutingDomain: 'msn.com', nameDecorationExcludedDomainList: 'msn.com,outlook.com,live.com,hotmail.com' }, want: null },
      { op: 'publicProvider.list', want: [{ ...provider('Skype', msnFqdn, null), enabled: true, nameDecorationRoutingDomain: 'msn.com', nameDecorationExcludedDomainList: 'msn.com,outlook.com,live.com,hotmail.com' }] },
    ],
  },
  {
    name: 'Skype for Business ships a disabled Skype provider (no Skype ID routing or directory search) and takes the documented command after it is removed',
    profile: 'sfb2015',
    steps: [
      { op: 'server.version', wantLike: { product: 'Skype for Business Server 2015' } },
      { op: 'publicProvider.list', want: [provider('Skype', msnFqdn, false)] },
      { op: 'publicProvider.remove', params: { identity: 'Skype' }, want: null },
      {
        op: 'publicProvider.new',
        params: { ...skype, iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png', nameDecorationRoutingDomain: 'msn.com', nameDecorationExcludedDomainList: 'msn.com,outlook.com,live.com,hotmail.com', enableSkypeIdRouting: true, enableSkypeDirectorySearch: true },
        want: null,
      },
      {
        op: 'publicProvider.list',
        want: [{
          ...skype, verificationLevel: 'AlwaysVerifiable', iconUrl: 'https://images.edge.messenger.live.com/Messenger_16x16.png',
          nameDecorationRoutingDomain: 'msn.com', nameDecorationExcludedDomainList: 'msn.com,outlook.com,live.com,hotmail.com',
          enableSkypeIdRouting: true, enableSkypeDirectorySearch: true,
        }],
      },
    ],
  },
  {
    name: 'Lync 2010 lists the Messenger provider as MSN',
    profile: 'lync2010',
    steps: [
      { op: 'publicProvider.list', wantLike: [{ identity: 'MSN', proxyFqdn: msnFqdn }, { identity: 'Yahoo' }, { identity: 'AOL' }] },
    ],
  },
  {
    name: 'Lync 2013 before CU5 has no NameDecoration* parameters (the CU5 binaries have them)',
    profile: 'lync2013',
    tweak: (s) => { s.publicProviders = []; },
    steps: [
      { op: 'capabilities.get', wantLike: { 'New-CsPublicProvider': expect.arrayContaining(['Identity', 'IconUrl', 'InMemory']) } },
      { op: 'publicProvider.new', params: { ...skype, nameDecorationRoutingDomain: 'msn.com' }, wantError: 'bad_params', wantMessage: /'NameDecorationRoutingDomain'/ },
      { op: 'publicProvider.probe', params: { ...skype, nameDecorationExcludedDomainList: 'msn.com' }, wantError: 'bad_params', wantMessage: /'NameDecorationExcludedDomainList'/ },
      { op: 'publicProvider.new', params: { ...skype, iconUrl: 'https://x', verificationLevel: 2 }, want: null },
    ],
  },
  {
    name: 'the in-memory probe binds parameters only: no uniqueness rule, nothing stored',
    steps: [
      { op: 'publicProvider.probe', params: { ...skype, verificationLevel: 2 }, want: { verificationLevel: 'UseSourceVerification' } },
      { op: 'publicProvider.probe', params: { ...skype, verificationLevel: 7 }, wantError: 'bad_params' },
      { op: 'publicProvider.list', wantLike: [{ identity: 'Messenger' }, { identity: 'Yahoo' }, { identity: 'AOL' }] },
      { op: 'replication.status', wantLike: [{ upToDate: true }, { upToDate: true }] },
    ],
  },
  {
    name: 'topology, sites and policy holders',
    tweak: (s) => { s.userPolicies[1].externalAccessPolicy = 'PICUsers'; },
    steps: [
      { op: 'topology.get', want: { edgePools: [{ identity: 'EdgeServer:edge01.contoso.com', accessEdgeExternalFqdn: 'sip.contoso.com', accessEdgeExternalSipPort: 5061, federationEnabled: true }] } },
      { op: 'site.list', want: ['Redmond'] },
      { op: 'externalAccessPolicy.holders', want: { PICUsers: 1 } },
    ],
  },
  {
    name: 'partner discovery with -UseDnsSrvRouting: no routing change on DNS SRV routing',
    steps: [
      { op: 'accessEdge.set', params: { enablePartnerDiscovery: true, useDnsSrvRouting: true }, want: null },
      { op: 'accessEdge.get', wantLike: { routing: 'DnsSrv', enablePartnerDiscovery: true } },
    ],
  },
  {
    name: '-UseDnsSrvRouting is refused on default routing (picbot never switches the routing mode)',
    tweak: defaultRouting,
    steps: [
      { op: 'accessEdge.set', params: { useDnsSrvRouting: true }, wantError: 'default_routing' },
      { op: 'accessEdge.get', wantLike: { routing: 'DefaultRoute' } },
    ],
  },
  {
    name: 'remote-session fallbacks: the version from the topology, the verification levels from -InMemory probes',
    tweak: (s) => { s.faults = { serverVersionLocalOnly: true, scriptBlocksRefused: true }; },
    steps: [
      {
        op: 'server.version',
        wantLike: {
          product: 'Lync Server 2013', version: '5', verificationLevels: { UseSourceVerification: 2 },
          fallbacks: [
            { read: 'Get-CsServerVersion', instead: expect.stringMatching(/Get-CsService -Registrar/) },
            { read: 'VerificationLevelType values', instead: expect.stringMatching(/-InMemory/) },
          ],
        },
      },
    ],
  },
  {
    name: 'without -InMemory the verification levels stay unknown, and say so',
    tweak: (s) => {
      s.faults = { scriptBlocksRefused: true };
      s.capabilities = { 'New-CsPublicProvider': ['Identity', 'ProxyFqdn', 'Enabled', 'VerificationLevel'] };
    },
    steps: [
      { op: 'server.version', wantLike: { verificationLevels: {}, fallbacks: [{ read: 'VerificationLevelType values', instead: expect.stringMatching(/unknown/) }] } },
    ],
  },
  {
    name: 'replication: after a write the replicas show stale once, then catch up',
    steps: [
      { op: 'replication.status', want: [{ replicaFqdn: 'fe01.contoso.com', upToDate: true, lastUpdate: '2026-01-01T00:00:00.000Z' }, { replicaFqdn: 'edge01.contoso.com', upToDate: true, lastUpdate: '2026-01-01T00:00:00.000Z' }] },
      { op: 'accessEdge.set', params: { allowFederatedUsers: true }, want: null },
      { op: 'replication.status', wantLike: [{ replicaFqdn: 'fe01.contoso.com', upToDate: false }, { replicaFqdn: 'edge01.contoso.com', upToDate: false }] },
      { op: 'replication.status', wantLike: [{ upToDate: true }, { upToDate: true }] },
    ],
  },
  {
    name: 'replication: the replicationStuck fault keeps replicas stale',
    tweak: (s) => { s.faults = { replicationStuck: true }; },
    steps: [
      { op: 'publicProvider.set', params: { identity: 'Yahoo', enabled: true }, want: null },
      { op: 'replication.status', wantLike: [{ upToDate: false }, { upToDate: false }] },
      { op: 'replication.status', wantLike: [{ upToDate: false }, { upToDate: false }] },
    ],
  },
  {
    name: 'a failed write changes nothing',
    tweak: hosting,
    steps: [
      { op: 'publicProvider.new', params: { identity: 'Skype', proxyFqdn: 'sipfed.online.lync.com', enabled: true, verificationLevel: 'AlwaysUnverifiable' }, wantError: 'proxy_fqdn_in_use' },
      { op: 'replication.status', wantLike: [{ upToDate: true }, { upToDate: true }] },
      { op: 'publicProvider.list', wantLike: [{ identity: 'Messenger' }, { identity: 'Yahoo' }, { identity: 'AOL' }] },
    ],
  },
];

describe('simulated Lync shell semantics (real picbot-lync-sim over stdio)', () => {
  it.each(rows)('$name', async ({ profile, tweak, steps }) => {
    const { dir, cleanup } = tempDir();
    const host = startSim(writeState(dir, profile ?? 'lync2013', tweak));
    try {
      for (const [index, step] of steps.entries()) {
        if (step.wantHostRefusal) {
          await expect(host.call(step.op, step.params ?? {})).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(step.wantHostRefusal) });
          continue;
        }
        const outcome = await host.call(step.op, step.params ?? {});
        const seen = { step: index, op: step.op, outcome };
        if (step.wantError) {
          expect(seen).toMatchObject({ outcome: { ok: false, error: { code: step.wantError } } });
          if (step.wantMessage && !outcome.ok) expect(outcome.error.message).toMatch(step.wantMessage);
        } else {
          expect(seen).toMatchObject({ outcome: { ok: true } });
          if (!outcome.ok) continue;
          if ('want' in step) expect({ step: index, data: outcome.data }).toEqual({ step: index, data: step.want });
          if ('wantLike' in step) expect({ step: index, data: outcome.data }).toMatchObject({ step: index, data: step.wantLike });
        }
      }
    } finally {
      await host.close();
      cleanup();
    }
  });
});
