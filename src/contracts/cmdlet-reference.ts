import { PROFILES, type Profile } from './profiles';

/**
 * The parameters each cmdlet picbot calls accepts, per version profile, from Microsoft's cmdlet
 * reference (the "Applicable:" line of each parameter on the cmdlet's page). docs/lync-reference.md
 * explains the table; tests check lync-ops.ps1 and every rendered plan script against it, and the
 * simulator reports its capabilities from it.
 *
 * Where the reference is silent:
 * - Lync Server 2013 CU5: the reference labels NameDecorationRoutingDomain and
 *   NameDecorationExcludedDomainList "Skype for Business Server 2015, 2019", while Microsoft's Lync
 *   Server 2013 Skype connectivity page (LYNC_2013_SKYPE_PAGE) uses them and says they were added
 *   in Lync Server 2013 CU5. So `lync2013-cu5` has them and `lync2013` (before CU5) does not.
 * - Subscription Edition: the pages list versions up to Skype for Business Server 2019; `sfbse`
 *   is taken to accept what 2019 accepts.
 * Only the parameters picbot sends or reads about are listed (plus the New-CsPublicProvider page
 * in full); a parameter that is not listed is one picbot never uses.
 */
export const LYNC_2013_SKYPE_PAGE = 'https://learn.microsoft.com/lyncserver/lync-server-2013-accessing-the-lync-server-public-im-connectivity-provisioning-site';

/** Common parameters every cmdlet takes (about_CommonParameters). */
export const COMMON_PARAMETERS = ['ErrorAction', 'ErrorVariable', 'WarningAction', 'WarningVariable', 'Verbose', 'Debug', 'OutVariable', 'OutBuffer', 'InformationAction', 'InformationVariable', 'PipelineVariable'] as const;

export interface CmdletReference {
  url: string;
  /** parameter name → the profiles whose servers accept it. */
  params: Record<string, readonly Profile[]>;
}

const ALL: readonly Profile[] = PROFILES;
const LYNC2013_UP: readonly Profile[] = ['lync2013', 'lync2013-cu5', 'sfb2015', 'sfb2019', 'sfbse'];
const CU5_UP: readonly Profile[] = ['lync2013-cu5', 'sfb2015', 'sfb2019', 'sfbse'];
const SFB: readonly Profile[] = ['sfb2015', 'sfb2019', 'sfbse'];

const page = (name: string) => `https://learn.microsoft.com/powershell/module/skypeforbusiness/${name.toLowerCase()}`;
const all = (...names: string[]) => Object.fromEntries(names.map((n) => [n, ALL]));

