/**
 * The bot's configuration: the ONLY reader of process.env (and of `.env`, through dotenv).
 * Every variable is parsed once by zod; a bad or missing value stops the start with one line that
 * names the variable. Production mode is selected by `MicrosoftAppId`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { RunnerLabel } from '../contracts/runner-api';
import { CodedError } from '../shared/errors';

export type Mode = 'local' | 'production';
export type AppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A DNS server to ask instead of the system resolver (PICBOT_DNS_SERVERS). */
export interface DnsServer {
  host: string;
  port: number;
}

/** Bot Framework identity, in botbuilder's own setting names' terms; all null in local mode. */
export interface BotIdentity {
  appId: string | null;
  appPassword: string | null;
  appTenantId: string | null;
  appType: AppType | null;
  /** Overrides where inbound channel tokens' signing keys come from (tests run their own). */
  openIdMetadataUrl: string | null;
}

/** The parsed configuration every part of the server receives. */
export interface AppConfig {
  mode: Mode;
  host: string;
  port: number;
  dbPath: string;
  /** PICBOT_DATABASE_URL: PostgreSQL shared by several instances; null: the SQLite file at dbPath. */
  databaseUrl: string | null;
  logLevel: LogLevel;
  /** Entra object ids (lower-cased) of admins and approvers; empty = not configured. */
  admins: string[];
  approvers: string[];
  /**
   * The same people keyed by tenant: an entry `TENANT:OBJECT` names its tenant, a bare object id
   * means the bot's own tenant (MicrosoftAppTenantId) in production and any tenant in local mode.
   */
  roleEntries: { admins: RoleEntry[]; approvers: RoleEntry[] };
  /** Bot Framework channels served; null = every channel (local mode without PICBOT_CHANNELS). */
  channels: string[] | null;
  /** Entra tenants served (lower-cased); null = every tenant (local mode without PICBOT_TENANTS). */
  tenants: string[] | null;
  /** The key file of the audit chain's HMAC (PICBOT_AUDIT_KEY_FILE); `defaulted` when not configured. */
  auditKeyFile: { path: string; defaulted: boolean };
  /** The Ed25519 job-signing key file (PICBOT_SIGNING_KEY_FILE). */
  signingKeyFile: { path: string; defaulted: boolean };
  /** Server-side preflight may probe loopback, link-local and private Access Edge addresses. */
  preflightAllowPrivate: boolean;
  /** Empty = the system resolver. */
  dnsServers: DnsServer[];
  preflightTimeoutMs: number;
  /** Conversation id where approval cards go; null = the conversation the plan was asked in. */
  approvalsConversation: string | null;
  approvalTtlHours: number;
  approvalQuorum: number;
  /** How long the discovery card waits for a runner to lease the job. */
  discoveryTimeoutSeconds: number;
  /** Minutes between drift checks of every watched target; 0 = no periodic checks (docs/drift.md). */
  driftIntervalMinutes: number;
  /** A runner's lease on a job; it heartbeats every third of it and starts no step with less than a third left. */
  leaseSeconds: number;
  playgroundPort: number;
  /** The public host name of a production deployment (used by packaging); null when unset. */
  publicHost: string | null;
  simStatePath: string;
  /** The runner label the intake's target card offers (npm start sets its simulated runner's); null = none. */
  defaultTargetLabel: string | null;
  /** Whether GET /metrics answers: PICBOT_METRICS, by default on only when `host` is loopback. */
  metrics: boolean;
  bot: BotIdentity;
}

/** One role entry: an Entra object id, in one tenant (`tenantId`) or in the bot's own (null). */
export interface RoleEntry {
  tenantId: string | null;
  objectId: string;
}

/** The environment as a plain record (process.env, a test's table, or .env merged in). */
export type Env = Record<string, string | undefined>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const;

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const guidList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(GUID, 'each entry must be an Entra object id (a GUID)')))
  .transform((ids) => ids.map((id) => id.toLowerCase()));

/** PICBOT_ADMINS / PICBOT_APPROVERS: object ids, each optionally prefixed by its tenant (`TENANT:OBJECT`). */
const roleList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'each entry must be an Entra object id (a GUID), optionally prefixed by its tenant id and a colon')))
  .transform((entries): RoleEntry[] =>
    entries.map((entry) => {
      const [first, second] = entry.toLowerCase().split(':');
      return second === undefined ? { tenantId: null, objectId: first! } : { tenantId: first!, objectId: second };
    }),
  );

