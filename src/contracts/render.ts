import { canonicalJson } from './canonical';
import { CodedError } from '../shared/errors';
import { CAPABILITY_CMDLETS } from './cmdlet-reference';
import { checkOpCall, isOpName, type OpName } from './ops';
import { PROFILES } from './profiles';
import { SKYPE_PROVIDER_COMMAND, SKYPE_PROVIDER_PARAMS } from './skype-provider';

/**
 * Renders an op call as the PowerShell text a Lync admin would type (for cards, scripts and the
 * audit trail). It is never executed: the runner passes params as data to one fixed cmdlet call.
 *
 * Rules: parameters appear in the cmdlet's documented order (never in the order of the params
 * object, so a step read back from canonical JSON renders the same); booleans are `$true`/`$false`,
 * null is `$null`, numbers are bare; strings are bare words when PowerShell reads them back
 * unchanged, otherwise single-quoted (see `psString`). Common parameters (-ErrorAction, -Force,
 * -Confirm) never appear, even though the runner may add them.
 *
 * The Skype `publicProvider.new` is the exception: when its params equal one profile's documented
 * params exactly, it renders as that profile's documented command, letter for letter
 * (`SKYPE_PROVIDER_COMMAND`). The documented param sets differ between profiles (the three SfB
 * profiles share both params and text), so the params alone select the template and no profile
 * needs to be passed; any other provider (e.g. a rollback re-creating a captured one) renders
 * with the general rules.
 */
type Rendering = {
  cmdlet: string;
  params: ReadonlyArray<readonly [key: string, flag: string]>;
  /** Switch parameters: rendered as the bare flag when true. */
  switches?: ReadonlyArray<readonly [key: string, flag: string]>;
  /** Fixed text after the cmdlet (a read's pipeline); never holds a param value. */
  tail?: string;
};

const policyFlags = [
  ['identity', 'Identity'],
  ['enableFederationAccess', 'EnableFederationAccess'],
  ['enablePublicCloudAccess', 'EnablePublicCloudAccess'],
  ['enablePublicCloudAudioVideoAccess', 'EnablePublicCloudAudioVideoAccess'],
  ['enableOutsideAccess', 'EnableOutsideAccess'],
] as const;

const newProviderParams = [
  ['identity', 'Identity'],
  ['proxyFqdn', 'ProxyFqdn'],
  ['enabled', 'Enabled'],
  ['verificationLevel', 'VerificationLevel'],
  ['iconUrl', 'IconUrl'],
  ['nameDecorationRoutingDomain', 'NameDecorationRoutingDomain'],
  ['nameDecorationExcludedDomainList', 'NameDecorationExcludedDomainList'],
  ['enableSkypeIdRouting', 'EnableSkypeIdRouting'],
  ['enableSkypeDirectorySearch', 'EnableSkypeDirectorySearch'],
] as const;

const RENDERINGS: Record<Exclude<OpName, 'user.externalAccessPolicy' | 'capabilities.get'>, Rendering> = {
  'server.version': { cmdlet: 'Get-CsServerVersion', params: [] },
  'topology.get': { cmdlet: 'Get-CsService', params: [], tail: '-EdgeServer' },
  'site.list': { cmdlet: 'Get-CsSite', params: [] },
  'externalAccessPolicy.holders': { cmdlet: 'Get-CsUser', params: [], tail: "-Filter 'ExternalAccessPolicy -ne $null' | Group-Object ExternalAccessPolicy" },
  'publicProvider.probe': { cmdlet: 'New-CsPublicProvider', params: newProviderParams, tail: '-InMemory' },
  'accessEdge.get': { cmdlet: 'Get-CsAccessEdgeConfiguration', params: [] },
  'sipDomain.list': { cmdlet: 'Get-CsSipDomain', params: [] },
  'publicProvider.list': { cmdlet: 'Get-CsPublicProvider', params: [] },
  'hostingProvider.list': { cmdlet: 'Get-CsHostingProvider', params: [] },
  'externalAccessPolicy.list': { cmdlet: 'Get-CsExternalAccessPolicy', params: [] },
  'clientPolicy.get': { cmdlet: 'Get-CsClientPolicy', params: [['identity', 'Identity']] },
  'replication.status': { cmdlet: 'Get-CsManagementStoreReplicationStatus', params: [] },
  'accessEdge.set': {
    cmdlet: 'Set-CsAccessEdgeConfiguration',
    params: [
      ['allowFederatedUsers', 'AllowFederatedUsers'],
      ['enablePartnerDiscovery', 'EnablePartnerDiscovery'],
      ['enableArchivingDisclaimer', 'EnableArchivingDisclaimer'],
    ],
    switches: [['useDnsSrvRouting', 'UseDnsSrvRouting']],
  },
  'externalAccessPolicy.new': { cmdlet: 'New-CsExternalAccessPolicy', params: policyFlags },
  'externalAccessPolicy.set': { cmdlet: 'Set-CsExternalAccessPolicy', params: policyFlags },
  'externalAccessPolicy.remove': { cmdlet: 'Remove-CsExternalAccessPolicy', params: [['identity', 'Identity']] },
  'externalAccessPolicy.grant': {
    cmdlet: 'Grant-CsExternalAccessPolicy',
    params: [['user', 'Identity'], ['policyName', 'PolicyName']],
  },
  'publicProvider.new': { cmdlet: 'New-CsPublicProvider', params: newProviderParams },
  'publicProvider.set': {
    cmdlet: 'Set-CsPublicProvider',
    params: [['identity', 'Identity'], ['enabled', 'Enabled'], ['verificationLevel', 'VerificationLevel']],
  },
  'publicProvider.remove': { cmdlet: 'Remove-CsPublicProvider', params: [['identity', 'Identity']] },
  'clientPolicy.set': {
    cmdlet: 'Set-CsClientPolicy',
    params: [['identity', 'Identity'], ['disablePICPromptDisplayName', 'DisablePICPromptDisplayName']],
  },
};