export const CMDLET_REFERENCE: Record<string, CmdletReference> = {
  'Get-CsServerVersion': { url: page('Get-CsServerVersion'), params: {} },
  'Get-CsAccessEdgeConfiguration': { url: page('Get-CsAccessEdgeConfiguration'), params: all('Identity', 'Filter', 'LocalStore') },
  'Get-CsSipDomain': { url: page('Get-CsSipDomain'), params: all('Identity', 'Filter') },
  'Get-CsPublicProvider': { url: page('Get-CsPublicProvider'), params: all('Identity', 'Filter', 'LocalStore') },
  'Get-CsHostingProvider': { url: page('Get-CsHostingProvider'), params: all('Identity', 'Filter', 'LocalStore') },
  'Get-CsExternalAccessPolicy': { url: page('Get-CsExternalAccessPolicy'), params: all('Identity', 'Filter', 'LocalStore') },
  'Get-CsClientPolicy': { url: page('Get-CsClientPolicy'), params: all('Identity', 'Filter', 'LocalStore') },
  'Get-CsManagementStoreReplicationStatus': { url: page('Get-CsManagementStoreReplicationStatus'), params: all('CentralManagementStoreStatus', 'ReplicaFqdn') },
  'Get-CsUser': { url: page('Get-CsUser'), params: all('Identity', 'Filter', 'LdapFilter', 'ResultSize') },
  'Get-CsService': { url: page('Get-CsService'), params: all('EdgeServer', 'Registrar', 'PoolFqdn', 'Identity', 'Filter') },
  'Get-CsPool': { url: page('Get-CsPool'), params: all('Identity', 'Filter', 'Site') },
  'Get-CsSite': { url: page('Get-CsSite'), params: all('Identity', 'Filter') },
  'Set-CsAccessEdgeConfiguration': {
    url: page('Set-CsAccessEdgeConfiguration'),
    params: {
      ...all('Identity', 'AllowFederatedUsers', 'AllowOutsideUsers', 'EnableArchivingDisclaimer', 'EnablePartnerDiscovery',
        'UseDnsSrvRouting', 'UseDefaultRouting', 'VerificationLevel', 'Force', 'Confirm', 'WhatIf'),
      DiscoveredPartnerVerificationLevel: LYNC2013_UP,
      SkypeSearchUrl: SFB,
    },
  },
  'New-CsExternalAccessPolicy': {
    url: page('New-CsExternalAccessPolicy'),
    params: {
      ...all('Identity', 'Description', 'EnableFederationAccess', 'EnableOutsideAccess', 'EnablePublicCloudAccess',
        'EnablePublicCloudAudioVideoAccess', 'Force', 'InMemory', 'Confirm', 'WhatIf'),
      EnableXmppAccess: LYNC2013_UP,
    },
  },
  'Set-CsExternalAccessPolicy': {
    url: page('Set-CsExternalAccessPolicy'),
    params: {
      ...all('Identity', 'Description', 'EnableFederationAccess', 'EnableOutsideAccess', 'EnablePublicCloudAccess',
        'EnablePublicCloudAudioVideoAccess', 'Force', 'Instance', 'Confirm', 'WhatIf'),
      EnableXmppAccess: LYNC2013_UP,
    },
  },
  'Remove-CsExternalAccessPolicy': { url: page('Remove-CsExternalAccessPolicy'), params: all('Identity', 'Force', 'Confirm', 'WhatIf') },
  'Grant-CsExternalAccessPolicy': { url: page('Grant-CsExternalAccessPolicy'), params: all('Identity', 'PolicyName', 'DomainController', 'PassThru', 'Confirm', 'WhatIf') },
  'New-CsPublicProvider': {
    url: page('New-CsPublicProvider'),
    params: {
      ...all('Identity', 'ProxyFqdn', 'Enabled', 'VerificationLevel', 'Force', 'InMemory', 'Confirm', 'WhatIf'),
      IconUrl: LYNC2013_UP,
      NameDecorationDomain: LYNC2013_UP,
      NameDecorationRoutingDomain: CU5_UP,
      NameDecorationExcludedDomainList: CU5_UP,
      EnableSkypeIdRouting: SFB,
      EnableSkypeDirectorySearch: SFB,
    },
  },
  'Set-CsPublicProvider': { url: page('Set-CsPublicProvider'), params: all('Identity', 'Enabled', 'VerificationLevel', 'Instance', 'Force', 'Confirm', 'WhatIf') },
  'Remove-CsPublicProvider': { url: page('Remove-CsPublicProvider'), params: all('Identity', 'Force', 'Confirm', 'WhatIf') },
  'Set-CsClientPolicy': { url: page('Set-CsClientPolicy'), params: all('Identity', 'DisablePICPromptDisplayName', 'Instance', 'Force', 'Confirm', 'WhatIf') },
};

/** The cmdlets discovery reads capabilities for (`capabilities.get`). */
export const CAPABILITY_CMDLETS = ['New-CsPublicProvider', 'Set-CsAccessEdgeConfiguration', 'New-CsExternalAccessPolicy', 'Set-CsClientPolicy'] as const;

/** Whether the reference lists `param` (or a common parameter) on `cmdlet` for `profile`. */
export function acceptsParameter(cmdlet: string, param: string, profile: Profile): boolean {
  if ((COMMON_PARAMETERS as readonly string[]).some((c) => c.toLowerCase() === param.toLowerCase())) return true;
  const ref = CMDLET_REFERENCE[cmdlet];
  if (!ref) return false;
  const key = Object.keys(ref.params).find((k) => k.toLowerCase() === param.toLowerCase());
  return key !== undefined && ref.params[key].includes(profile);
}

/** The parameters of `cmdlet` the reference lists for `profile`, common parameters included (what Get-Command would show). */
export function parametersFor(cmdlet: string, profile: Profile): string[] {
  const ref = CMDLET_REFERENCE[cmdlet];
  if (!ref) return [];
  return [...Object.keys(ref.params).filter((k) => ref.params[k].includes(profile)), ...COMMON_PARAMETERS];
}