const channelList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'each entry must be a Bot Framework channel id such as msteams or webchat')).min(1, 'must list at least one channel'));

const flag = z.enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' }).transform((v) => v === '1' || v === 'true');

const hostName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((h) => isIP(h) !== 0 || /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(h), 'must be an IP address or a host name');

const dnsServerList = z.string().transform((s, ctx) => {
  const out: DnsServer[] = [];
  for (const raw of s.split(',').map((x) => x.trim()).filter((x) => x.length > 0)) {
    const server = parseDnsServer(raw);
    if (!server) {
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not ip[:port] (IPv6 with a port as [ip]:port)` });
      return z.NEVER;
    }
    out.push(server);
  }
  return out;
});

function parseDnsServer(raw: string): DnsServer | null {
  let host = raw;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
    if (isIP(host) !== 6) return null;
  } else if (isIP(raw) === 6) {
    host = raw;
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(raw);
    if (!m || isIP(m[1]!) !== 4) return null;
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  return port >= 1 && port <= 65535 ? { host, port } : null;
}

const url = z.url({ message: 'must be an absolute URL' });
/** postgres://USER:PASSWORD@HOST:PORT/DATABASE; the message never repeats the value (it holds a password). */
const postgresUrl = z.string().trim().refine((raw) => {
  try {
    const u = new URL(raw);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL with a host (postgres://USER:PASSWORD@HOST:5432/DATABASE)');
const text = z.string().trim().min(1, 'must not be empty');

/** One schema per variable, so an error names exactly one variable. */
const VARIABLES = {
  MicrosoftAppId: z.string().trim().regex(GUID, 'must be the bot\'s Microsoft App ID (a GUID)'),
  MicrosoftAppPassword: text,
  MicrosoftAppTenantId: z.string().trim().regex(GUID, 'must be the Entra tenant id (a GUID)'),
  MicrosoftAppType: z.enum(APP_TYPES, { message: `must be one of ${APP_TYPES.join(', ')}` }),
  ToBotFromChannelOpenIdMetadataUrl: url,
  HOST: hostName,
  PORT: intIn(0, 65535),
  PICBOT_DB: text,
  PICBOT_DATABASE_URL: postgresUrl,
  PICBOT_LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
  PICBOT_ADMINS: roleList,
  PICBOT_APPROVERS: roleList,
  PICBOT_CHANNELS: channelList,
  PICBOT_TENANTS: guidList,
  PICBOT_AUDIT_KEY_FILE: text,
  PICBOT_SIGNING_KEY_FILE: text,
  PICBOT_PREFLIGHT_ALLOW_PRIVATE: flag,
  PICBOT_DNS_SERVERS: dnsServerList,
  PICBOT_PREFLIGHT_TIMEOUT_MS: intIn(100, 600_000),
  PICBOT_APPROVALS_CONVERSATION: text,
  PICBOT_APPROVAL_TTL_HOURS: intIn(1, 24 * 365),
  PICBOT_APPROVAL_QUORUM: intIn(1, 50),
  PICBOT_DISCOVERY_TIMEOUT_SECONDS: intIn(5, 3600),
  PICBOT_DRIFT_INTERVAL_MINUTES: intIn(0, 7 * 24 * 60),
  PICBOT_LEASE_SECONDS: intIn(5, 600),
  PICBOT_PLAYGROUND_PORT: intIn(1, 65535),
  PICBOT_PUBLIC_HOST: hostName,
  PICBOT_SIM_STATE: text,
  PICBOT_DEFAULT_TARGET: z.string().trim().pipe(RunnerLabel),
  PICBOT_METRICS: flag,
} as const;

export type VariableName = keyof typeof VARIABLES;
/** Every variable the server reads, in README order. */
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];
/**
 * What production mode (MicrosoftAppId set) cannot start without; parseConfig names the missing
 * one. MicrosoftAppPassword may be left out only with MicrosoftAppType=UserAssignedMSI.
 */
export const PRODUCTION_REQUIRED_VARIABLES: readonly VariableName[] = [
  'MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppTenantId', 'MicrosoftAppType', 'PICBOT_ADMINS', 'PICBOT_APPROVERS',
];

type Parsed = { [K in VariableName]?: z.output<(typeof VARIABLES)[K]> };

/** A configuration error: the message is the one line printed before exiting 1. */
export class ConfigError extends CodedError {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super('config_invalid', `${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

function parseVariables(env: Env): Parsed {
  const out: Parsed = {};
  for (const name of VARIABLE_NAMES) {
    const raw = env[name];
    // An empty value counts as unset, as in most .env tooling.
    if (raw === undefined || raw.trim() === '') continue;
    const result = VARIABLES[name].safeParse(raw);
    if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? 'invalid value');
    (out as Record<string, unknown>)[name] = result.data;
  }
  return out;
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Parses an environment table into AppConfig; throws ConfigError naming the first bad variable.
 * Pure apart from path resolution, so tests feed it tables.
 */
export function parseConfig(env: Env): AppConfig {
  const v = parseVariables(env);
  const production = v.MicrosoftAppId !== undefined;
  if (production) {
    if (v.MicrosoftAppType === undefined) throw new ConfigError('MicrosoftAppType', `required when MicrosoftAppId is set (one of ${APP_TYPES.join(', ')})`);
    if (v.MicrosoftAppType !== 'UserAssignedMSI' && v.MicrosoftAppPassword === undefined)
      throw new ConfigError('MicrosoftAppPassword', `required when MicrosoftAppType is ${v.MicrosoftAppType}`);
    if (v.MicrosoftAppTenantId === undefined) throw new ConfigError('MicrosoftAppTenantId', 'required when MicrosoftAppId is set');
    if (!v.PICBOT_ADMINS?.length) throw new ConfigError('PICBOT_ADMINS', 'required when MicrosoftAppId is set (comma-separated Entra object ids)');
    if (!v.PICBOT_APPROVERS?.length) throw new ConfigError('PICBOT_APPROVERS', 'required when MicrosoftAppId is set (comma-separated Entra object ids)');
  } else if (v.HOST !== undefined && !isLoopbackHost(v.HOST)) {
    // Local mode has no JWT check, so it must not be reachable from other machines.
    throw new ConfigError('HOST', `${v.HOST} is not a loopback address; local mode (no MicrosoftAppId) binds loopback only`);
  }
  if (production && v.ToBotFromChannelOpenIdMetadataUrl !== undefined && !v.ToBotFromChannelOpenIdMetadataUrl.toLowerCase().startsWith('https:')) {
    // The token signing keys come from here: over plain http anyone on the path could swap them.
    throw new ConfigError('ToBotFromChannelOpenIdMetadataUrl', 'must be an https:// URL in production');
  }
  if (v.PICBOT_DATABASE_URL !== undefined) {
    // Instances sharing one database must sign and chain with the same keys: mounted files, never
    // generated by one instance (docs/deploy.md, Scale-out on PostgreSQL).
    if (v.PICBOT_AUDIT_KEY_FILE === undefined) throw new ConfigError('PICBOT_AUDIT_KEY_FILE', 'required when PICBOT_DATABASE_URL is set (the same audit key file on every instance; picbot keys init creates one)');
    if (v.PICBOT_SIGNING_KEY_FILE === undefined) throw new ConfigError('PICBOT_SIGNING_KEY_FILE', 'required when PICBOT_DATABASE_URL is set (the same signing key file on every instance; picbot keys init creates one)');
  }
  const dbPath = resolve(v.PICBOT_DB ?? './data/picbot.db');
  const beside = (name: string) => resolve(dirname(dbPath), name);
  const roles = { admins: v.PICBOT_ADMINS ?? [], approvers: v.PICBOT_APPROVERS ?? [] };
  const objectIds = (entries: RoleEntry[]) => [...new Set(entries.map((e) => e.objectId))];
  const host = v.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  return {
    mode: production ? 'production' : 'local',
    host,
    port: v.PORT ?? 3978,
    dbPath,
    databaseUrl: v.PICBOT_DATABASE_URL ?? null,
    logLevel: v.PICBOT_LOG_LEVEL ?? 'info',
    admins: objectIds(roles.admins),
    approvers: objectIds(roles.approvers),
    roleEntries: roles,
    // Production serves Teams only: the Bot Service signs tokens for every channel the bot is
    // connected to (Web Chat, Direct Line), and those carry whatever user ids their client claims.
    channels: v.PICBOT_CHANNELS ?? (production ? ['msteams'] : null),
    tenants: production ? [...new Set([v.MicrosoftAppTenantId!.toLowerCase(), ...(v.PICBOT_TENANTS ?? [])])] : (v.PICBOT_TENANTS ?? null),
    auditKeyFile: v.PICBOT_AUDIT_KEY_FILE !== undefined ? { path: resolve(v.PICBOT_AUDIT_KEY_FILE), defaulted: false } : { path: beside('audit.key'), defaulted: true },
    signingKeyFile: v.PICBOT_SIGNING_KEY_FILE !== undefined ? { path: resolve(v.PICBOT_SIGNING_KEY_FILE), defaulted: false } : { path: beside('signing.key'), defaulted: true },
    preflightAllowPrivate: v.PICBOT_PREFLIGHT_ALLOW_PRIVATE ?? false,
    dnsServers: v.PICBOT_DNS_SERVERS ?? [],
    preflightTimeoutMs: v.PICBOT_PREFLIGHT_TIMEOUT_MS ?? 5000,
    approvalsConversation: v.PICBOT_APPROVALS_CONVERSATION ?? null,
    approvalTtlHours: v.PICBOT_APPROVAL_TTL_HOURS ?? 72,
    approvalQuorum: v.PICBOT_APPROVAL_QUORUM ?? 1,
    discoveryTimeoutSeconds: v.PICBOT_DISCOVERY_TIMEOUT_SECONDS ?? 120,
    driftIntervalMinutes: v.PICBOT_DRIFT_INTERVAL_MINUTES ?? 60,
    leaseSeconds: v.PICBOT_LEASE_SECONDS ?? 60,
    playgroundPort: v.PICBOT_PLAYGROUND_PORT ?? 56150,
    publicHost: v.PICBOT_PUBLIC_HOST ?? null,
    simStatePath: resolve(v.PICBOT_SIM_STATE ?? './data/lync-sim.json'),
    defaultTargetLabel: v.PICBOT_DEFAULT_TARGET ?? null,
    // Only the machine itself reaches a loopback address; elsewhere /metrics is asked for.
    metrics: v.PICBOT_METRICS ?? isLoopbackHost(host),
    bot: {
      appId: production ? v.MicrosoftAppId! : null,
      appPassword: production ? (v.MicrosoftAppPassword ?? null) : null,
      appTenantId: production ? v.MicrosoftAppTenantId! : null,
      appType: production ? v.MicrosoftAppType! : null,
      openIdMetadataUrl: v.ToBotFromChannelOpenIdMetadataUrl ?? null,
    },
  };
}

/**
 * The process environment with `.env` (in the working directory, if present) underneath it:
 * a variable set in the real environment wins over the file.
 */
export function readEnvironment(cwd: string = process.cwd()): Env {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

/**
 * Where the audit key file of the database at `dbPath` is, for the CLI commands that take --db:
 * PICBOT_AUDIT_KEY_FILE when set, else audit.key beside that database (as the server defaults).
 * Reads only this one variable, so an unrelated bad setting does not stop `audit verify`.
 */
export function auditKeyFileFor(dbPath: string, env: Env = readEnvironment()): { path: string; defaulted: boolean } {
  const raw = env.PICBOT_AUDIT_KEY_FILE?.trim();
  return raw ? { path: resolve(raw), defaulted: false } : { path: resolve(dirname(dbPath), 'audit.key'), defaulted: true };
}

/** Where the signing key file of the database at `dbPath` is, for the CLI (as auditKeyFileFor). */
export function signingKeyFileFor(dbPath: string, env: Env = readEnvironment()): { path: string; defaulted: boolean } {
  const raw = env.PICBOT_SIGNING_KEY_FILE?.trim();
  return raw ? { path: resolve(raw), defaulted: false } : { path: resolve(dirname(dbPath), 'signing.key'), defaulted: true };
}

/** Reads and parses the configuration of this process; throws ConfigError. */
export function loadConfig(overrides: Env = {}): AppConfig {
  return parseConfig({ ...readEnvironment(), ...overrides });
}

/** Where `picbot doctor` asks Entra ID for a token: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token. */
export const ENTRA_LOGIN_BASE = 'https://login.microsoftonline.com';

/**
 * The base of the token endpoint `picbot doctor` asks (the tenant and /oauth2/v2.0/token follow):
 * Entra ID's, unless PICBOT_DOCTOR_TOKEN_URL names another. That variable is a testing aid only
 * (the tests run a loopback fake token endpoint); the server never reads it.
 */
export function doctorTokenEndpoint(env: Env = readEnvironment()): string {
  const raw = env.PICBOT_DOCTOR_TOKEN_URL?.trim();
  if (!raw) return ENTRA_LOGIN_BASE;
  const parsed = url.safeParse(raw);
  if (!parsed.success) throw new ConfigError('PICBOT_DOCTOR_TOKEN_URL', 'must be an absolute URL (a testing aid: leave it unset)');
  return parsed.data;
}
