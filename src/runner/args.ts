/**
 * The runner's command line: `picbot-runner --server URL --enroll TOKEN --labels pool-eu …`.
 * Parsed once into RunnerArgs; a bad flag is a UsageError whose message is printed with the usage.
 */
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENROLL_TOKEN_ENV, RunnerLabel } from '../contracts/runner-api';
import type { ShellKind } from './shell-host';

export const USAGE = `Usage: picbot-runner [options]

The picbot runner agent: enrolls with a picbot server once, then long-polls it for signed jobs
and runs their catalog ops through one shell host per job (the Lync Management Shell through
lync-ops.ps1, or the simulated shell). It only makes outbound HTTP(S) calls.

First start (enrolls and saves the credentials file):
  picbot-runner --server URL --enroll TOKEN --labels pool-eu[,pool-eu2] --shell sim|powershell [options]
Later starts (reuse the credentials file):
  picbot-runner [--config FILE] [options]

  --server URL          the picbot server, e.g. https://picbot.contoso.com (required to enroll;
                        later it overrides the saved URL for this run); plain http:// only to
                        this machine (127.0.0.1, ::1, localhost)
  --enroll TOKEN        a one-time enrollment token from "runner token" in a personal chat with
                        the bot, or "picbot runner-token --labels …" on the server;
                        --enroll - reads it from stdin (one line), so it does not show in ps.
                        PICBOT_ENROLL_TOKEN may carry it instead (used only while not enrolled)
  --labels L1[,L2…]     the deployment labels this runner serves (must be allowed by the token)
  --shell KIND          sim (the simulated Lync shell) or powershell (lync-ops.ps1); saved at enrollment
  --sim-state FILE      simulator state file (default ./data/lync-sim.json); create one with
                        picbot-lync-sim --state FILE --init lync2013
  --fe FQDN             PowerShell: open a remote session to https://FQDN/OcsPowershell
                        (the usual setup from a Windows Server 2016+ management host)
  --name NAME           the name shown by "runners" (default: this host's name)
  --config FILE         the credentials file (default ${defaultConfigPathText()});
                        written readable by this user only (0600)
  --op-timeout SECONDS  how long one op may run before the shell is declared hung (default 300)
  --shell-grace SECONDS how long a closing shell may take before it is killed (default 10)
  --log-level LEVEL     fatal, error, warn, info (default), debug, trace or silent
  -h, --help            print this help

Logs are JSON lines on stderr; tokens never appear in them. SIGINT/SIGTERM: the job in hand is
reported as cancelled (after its current step) and the runner exits 0.
Exit codes: 0 stopped by a signal, 1 bad flags, not enrolled, token refused (401) or enrollment failed.
`;

export class UsageError extends Error {}

export interface RunnerArgs {
  server: string | null;
  /** The enrollment token; '-' means "read it from stdin". */
  enroll: string | null;
  /** Where the token comes from: the command line, stdin, or PICBOT_ENROLL_TOKEN. */
  enrollFrom: 'flag' | 'stdin' | 'env' | null;
  labels: string[] | null;
  shell: ShellKind | null;
  simState: string | null;
  frontEnd: string | null;
  name: string;
  config: string;
  opTimeoutMs: number;
  graceMs: number;
  logLevel: string;
}

/** Where the credentials live unless --config says otherwise. */
export function defaultConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  // Windows: the user's own profile (ACL'd to that account), not ProgramData (readable by all users).
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'picbot', 'runner.json');
  return resolve('data', 'runner.json');
}

function defaultConfigPathText(): string {
  return process.platform === 'win32' ? '%LOCALAPPDATA%\\picbot\\runner.json' : './data/runner.json';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const FQDN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

function seconds(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback * 1000;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`${flag} ${raw}: expected a number of seconds`);
  const value = Number(raw);
  if (value <= 0 || value > max) throw new UsageError(`${flag} ${raw}: expected more than 0 and at most ${max} seconds`);
  return Math.round(value * 1000);
}

/** True for a URL hostname on this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase();
  if (name === 'localhost' || name === '[::1]' || name === '::1') return true;
  // WHATWG URL parsing already turned 127.1 and 0x7f.1 into dotted decimal.
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/**
 * Why this server URL may not be used, or null: plain http:// would carry the runner token and
 * the signed jobs across the network unencrypted, so it is allowed only to this machine.
 */
