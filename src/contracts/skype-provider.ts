import type { OpParams } from './ops';
import type { Profile } from './profiles';

/**
 * The Skype public provider as Microsoft documents it for each profile (docs/lync-reference.md,
 * Version profiles): the params the planner creates it with, and the documented command text that
 * `publicProvider.new` with exactly those params renders as, letter for letter.
 */
export const SKYPE_IDENTITY = 'Skype';
export const SKYPE_PROXY_FQDN = 'federation.messenger.msn.com';
export const SKYPE_ICON_URL = 'https://images.edge.messenger.live.com/Messenger_16x16.png';
export const SKYPE_ROUTING_DOMAIN = 'msn.com';
export const SKYPE_EXCLUDED_DOMAINS = 'msn.com,outlook.com,live.com,hotmail.com';

/**
 * Microsoft retired Skype consumer interop on 5 May 2025: "Starting May 5, 2025, Skype Consumer
 * Interoperability with Teams is no longer supported and the parameter EnablePublicCloudAccess
 * can no longer be used" (https://learn.microsoft.com/powershell/module/skypeforbusiness/set-csexternalaccesspolicy).
 */
export const SKYPE_RETIRED_SHORT = 'retired by Microsoft on 5 May 2025';
export const SKYPE_RETIREMENT_NOTE = 'Microsoft retired Skype consumer interop on 5 May 2025: the Skype public provider and public IM '
  + '(the EnablePublicCloudAccess setting) are configured as asked, but no Skype user can be reached through them any more.';

type NewProvider = OpParams<'publicProvider.new'>;

const sfb: NewProvider = {
  identity: SKYPE_IDENTITY,
  proxyFqdn: SKYPE_PROXY_FQDN,
  iconUrl: SKYPE_ICON_URL,
  nameDecorationRoutingDomain: SKYPE_ROUTING_DOMAIN,
  nameDecorationExcludedDomainList: SKYPE_EXCLUDED_DOMAINS,
  enabled: true,
  enableSkypeIdRouting: true,
  enableSkypeDirectorySearch: true,
};
const SFB_COMMAND = 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -Enabled $true -EnableSkypeIdRouting $true -EnableSkypeDirectorySearch $true';

/** The params of the documented `New-CsPublicProvider` per profile. The seed's integer 2 stays an integer: the server's enum resolves it. */
export const SKYPE_PROVIDER_PARAMS: Record<Profile, NewProvider> = {
  lync2010: { identity: SKYPE_IDENTITY, proxyFqdn: SKYPE_PROXY_FQDN, verificationLevel: 2, enabled: true },
  lync2013: { identity: SKYPE_IDENTITY, proxyFqdn: SKYPE_PROXY_FQDN, iconUrl: SKYPE_ICON_URL, verificationLevel: 2, enabled: true },
  'lync2013-cu5': {
    proxyFqdn: SKYPE_PROXY_FQDN,
    enabled: true,
    identity: SKYPE_IDENTITY,
    verificationLevel: 2,
    nameDecorationRoutingDomain: SKYPE_ROUTING_DOMAIN,
    nameDecorationExcludedDomainList: SKYPE_EXCLUDED_DOMAINS,
    iconUrl: SKYPE_ICON_URL,
  },
  sfb2015: sfb,
  sfb2019: sfb,
  sfbse: sfb,
};

/** The documented command text per profile (the seed document for lync2013, the current English page for CU5, the SfB page for SfB). */
export const SKYPE_PROVIDER_COMMAND: Record<Profile, string> = {
  lync2010: 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -VerificationLevel 2 -Enabled 1',
  lync2013: 'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1',
  'lync2013-cu5': 'New-CsPublicProvider -ProxyFqdn federation.messenger.msn.com -Enabled 1 -Identity Skype -VerificationLevel 2 -NameDecorationRoutingDomain msn.com -NameDecorationExcludedDomainList "msn.com,outlook.com,live.com,hotmail.com" -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png"',
  sfb2015: SFB_COMMAND,
  sfb2019: SFB_COMMAND,
  sfbse: SFB_COMMAND,
};