/** canonical JSON of documented params → documented text (built once). */
const TEMPLATES = new Map<string, string>(
  PROFILES.map((p) => [canonicalJson(SKYPE_PROVIDER_PARAMS[p]), SKYPE_PROVIDER_COMMAND[p]]),
);

/** The PowerShell text of an op call. Throws CodedError('bad_request') for an op or params the catalog refuses. */
export function renderOp(op: string, params: Record<string, unknown>): string {
  const checked = checkOpCall({ op, params });
  if (!checked.ok) throw new CodedError('bad_request', `rendering ${op}: ${checked.reason}`);
  const p = checked.params;
  if (checked.op === 'publicProvider.new') {
    const template = TEMPLATES.get(canonicalJson(p));
    if (template) return template;
  }
  if (checked.op === 'capabilities.get') {
    return `${CAPABILITY_CMDLETS.map((c) => `(Get-Command ${c}).Parameters.Keys`).join('; ')}`;
  }
  if (checked.op === 'user.externalAccessPolicy') {
    const users = (p.users as string[]).map(psString);
    const select = 'Select-Object SipAddress, ExternalAccessPolicy';
    // One user reads as the docs write it; several go through one pipeline so the text stays one line.
    return users.length === 1
      ? `Get-CsUser -Identity ${users[0]} | ${select}`
      : `@(${users.join(', ')}) | ForEach-Object { Get-CsUser -Identity $_ } | ${select}`;
  }
  const r = RENDERINGS[checked.op];
  const parts = [r.cmdlet];
  for (const [key, flag] of r.params) {
    if (p[key] !== undefined) parts.push(`-${flag} ${psValue(p[key])}`);
  }
  for (const [key, flag] of r.switches ?? []) {
    if (p[key] === true) parts.push(`-${flag}`);
  }
  if (r.tail) parts.push(r.tail);
  return parts.join(' ');
}

/**
 * The cmdlet a write op (or the provider probe) calls and the parameter names it sends with
 * these params, as the cmdlet spells them. Null for the read ops that are not one cmdlet call.
 */
export function cmdletCall(op: string, params: Record<string, unknown>): { cmdlet: string; parameters: string[] } | null {
  if (!isOpName(op) || op === 'capabilities.get' || op === 'user.externalAccessPolicy') return null;
  const r = RENDERINGS[op];
  const parameters = [
    ...r.params.filter(([key]) => params[key] !== undefined).map(([, flag]) => flag),
    ...(r.switches ?? []).filter(([key]) => params[key] === true).map(([, flag]) => flag),
  ];
  if (op === 'publicProvider.probe') parameters.push('InMemory');
  return { cmdlet: r.cmdlet, parameters };
}

/** A value as a PowerShell argument: `$true`/`$false`, `$null`, a bare number, or `psString`. */
export function psValue(value: unknown): string {
  if (value === null) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return psString(value);
  throw new CodedError('bad_request', `rendering a PowerShell value: unsupported ${typeof value}`);
}

// A bare word PowerShell reads back as the same string in argument mode: starts with a letter or
// underscore (a digit could make it a number such as 1kb; '-' a parameter; '@', '$', '(' syntax)
// and holds no space, quote, '$', '`', ';', ',', '#', '@' or bracket.
const BARE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
// Windows PowerShell treats the typographic single quotes like ' (escape all of them by doubling).
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A string as a PowerShell argument: bare when safe, else single-quoted with every quote doubled.
 * A string holding control characters (which a single-quoted literal would carry raw, breaking a
 * line comment in a script) is double-quoted with backtick escapes instead.
 */
export function psString(value: string): string {
  if (BARE.test(value)) return value;
  if (!CONTROL.test(value)) return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
  const named: Record<string, string> = { '\0': '`0', '\x07': '`a', '\b': '`b', '\f': '`f', '\n': '`n', '\r': '`r', '\t': '`t', '\v': '`v' };
  let out = '"';
  for (const ch of value) {
    if (named[ch]) out += named[ch];
    else if (CONTROL.test(ch)) out += `$([char]0x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')})`;
    else if ('`$"\u201C\u201D\u201E'.includes(ch)) out += `\`${ch}`;
    else out += ch;
  }
  return `${out}"`;
}
