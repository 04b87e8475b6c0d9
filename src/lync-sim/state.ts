import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { z } from 'zod';
import { CAPABILITY_CMDLETS, parametersFor } from '../contracts/cmdlet-reference';
import { ObservedState, ReplicaStatus, type Capabilities, type PublicProvider, type Product, type Topology } from '../contracts/observed';
import { PROFILE_PRODUCT, type Profile } from '../contracts/profiles';
import { Faults } from './faults';

/**
 * The simulator's state file: an observed-state document plus two optional simulator-only keys,
 * `faults` (fault injection, see faults.ts) and `replicas` (what replication.status reports; it
 * is not part of the observed state). Unknown keys are refused so a typo does not go unnoticed.
 * `userPolicies` lists every Lync-enabled user the simulated server has.
 * `capabilities`, `topology` and `sites` are the simulated server's binaries and topology; a
 * state file written before they existed loads with the defaults `withDefaults` fills in (in
 * memory: the file changes only when configuration is written).
 */
export const SimState = ObservedState.omit({ policyHolders: true, discoveryFallbacks: true }).extend({
  faults: Faults.optional(),
  replicas: z.array(ReplicaStatus).optional(),
}).strict();
export type SimState = z.infer<typeof SimState>;

/** The profile whose binaries a product's server has when the state file does not say (a Lync 2013 is taken to have CU5, as this simulator always assumed). */
const DEFAULT_PROFILE: Record<Product, Profile> = {
  'Lync Server 2010': 'lync2010',
  'Lync Server 2013': 'lync2013-cu5',
  'Skype for Business Server 2015': 'sfb2015',
  'Skype for Business Server 2019': 'sfb2019',
  'Skype for Business Server Subscription Edition': 'sfbse',
};

/** The parameters the profile's cmdlets accept, from Microsoft's reference (src/contracts/cmdlet-reference.ts). */
export function capabilitiesFor(profile: Profile): Capabilities {
  return Object.fromEntries(CAPABILITY_CMDLETS.map((c) => [c, parametersFor(c, profile)]));
}

/** One Edge pool per external FQDN, federation (port 5061) enabled. */
export function topologyFor(edgeFqdns: string[]): Topology {
  return {
    edgePools: edgeFqdns.map((fqdn, i) => ({
      identity: `EdgeServer:edge${String(i + 1).padStart(2, '0')}.${fqdn.split('.').slice(1).join('.') || fqdn}`,
      accessEdgeExternalFqdn: fqdn,
      accessEdgeExternalSipPort: 5061,
      federationEnabled: true,
    })),
  };
}

/** The state with the keys a state file may lack filled in with defaults. */
export function withDefaults(state: SimState): SimState {
  const defaultDomain = state.sipDomains.find((d) => d.isDefault)?.name ?? state.sipDomains[0]?.name ?? 'contoso.com';
  return {
    ...state,
    capabilities: state.capabilities ?? capabilitiesFor(DEFAULT_PROFILE[state.serverVersion.product]),
    topology: state.topology ?? topologyFor([`sip.${defaultDomain}`]),
    sites: state.sites ?? [DEFAULT_SITE],
  };
}

/** The site of a fresh simulated topology. */
export const DEFAULT_SITE = 'Redmond';

/**
 * ASSUMPTION (the real numbers are not documented, docs/lync-reference.md, Public providers): the simulator numbers
 * VerificationLevelType in the order the cmdlet reference lists the names, so the seed's
 * `-VerificationLevel 2` becomes `UseSourceVerification`. A real server reports its own map
 * through server.version; nothing but the simulator relies on these numbers.
 */
export const SIM_VERIFICATION_LEVELS: Record<string, number> = {
  AlwaysVerifiable: 0,
  AlwaysUnverifiable: 1,
  UseSourceVerification: 2,
};

/**
 * ASSUMPTION: the version Get-CsServerVersion reports per product (the RTM build; the server
 * keeps reporting it after cumulative updates, which is why CU5 or not is the admin's choice of
 * profile). The Subscription Edition number is a placeholder, not checked against a real server.
 */
const PRODUCT_VERSION: Record<Product, string> = {
  'Lync Server 2010': '4.0.7577.0',
  'Lync Server 2013': '5.0.8308.0',
  'Skype for Business Server 2015': '6.0.9319.0',
  'Skype for Business Server 2019': '7.0.2046.0',
  'Skype for Business Server Subscription Edition': '8.0.0.0',
};

/** Whether the product's providers have the EnableSkype* properties (SfB only). */
export function hasSkypeSwitches(product: Product): boolean {
  return product.startsWith('Skype for Business');
}

