/**
 * Starts the real server in-process on a free loopback port, with a temporary SQLite file and the
 * loopback Bot Connector emulator, and talks to it over real HTTP the way Teams does.
 *
 *   const h = await startHarness();                 // local mode, picbot's own areas (src/bot/compose.ts)
 *   const r = await h.say('start');                  // Dana, personal chat
 *   const card = cardOf(r.calls[0]);                 // what reached the connector
 *   const c = await h.click('intake.target.submit', {...}, { replyToId: r.calls[0].activityId });
 *   c.card                                           // the invoke response (next card)
 *   await h.restart();                               // same SQLite file and connector
 *   await h.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateHandlers } from '../../src/bot/app-deps';
import type { App } from '../../src/bot/compose';
import type { Preflight } from '../../src/bot/preflight/port';
import { parseConfig, type Env } from '../../src/bot/config';
import { startServer, type RunningServer } from '../../src/bot/main';
import type { RunnerGatewayOptions } from '../../src/bot/runner-gateway';
import type { TeamsOptions } from '../../src/bot/teams';
import type { Clock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { withDeadline } from '../fakes/deadline';
import { startFakeConnector, type ConnectorCall, type FakeConnector } from '../fakes/connector';
import { botAdded, DANA, invoke, message, personalChat, type TeamsConversation, type TeamsUser } from './teams-activities';

export interface HarnessOptions {
  /** Extra environment variables for the config (e.g. production settings). */
  env?: Env;
  /** Handler sets the router serves instead of picbot's own areas (src/bot/compose.ts). */
  areas?: CreateHandlers[];
  /** Preflight's checks (a loopback DNS and TLS lab); default from the configuration. */
  preflight?: Preflight;
  teams?: TeamsOptions;
  clock?: Clock;
  /** An existing SQLite file to use (default: a fresh one in a temp dir, removed on close). */
  dbPath?: string;
  /** Sent as Authorization on every post unless the post says otherwise (production tests). */
  authorization?: () => Promise<string>;
  /** Runner gateway tuning (a short lease makes runners heartbeat, and so hear a cancel, sooner). */
  runnerGateway?: RunnerGatewayOptions;
}

export interface PostOptions {
  /** Authorization header; null sends none. Default: the harness's `authorization`. */
  authorization?: string | null;
}

export interface TurnResult {
  status: number;
  /** The parsed JSON answer, or null when the answer had no body. */
  body: unknown;
  /** What reached the connector while this request ran (sends, replies, updates). */
  calls: ConnectorCall[];
}

export interface ClickResult extends TurnResult {
  /** The card of the invoke response (`body.value`), or null. */
  card: Record<string, unknown> | null;
}

export interface Who {
  user?: TeamsUser;
  conversation?: TeamsConversation;
}

export interface Harness {
  url: string;
  dbPath: string;
  connector: FakeConnector;
  server: RunningServer;
  /** Posts any activity (or raw text with a content type) to /api/messages. */
  post(activity: unknown, options?: PostOptions & { raw?: string; contentType?: string }): Promise<TurnResult>;
  /** A text message (channels: with the @mention, as Teams sends it). Default: Dana, personal chat. */
  say(text: string, who?: Who, options?: PostOptions): Promise<TurnResult>;
  /** An Action.Execute click on the card message `replyToId`. */
  click(verb: string, data: unknown, who?: Who & { replyToId?: string | null }, options?: PostOptions): Promise<ClickResult>;
  /** The bot is added to a conversation. */
  added(who?: Who, options?: PostOptions): Promise<TurnResult>;
  /** Stops the server and starts it again on the same SQLite file and connector (a new port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** "invoke plan.approve", "message \"start\"", … for a timeout message. */
function describeActivity(activity: unknown, raw: string | undefined): string {
  if (raw !== undefined) return `a raw body of ${raw.length} characters`;
  const a = (activity ?? {}) as { type?: unknown; text?: unknown; value?: { action?: { verb?: unknown } } };
  if (a.type === 'invoke') return `invoke ${String(a.value?.action?.verb ?? '?')}`;
  if (a.type === 'message') return `message ${JSON.stringify(String(a.text ?? '')).slice(0, 80)}`;
  return `activity of type ${String(a.type ?? '?')}`;
}

/** picbot's own areas of a harness server (its plan and drift parts); fails for a test-area harness. */
export function appOf(h: Harness): App {
  const app = h.server.app;
  if (!app) throw new Error('this harness serves test areas, not picbot\'s own (no `areas` option for that)');
  return app;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tempDir = options.dbPath ? null : mkdtempSync(join(tmpdir(), 'picbot-test-'));
  const dbPath = options.dbPath ?? join(tempDir!, 'picbot.db');
  const connector = await startFakeConnector();
  const env: Env = { HOST: '127.0.0.1', PORT: '0', PICBOT_DB: dbPath, PICBOT_LOG_LEVEL: process.env.PICBOT_TEST_LOG ?? 'silent', ...options.env };
  const config = parseConfig(env);
  const boot = () =>
    startServer({ config, areas: options.areas, preflight: options.preflight, teams: options.teams, clock: options.clock, logger: createLogger({ level: config.logLevel }), runnerGateway: options.runnerGateway });

  let server: RunningServer;
  try {
    server = await withDeadline(boot(), () => 'the picbot server to start');
  } catch (err) {
    // A refused start (e.g. a verb without a handler) must not leave the connector open,
    // or jest never exits.
    await connector.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }

  async function post(activity: unknown, opts: PostOptions & { raw?: string; contentType?: string } = {}): Promise<TurnResult> {
    const before = connector.calls.length;
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
    const authorization = opts.authorization === undefined ? await options.authorization?.() : opts.authorization;
    if (authorization) headers.authorization = authorization;
    const what = () => `the answer to POST /api/messages (${describeActivity(activity, opts.raw)})`;
    const res = await withDeadline(fetch(`${server.url}/api/messages`, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(activity) }), what);
    const text = await withDeadline(res.text(), what);
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body, calls: connector.calls.slice(before) };
  }

  const whoOf = (who: Who = {}) => {
    const user = who.user ?? DANA;
    return { user, conversation: who.conversation ?? personalChat(user) };
  };

  return {
    get url() {
      return server.url;
    },
    dbPath,
    connector,
    get server() {
      return server;
    },
    post,
    say(text, who, opts) {
      const { user, conversation } = whoOf(who);
      return post(message(connector.serviceUrl, conversation, user, text), opts);
    },
    async click(verb, data, who = {}, opts) {
      const { user, conversation } = whoOf(who);
      const result = await post(invoke(connector.serviceUrl, conversation, user, verb, data, who.replyToId ?? null), opts);
      const value = (result.body as { value?: unknown } | null)?.value;
      return { ...result, card: value && typeof value === 'object' ? (value as Record<string, unknown>) : null };
    },
    added(who, opts) {
      const { user, conversation } = whoOf(who);
      return post(botAdded(connector.serviceUrl, conversation, user), opts);
    },
    async restart() {
      await withDeadline(server.close(), () => 'the picbot server to stop (restart)');
      server = await withDeadline(boot(), () => 'the picbot server to start again (restart)');
    },
    async close() {
      await withDeadline(server.close(), () => 'the picbot server to stop');
      await connector.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
