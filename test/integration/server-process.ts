/**
 * The real server as a child process (`node dist/bot/cli.js serve`, what `npm run serve` runs) on
 * a fixed loopback port and SQLite file, so a test can kill -9 it and start it again where the
 * runner looks for it. Chat goes over real HTTP with the loopback Bot Connector emulator; what the
 * server stored is read from its SQLite file (read-only, beside the running server: WAL allows it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { join, resolve } from 'node:path';
import { startFakeConnector, type FakeConnector } from '../fakes/connector';
import { auditLogFor } from '../../src/bot/cli/database';
import { openDatabase } from '../../src/bot/stores/db';
import { createDraftStore } from '../../src/bot/stores/drafts';
import { createRequestStore } from '../../src/bot/stores/requests';
import { sqliteSql, type Sql } from '../../src/bot/stores/sql';
import { requestFixture } from '../fixtures/load';
import type { ClickResult, TurnResult, Who } from './harness';
import { DANA, invoke, message, personalChat, type TeamsUser } from './teams-activities';

export const CLI = resolve(__dirname, '..', '..', 'dist', 'bot', 'cli.js');

export interface ServerProcess {
  url: string;
  port: number;
  dbPath: string;
  connector: FakeConnector;
  /** Starts the server (again) and resolves when it listens. */
  start(): Promise<void>;
  /** kill -9; resolves when the process is gone. */
  crash(): Promise<void>;
  /** SIGTERM; resolves with the exit code (null when a signal ended it) when the process is gone. */
  stop(): Promise<number | null>;
  readonly running: boolean;
  say(text: string, who?: Who): Promise<TurnResult>;
  click(verb: string, data: unknown, who?: Who & { replyToId?: string | null }): Promise<ClickResult>;
  /** A query on the server's SQLite file, read-only. */
  query<T>(sql: string, ...args: unknown[]): T[];
  /** The audit chain as `picbot audit verify` checks it. */
  verifyAudit(): Promise<{ ok: boolean; count?: number; reason?: string }>;
  /** `picbot runner-token` on the server's database. */
  runnerToken(labels: string[]): string;
  /** Every log line of every run so far (stderr). */
  logs(): string;
  close(): Promise<void>;
}

/**
 * `databaseUrl`: the server uses this PostgreSQL (PICBOT_DATABASE_URL; `env` must then name the
 * key files) instead of a SQLite file, and `query`/`verifyAudit` are not available (test/pg reads
 * the database itself).
 */
export async function serverProcess(options: { dir: string; port: number; env?: Record<string, string>; databaseUrl?: string }): Promise<ServerProcess> {
  const dbPath = join(options.dir, 'picbot.db');
  // Created and migrated before the first start, so the test can seed and read it at once.
  if (options.databaseUrl === undefined) openDatabase(dbPath).close();
  const connector = await startFakeConnector();
  const url = `http://127.0.0.1:${options.port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<number | null> = Promise.resolve(null);
  let log = '';
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PICBOT_') && !k.startsWith('Microsoft') && k !== 'PORT' && k !== 'HOST') env[k] = v;
  Object.assign(env, { HOST: '127.0.0.1', PORT: String(options.port), PICBOT_DB: dbPath, PICBOT_LOG_LEVEL: 'info', ...options.env });
  if (options.databaseUrl !== undefined) env.PICBOT_DATABASE_URL = options.databaseUrl;

  async function post(activity: unknown): Promise<TurnResult> {
    const before = connector.calls.length;
    const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: res.status, body, calls: connector.calls.slice(before) };
  }
  const whoOf = (who: Who = {}) => ({ user: who.user ?? DANA, conversation: who.conversation ?? personalChat(who.user ?? DANA) });

  const server: ServerProcess = {
    url,
    port: options.port,
    dbPath,
    connector,
    get running() {
      return child !== null;
    },
    async start() {
      if (child) throw new Error('the server is already running');
      const proc = spawn(process.execPath, [CLI, 'serve'], { cwd: options.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      exited = new Promise((r) => proc.once('exit', (code) => {
        child = null;
        r(code);
      }));
      await new Promise<void>((ok, fail) => {
        let partial = '';
        proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
          log += d;
          partial += d;
          if (partial.includes('"msg":"picbot listening"')) {
            partial = '';
            ok();
          }
          partial = partial.slice(-2000);
        });
        void exited.then(() => fail(new Error(`the server exited before it listened:\n${log.slice(-3000)}`)));
      });
    },
    async crash() {
      child?.kill('SIGKILL');
      await exited;
    },
    stop() {
      child?.kill('SIGTERM');
      return exited;
    },
    say(text, who) {
      const { user, conversation } = whoOf(who);
      return post(message(connector.serviceUrl, conversation, user, text));
    },
    async click(verb, data, who = {}) {
      const { user, conversation } = whoOf(who);
      const result = await post(invoke(connector.serviceUrl, conversation, user, verb, data, who.replyToId ?? null));
      const value = (result.body as { value?: unknown } | null)?.value;
      return { ...result, card: value && typeof value === 'object' ? (value as Record<string, unknown>) : null };
    },
    query<T>(sql: string, ...args: unknown[]): T[] {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        return db.prepare(sql).all(...args) as T[];
      } finally {
        db.close();
      }
    },
    async verifyAudit() {
      const db = sqliteSql(openDatabase(dbPath), dbPath);
      try {
        return await (await auditLogFor(db, dbPath)).verify();
      } finally {
        await db.close();
      }
    },
    runnerToken(labels) {
      const where = options.databaseUrl === undefined ? ['--db', dbPath] : [];
      const r = spawnSync(process.execPath, [CLI, 'runner-token', '--labels', labels.join(','), ...where], { encoding: 'utf8', env, cwd: options.dir });
      if (r.status !== 0) throw new Error(`picbot runner-token: ${r.stderr}`);
      return r.stdout.trim();
    },
    logs: () => log,
    async close() {
      await server.crash();
      await connector.close();
    },
  };
  return server;
}

/** Resolves when `check` returns a value (polled every 100 ms); nothing here measures time. */
export async function until<T>(check: () => T | null | undefined | false | Promise<T | null | undefined | false>, what: string, limitMs = 120_000): Promise<T> {
  const give = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > give) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stores a per-user request of `owner` at the intake's review step, as a finished intake leaves
 * it, in the server's database before the server starts.
 */
export async function seedUserRequest(dbPath: string, requestId: string, owner: TeamsUser): Promise<void> {
  const db = sqliteSql(openDatabase(dbPath), dbPath);
  try {
    await seedUserRequestIn(db, requestId, owner);
  } finally {
    await db.close();
  }
}

/** seedUserRequest on an open database (either engine). */
export async function seedUserRequestIn(db: Sql, requestId: string, owner: TeamsUser): Promise<void> {
  const at = new Date().toISOString();
  const request = requestFixture('user');
  const who = { ownerId: owner.aadObjectId.toLowerCase(), ownerName: owner.name };
  await createDraftStore(db).create({ id: requestId, ...who, targetLabel: request.target.label, position: 'review', data: request, createdAt: at, updatedAt: at });
  await createRequestStore(db).save({ id: requestId, ...who, request, status: 'draft', submittedOn: null, activeOn: null, createdAt: at, updatedAt: at });
}