/**
 * A fresh server for a profile. ASSUMPTIONS, all profiles alike unless noted:
 * - DNS SRV routing, federation off, partner discovery off, archiving disclaimer off, outside users on
 *   (the documented Set-CsAccessEdgeConfiguration defaults);
 * - one SIP domain contoso.com (default);
 * - the shipped public providers, disabled, VerificationLevel AlwaysVerifiable (the documented
 *   default), no IconUrl/NameDecoration*: Lync Server 2013 ships Messenger
 *   (federation.messenger.msn.com), Yahoo (lcs.yahoo.com) and AOL (sip.oscar.aol.com); Lync Server
 *   2010 lists the first as MSN; Skype for Business Server has one provider, Skype
 *   (federation.messenger.msn.com), with Skype ID routing and directory search off, which
 *   Microsoft's SfB connectivity page has you remove and re-create
 *   (https://learn.microsoft.com/skypeforbusiness/deploy/deploy-skype-connectivity).
 *   EnableSkype* is false on SfB (the properties exist) and null on Lync (they do not);
 * - the cmdlets' parameters per profile from Microsoft's reference (`capabilitiesFor`): `lync2013`
 *   lacks the NameDecoration* pair that `lync2013-cu5` has;
 * - one Edge pool whose external FQDN is sip.<default SIP domain>, plus one per `edges`, with
 *   federation enabled in the topology; one site, Redmond, plus `sites`;
 * - no hosting providers;
 * - the Global external access policy with every switch off (server defaults);
 * - two Lync-enabled users sip:alice@contoso.com and sip:bob@contoso.com, no per-user policy;
 * - the Global client policy with DisablePICPromptDisplayName not set (null);
 * - replicas fe01.contoso.com (Front End) and edge01.contoso.com (Edge), up to date.
 */
export function initialState(profile: Profile, now: Date, extra: { edges?: string[]; sites?: string[] } = {}): SimState {
  const product = PROFILE_PRODUCT[profile];
  const skype = hasSkypeSwitches(product) ? false : null;
  const provider = (identity: string, proxyFqdn: string): PublicProvider => ({
    identity, proxyFqdn, enabled: false, verificationLevel: 'AlwaysVerifiable', iconUrl: null,
    nameDecorationRoutingDomain: null, nameDecorationExcludedDomainList: null,
    enableSkypeIdRouting: skype, enableSkypeDirectorySearch: skype,
  });
  const publicProviders = hasSkypeSwitches(product)
    ? [provider('Skype', 'federation.messenger.msn.com')]
    : [
      provider(product === 'Lync Server 2010' ? 'MSN' : 'Messenger', 'federation.messenger.msn.com'),
      provider('Yahoo', 'lcs.yahoo.com'),
      provider('AOL', 'sip.oscar.aol.com'),
    ];
  const edges = [...new Set(['sip.contoso.com', ...(extra.edges ?? []).map((e) => e.toLowerCase())])];
  const sites = [...new Set([DEFAULT_SITE, ...(extra.sites ?? [])])];
  return {
    serverVersion: { product, version: PRODUCT_VERSION[product], verificationLevels: { ...SIM_VERIFICATION_LEVELS } },
    accessEdge: {
      routing: 'DnsSrv', allowFederatedUsers: false, enablePartnerDiscovery: false,
      enableArchivingDisclaimer: false, allowOutsideUsers: true,
    },
    sipDomains: [{ name: 'contoso.com', isDefault: true }],
    publicProviders,
    hostingProviders: [],
    externalAccessPolicies: [{
      identity: 'Global', enableFederationAccess: false, enablePublicCloudAccess: false,
      enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false,
    }],
    userPolicies: [
      { user: 'sip:alice@contoso.com', externalAccessPolicy: null },
      { user: 'sip:bob@contoso.com', externalAccessPolicy: null },
    ],
    unknownUsers: [],
    clientPolicies: [{ identity: 'Global', disablePICPromptDisplayName: null }],
    capabilities: capabilitiesFor(profile),
    topology: topologyFor(edges),
    sites,
    replicas: [
      { replicaFqdn: 'fe01.contoso.com', upToDate: true, lastUpdate: now.toISOString() },
      { replicaFqdn: 'edge01.contoso.com', upToDate: true, lastUpdate: now.toISOString() },
    ],
  };
}

/** Reads and validates a state file; the error names the file and the first bad field. */
export function loadState(file: string): SimState {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`reading state file ${file}: ${(err as Error).message}`);
  }
  const parsed = SimState.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`state file ${file} is not a simulator state: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return withDefaults(parsed.data);
}

/**
 * Writes the state atomically: a temp file in the same directory, fsync, then rename over the
 * target, so a concurrent reader sees the old or the new document, never half of one.
 * With `exclusive`, the temp file is hard-linked instead, which fails if the target exists
 * (--init must never overwrite, even when two processes race).
 */
export function saveState(file: string, state: SimState, options: { exclusive?: boolean } = {}): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (options.exclusive) {
      linkSync(tmp, file);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, file);
    }
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone: nothing to clean up */ }
    throw err;
  }
}
