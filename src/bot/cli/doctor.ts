/**
 * `picbot doctor`: what stands between this installation and a working picbot, one line per
 * check (ok, warn, fail or skip, and why): the configuration, the database and its migrations,
 * the clock against the database's, the runners, the Bot Framework credentials and the audit
 * chain. It changes nothing: the database is opened without migrating (SQLite read-only).
 * README, Command line, lists the checks.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../../shared/clock';
import { doctorTokenEndpoint, loadConfig, type AppConfig } from '../config';
import { openDatabaseReadOnly, pendingStoreMigrations } from '../stores/db';
import { openPostgres } from '../stores/pg-connect';
import { createRunnerStore } from '../stores/runners';
import { sqliteSql, type Sql } from '../stores/sql';
import type { RunnerInfo } from '../workflows/ports';
import { auditLogFor, existingDatabasePath } from './database';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot doctor [--json] [--db FILE]

Checks this installation and prints one line per check: ok, warn, fail or skip, and why.

  configuration   the environment and .env parse (a bad value names its variable)
  database        the database answers and has every migration (else: run picbot db migrate)
  clock           PostgreSQL: this machine's clock against the database's (warn above 2 s,
                  fail above 30 s: each instance times runner leases by its own clock);
                  SQLite: skipped (one process)
  runners         an active runner of every label was seen in the last 10 minutes (else warn)
  bot-framework   production mode: the app's credentials get a token from Entra ID
                  (login.microsoftonline.com); local mode: skipped
  audit           the audit log's keyed hash chain verifies (needs the audit key)

It changes nothing: the database is opened without migrating (a SQLite file read-only).

  --json       print the result as JSON: {"ok", "checks": [{"name", "status", "detail"}]}
  --db FILE    the SQLite file (default: PICBOT_DATABASE_URL, else PICBOT_DB, else ./data/picbot.db)
  -h, --help   print this help

Exit codes: 0 no check failed (warnings allowed), 1 a check failed or bad flags.
`;

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One check's outcome, as printed. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** A runner unseen for longer than this counts as gone. */
export const RUNNER_SEEN_WITHIN_MS = 10 * 60_000;
/** Clock skew against the database: warn above, fail above. */
export const CLOCK_WARN_MS = 2_000;
export const CLOCK_FAIL_MS = 30_000;
/** How long the Entra token request may take. */
export const TOKEN_TIMEOUT_MS = 10_000;

const check = (name: string, status: CheckStatus, detail: string): CheckResult => ({ name, status, detail });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** ok, warn or fail for a clock `skewMs` away from the database's (either direction). */
export function clockSkewStatus(skewMs: number): CheckStatus {
  const off = Math.abs(skewMs);
  if (off > CLOCK_FAIL_MS) return 'fail';
  if (off > CLOCK_WARN_MS) return 'warn';
  return 'ok';
}

/**
 * The runners check: warns when some label of the active (not revoked) runners has no runner
 * seen in the last 10 minutes, or when no runner is active at all.
 */
export function runnersCheck(runners: readonly RunnerInfo[], now: Date): CheckResult {
  const active = runners.filter((r) => r.revokedAt === null);
  if (active.length === 0) return check('runners', 'warn', 'no active runner is enrolled (picbot runner-token makes an enrollment token)');
  const recent = (r: RunnerInfo) => now.getTime() - Date.parse(r.lastSeenAt) <= RUNNER_SEEN_WITHIN_MS;
  const labels = [...new Set(active.flatMap((r) => r.labels))].sort();
  const stale = labels.filter((label) => !active.some((r) => r.labels.includes(label) && recent(r)));
  if (stale.length === 0) {
    return check('runners', 'ok', `${plural(active.filter(recent).length, 'active runner')} seen in the last 10 minutes (labels: ${labels.join(', ')})`);
  }
  const lastSeen = (label: string) => active.filter((r) => r.labels.includes(label)).map((r) => r.lastSeenAt).sort().at(-1);
  return check('runners', 'warn', `no runner seen in the last 10 minutes for ${stale.map((l) => `${l} (last seen ${lastSeen(l)})`).join(', ')}`);
}

/** The database check: it answers, and no migration is pending. */
async function databaseCheck(sql: Sql): Promise<CheckResult> {
  const pending = await pendingStoreMigrations(sql);
  if (pending.length > 0) {
    return check('database', 'fail', `${sql.engine} ${sql.describe}: ${plural(pending.length, 'migration')} pending (first ${pending[0]}): run picbot db migrate`);
  }
  return check('database', 'ok', `${sql.engine} ${sql.describe} answers; schema current`);
}

/** PostgreSQL's clock against this machine's, read halfway through the round trip. */
async function clockCheck(sql: Sql): Promise<CheckResult> {
  if (sql.engine !== 'postgres') return check('clock', 'skip', 'SQLite: one process, timed by this machine\'s clock alone');
  const before = Date.now();
  const row = await sql.get<{ ms: number }>('SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::float8 AS ms');
  const after = Date.now();
  const skew = Math.round(Number(row?.ms) - (before + after) / 2);
  const status = clockSkewStatus(skew);
  const way = skew >= 0 ? 'ahead of' : 'behind';
  const advice = status === 'ok' ? '' : ': runner leases are timed by each instance\'s clock; sync this machine (NTP)';
  return check('clock', status, `the database's clock is ${Math.abs(skew)} ms ${way} this machine's (round trip ${after - before} ms)${advice}`);
}