export function plainHttpProblem(server: string): string | null {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return `${server} is not a URL`;
  }
  if (url.protocol !== 'http:' || isLoopbackHostname(url.hostname)) return null;
  return `${server} is plain http:// to another machine: the runner token would cross the network unencrypted. Use https:// (plain http:// is allowed only to 127.0.0.1, ::1 or localhost)`;
}

/** A server base URL: https, or http to this machine; no query or fragment; the trailing slash is dropped. */
export function parseServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server ${raw}: not a URL (expected e.g. https://picbot.contoso.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server ${raw}: use http:// or https://`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError(`--server ${raw}: give the base URL only (no query, fragment or user)`);
  const insecure = plainHttpProblem(url.toString());
  if (insecure) throw new UsageError(`--server ${raw}: plain http:// is allowed only to this machine (127.0.0.1, ::1 or localhost); the runner token would cross the network unencrypted. Use https://`);
  return url.toString().replace(/\/+$/, '');
}

/** Parses argv (what follows `picbot-runner`); 'help' for -h/--help. Throws UsageError. */
export function parseRunnerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunnerArgs | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        server: { type: 'string' },
        enroll: { type: 'string' },
        labels: { type: 'string' },
        shell: { type: 'string' },
        'sim-state': { type: 'string' },
        fe: { type: 'string' },
        name: { type: 'string' },
        config: { type: 'string' },
        'op-timeout': { type: 'string' },
        'shell-grace': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const str = (k: string) => values[k] as string | undefined;

  const server = str('server') === undefined ? null : parseServerUrl(str('server')!);
  let labels: string[] | null = null;
  if (str('labels') !== undefined) {
    labels = str('labels')!.split(',').map((l) => l.trim().toLowerCase()).filter((l) => l.length > 0);
    if (labels.length === 0) throw new UsageError('--labels: give at least one label, e.g. --labels pool-eu');
    for (const label of labels) {
      if (!RunnerLabel.safeParse(label).success) throw new UsageError(`--labels: "${label}" is not a label (letters, digits, dot, underscore or hyphen, at most 63)`);
    }
  }
  const fromEnv = env[ENROLL_TOKEN_ENV]?.trim() || null;
  const enroll = str('enroll') ?? fromEnv;
  const enrollFrom = str('enroll') === undefined ? (fromEnv === null ? null : 'env') : str('enroll') === '-' ? 'stdin' : 'flag';
  if (enroll !== null) {
    const what = enrollFrom === 'env' ? ENROLL_TOKEN_ENV : '--enroll';
    if (enroll.trim() === '') throw new UsageError('--enroll: the token is empty');
    if (server === null) throw new UsageError(`${what} needs --server URL (the picbot server to enroll with)`);
    if (labels === null) throw new UsageError(`${what} needs --labels (the deployment labels this runner serves)`);
    if (str('shell') === undefined) throw new UsageError(`${what} needs --shell sim|powershell`);
  }
  let shell: ShellKind | null = null;
  if (str('shell') !== undefined) {
    if (str('shell') !== 'sim' && str('shell') !== 'powershell') throw new UsageError(`--shell ${str('shell')}: expected sim or powershell`);
    shell = str('shell') as ShellKind;
  }
  const frontEnd = str('fe') ?? null;
  if (frontEnd !== null && !FQDN.test(frontEnd)) throw new UsageError(`--fe ${frontEnd}: not a Front End FQDN (e.g. fe01.contoso.com)`);
  if (frontEnd !== null && shell === 'sim') throw new UsageError('--fe selects the PowerShell remote session; it does not go with --shell sim');
  const name = (str('name') ?? hostname()).trim();
  if (name.length === 0 || name.length > 128) throw new UsageError('--name: 1 to 128 characters');
  const logLevel = str('log-level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level ${logLevel}: expected one of ${LOG_LEVELS.join(', ')}`);

  return {
    server,
    enroll,
    enrollFrom,
    labels,
    shell,
    simState: str('sim-state') === undefined ? null : resolve(str('sim-state')!),
    frontEnd,
    name,
    config: str('config') === undefined ? defaultConfigPath() : resolve(str('config')!),
    opTimeoutMs: seconds('--op-timeout', str('op-timeout'), 300, 24 * 3600),
    graceMs: seconds('--shell-grace', str('shell-grace'), 10, 3600),
    logLevel,
  };
}
