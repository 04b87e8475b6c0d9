import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { z } from 'zod';
import { ObservedState, ReplicaStatus, type PublicProvider, type Product } from '../contracts/observed';
import { PROFILE_PRODUCT, type Profile } from '../contracts/profiles';
import { Faults } from './faults';

/**
 * The simulator's state file: an observed-state document plus two optional simulator-only keys,
 * `faults` (fault injection, see faults.ts) and `replicas` (what replication.status reports; it
 * is not part of the observed state). Unknown keys are refused so a typo does not go unnoticed.
 * `userPolicies` lists every Lync-enabled user the simulated server has.
 */
export const SimState = ObservedState.extend({
  faults: Faults.optional(),
  replicas: z.array(ReplicaStatus).optional(),
}).strict();
export type SimState = z.infer<typeof SimState>;

/**
 * ASSUMPTION (the real numbers are not documented, LYNC.md §2.2): the simulator numbers
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

/** Which optional New-CsPublicProvider parameters a product has (LYNC.md §2.2 "Version availability"). */
export function providerFeatures(product: Product): { iconUrl: boolean; nameDecoration: boolean; skypeSwitches: boolean } {
  const sfb = product.startsWith('Skype for Business');
  return {
    iconUrl: product !== 'Lync Server 2010',
    // ASSUMPTION: a Lync 2013 server is taken to have CU5 binaries (the NameDecoration* pair),
    // whichever lync2013 profile the admin picks; Lync 2010 has neither.
    nameDecoration: product !== 'Lync Server 2010',
    skypeSwitches: sfb,
  };
}

/**
 * A fresh server for a profile (runner issue §2). ASSUMPTIONS, all profiles alike unless noted:
 * - DNS SRV routing, federation off, partner discovery off, archiving disclaimer off, outside users on
 *   (the documented Set-CsAccessEdgeConfiguration defaults);
 * - one SIP domain contoso.com (default);
 * - the three shipped public providers, disabled: Messenger (federation.messenger.msn.com), Yahoo
 *   (lcs.yahoo.com), AOL (sip.oscar.aol.com), VerificationLevel AlwaysVerifiable (the documented
 *   default), no IconUrl/NameDecoration*; EnableSkype* false on SfB (the properties exist) and
 *   null on Lync (they do not). LYNC.md documents them for Lync 2010/2013 only; SfB gets the same;
 * - no hosting providers;
 * - the Global external access policy with every switch off (server defaults, LYNC.md §2.3);
 * - two Lync-enabled users sip:alice@contoso.com and sip:bob@contoso.com, no per-user policy;
 * - the Global client policy with DisablePICPromptDisplayName not set (null);
 * - replicas fe01.contoso.com (Front End) and edge01.contoso.com (Edge), up to date.
 */
export function initialState(profile: Profile, now: Date): SimState {
  const product = PROFILE_PRODUCT[profile];
  const skype = providerFeatures(product).skypeSwitches ? false : null;
  const provider = (identity: string, proxyFqdn: string): PublicProvider => ({
    identity, proxyFqdn, enabled: false, verificationLevel: 'AlwaysVerifiable', iconUrl: null,
    nameDecorationRoutingDomain: null, nameDecorationExcludedDomainList: null,
    enableSkypeIdRouting: skype, enableSkypeDirectorySearch: skype,
  });
  return {
    serverVersion: { product, version: PRODUCT_VERSION[product], verificationLevels: { ...SIM_VERIFICATION_LEVELS } },
    accessEdge: {
      routing: 'DnsSrv', allowFederatedUsers: false, enablePartnerDiscovery: false,
      enableArchivingDisclaimer: false, allowOutsideUsers: true,
    },
    sipDomains: [{ name: 'contoso.com', isDefault: true }],
    publicProviders: [
      provider('Messenger', 'federation.messenger.msn.com'),
      provider('Yahoo', 'lcs.yahoo.com'),
      provider('AOL', 'sip.oscar.aol.com'),
    ],
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
  return parsed.data;
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