/** The audit chain, verified under the audit key. */
async function auditCheck(sql: Sql): Promise<CheckResult> {
  const audit = await auditLogFor(sql, sql.describe);
  const result = await audit.verify();
  if (!result.ok) return check('audit', 'fail', `the audit chain is broken at row ${result.seq}: ${result.reason}`);
  return check('audit', 'ok', `the audit chain is intact: ${plural(result.count, 'record')}${result.tip ? `; tip ${result.tip.seq}:${result.tip.hash}` : ''}`);
}

/**
 * Production mode: asks Entra ID for a Bot Framework token with the app's credentials
 * (client_credentials), as the server does before it sends a card.
 */
export async function botCredentialsCheck(config: AppConfig, tokenBase: string, timeoutMs = TOKEN_TIMEOUT_MS): Promise<CheckResult> {
  const name = 'bot-framework';
  const { appId, appPassword, appTenantId, appType } = config.bot;
  if (config.mode === 'local' || appId === null) return check(name, 'skip', 'local mode (no MicrosoftAppId): no Bot Framework credentials to check');
  if (appType === 'UserAssignedMSI' || appPassword === null) return check(name, 'skip', 'UserAssignedMSI: the token comes from the host\'s managed identity and is not checked from here');
  const tenant = appType === 'SingleTenant' ? appTenantId! : 'botframework.com';
  const url = `${tokenBase.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope: 'https://api.botframework.com/.default' });
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    return check(name, 'fail', `the token endpoint ${new URL(url).origin} cannot be reached: ${reason}`);
  }
  const body = (await res.json().catch(() => null)) as { access_token?: unknown; error?: unknown; error_description?: unknown } | null;
  if (res.ok && typeof body?.access_token === 'string') return check(name, 'ok', `app ${appId} (${appType}) got a Bot Framework token from ${new URL(url).origin}`);
  const error = typeof body?.error === 'string' ? body.error : 'no error code';
  const description = typeof body?.error_description === 'string' ? `: ${body.error_description.split(/\r?\n/)[0]!.slice(0, 200)}` : '';
  return check(name, 'fail', `app ${appId} (${appType}) got no token (HTTP ${res.status} ${error}${description}): check MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId`);
}

/** Runs `fn`, turning a throw into a failed check of that name. */
async function guarded(name: string, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await fn();
  } catch (err) {
    return check(name, 'fail', (err as Error).message.replace(/\s+/g, ' ').trim());
  }
}

/** Opens the database without migrating it (SQLite read-only, without checking its schema). */
async function openForDoctor(config: AppConfig, dbFlag: string | undefined): Promise<Sql> {
  if (dbFlag === undefined && config.databaseUrl !== null) return openPostgres(config.databaseUrl, { migrate: 'leave', max: 2 });
  const path = existingDatabasePath(dbFlag ?? config.dbPath);
  return sqliteSql(openDatabaseReadOnly(path, []), path);
}

/** Every check, in order; a check that cannot run (its prerequisite failed) is skipped with why. */
export async function runChecks(dbFlag: string | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let config: AppConfig;
  try {
    config = loadConfig();
    results.push(check('configuration', 'ok', `${config.mode} mode; ${config.databaseUrl !== null ? 'PostgreSQL' : 'SQLite'}`));
  } catch (err) {
    results.push(check('configuration', 'fail', (err as Error).message));
    for (const name of ['database', 'clock', 'runners', 'bot-framework', 'audit']) results.push(check(name, 'skip', 'the configuration does not load'));
    return results;
  }
  let sql: Sql | null = null;
  try {
    sql = await openForDoctor(config, dbFlag);
  } catch (err) {
    results.push(check('database', 'fail', (err as Error).message.replace(/\s+/g, ' ').trim()));
  }
  try {
    if (sql !== null) {
      const db = sql;
      const database = await guarded('database', () => databaseCheck(db));
      results.push(database);
      results.push(await guarded('clock', () => clockCheck(db)));
      if (database.status === 'ok') results.push(await guarded('runners', async () => runnersCheck(await createRunnerStore(db, systemClock).list(), systemClock.now())));
      else results.push(check('runners', 'skip', 'the database check failed'));
    } else {
      results.push(check('clock', 'skip', 'the database cannot be opened'), check('runners', 'skip', 'the database cannot be opened'));
    }
    results.push(await guarded('bot-framework', () => botCredentialsCheck(config, doctorTokenEndpoint())));
    const audit = results.find((r) => r.name === 'database')!;
    if (sql !== null && audit.status === 'ok') {
      const db = sql;
      results.push(await guarded('audit', () => auditCheck(db)));
    } else {
      results.push(check('audit', 'skip', 'the database check failed'));
    }
  } finally {
    await sql?.close();
  }
  return results;
}

/** The text output: one line per check. */
export function formatChecks(results: readonly CheckResult[]): string {
  return results.map((r) => `${r.status.padEnd(4)}  ${r.name.padEnd(13)}  ${r.detail}\n`).join('');
}

/** `picbot doctor` (argv is what follows `doctor`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  let values: { json?: boolean; db?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    io.stderr(`picbot doctor: ${(err as Error).message}\n\n${usage}`);
    return 1;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const results = await runChecks(values.db);
  const ok = results.every((r) => r.status !== 'fail');
  io.stdout(values.json ? `${JSON.stringify({ ok, checks: results })}\n` : formatChecks(results));
  return ok ? 0 : 1;
}
