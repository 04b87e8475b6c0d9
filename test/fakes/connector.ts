/**
 * A loopback Bot Connector emulator: the part of the Bot Framework REST API the bot calls to send
 * and update messages and to read a conversation's members. It records every call and answers with activity ids, so tests assert on
 * exactly what would have reached Teams. Speaks real HTTP on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { withDeadline } from './deadline';

export type ConnectorCallKind = 'send' | 'reply' | 'update';

export interface ConnectorCall {
  kind: ConnectorCallKind;
  conversationId: string;
  /** send: the new id; reply: the new id (replyToId says what it answers); update: the id updated. */
  activityId: string;
  replyToId: string | null;
  activity: Record<string, unknown>;
  authorization: string | null;
  /** When the call arrived (ms, performance.now()), to check Teams' rate limits against. */
  at: number;
}

export interface FakeConnector {
  /** The serviceUrl to put in activities, e.g. http://127.0.0.1:PORT/ */
  serviceUrl: string;
  calls: ConnectorCall[];
  /**
   * Resolves with the first call (already made or future) that matches; rejects just before the
   * test's timeout with a message naming `what` (default: the matcher's source) and the calls seen.
   */
  waitFor(match: (call: ConnectorCall) => boolean, options?: { what?: string; timeoutMs?: number }): Promise<ConnectorCall>;
  /** The next `count` calls answer `status` with an error body (429 throttling, 500 outage, …). */
  failNext(status: number, count?: number): void;
  /**
   * The members GET /v3/conversations/{id}/pagedmembers and /members answer with (every
   * conversation the same roster), served `pageSize` at a time with a continuation token.
   */
  setRoster(members: RosterMember[], options?: { pageSize?: number }): void;
  /** The conversation ids whose roster was read, one entry per page asked for. */
  rosterReads: string[];
  /** The next `count` roster reads answer `status` (sends and updates are not affected). */
  failRoster(status: number, count?: number): void;
  /** Forget recorded calls (keeps the id counter, so ids stay unique). */
  clear(): void;
  close(): Promise<void>;
}

/** A conversation member as the Bot Connector lists it (TeamsChannelAccount). */
export interface RosterMember {
  id: string;
  name: string;
  aadObjectId: string;
  userPrincipalName?: string;
}

/** The Adaptive Card in a recorded activity, or null when it carries none. */
export function cardOf(call: ConnectorCall | undefined): Record<string, unknown> | null {
  const attachments = call?.activity.attachments as { contentType?: string; content?: Record<string, unknown> }[] | undefined;
  const card = attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return card?.content ?? null;
}

/** The calls so far, one short line each (for a timeout message). */
function describeCalls(list: ConnectorCall[]): string {
  if (list.length === 0) return 'none';
  const last = list.slice(-10).map((c) => `${c.kind} ${c.activityId ?? '-'} in ${c.conversationId}`);
  return `${list.length} (${list.length > 10 ? 'last 10: ' : ''}${last.join('; ')})`;
}

const ROUTE = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;
const MEMBERS = /^\/v3\/conversations\/([^/]+)\/(pagedmembers|members)\/?$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const waiters: { match: (c: ConnectorCall) => boolean; resolve: (c: ConnectorCall) => void }[] = [];
  const failures: number[] = [];
  const rosterFailures: number[] = [];
  const rosterReads: string[] = [];
  let roster: RosterMember[] = [];
  let rosterPage = 100;
  let counter = 0;

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  };

  /** GET …/pagedmembers?pageSize=&continuationToken= (a page and the next token) or …/members (everyone). */
  function members(res: ServerResponse, conversationId: string, kind: string, query: URLSearchParams): void {
    rosterReads.push(conversationId);
    const failure = rosterFailures.shift();
    if (failure !== undefined) return answer(res, failure, { error: { code: 'Injected', message: `injected ${failure}` } });
    if (kind === 'members') return answer(res, 200, roster);
    const start = Number(query.get('continuationToken') ?? '0') || 0;
    const size = Math.min(rosterPage, Number(query.get('pageSize') ?? rosterPage) || rosterPage);
    const page = roster.slice(start, start + size);
    const next = start + size < roster.length ? String(start + size) : undefined;
    return answer(res, 200, { members: page, ...(next ? { continuationToken: next } : {}) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path, search] = (req.url ?? '').split('?');
    const text = await readBody(req);
    const member = MEMBERS.exec(path!);
    if (member && req.method === 'GET') return members(res, decodeURIComponent(member[1]!), member[2]!, new URLSearchParams(search ?? ''));
    const m = ROUTE.exec(path!);
    if (!m || (req.method !== 'POST' && req.method !== 'PUT')) return answer(res, 404, { error: { code: 'NotFound', message: `${req.method} ${req.url}` } });
    const failure = failures.shift();
    if (failure !== undefined) return answer(res, failure, { error: { code: 'Injected', message: `injected ${failure}` } });
    let activity: Record<string, unknown>;
    try {
      activity = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return answer(res, 400, { error: { code: 'BadArgument', message: 'body is not JSON' } });
    }
    const conversationId = decodeURIComponent(m[1]!);
    const pathId = m[2] === undefined ? null : decodeURIComponent(m[2]);
    let call: ConnectorCall;
    if (req.method === 'PUT') {
      if (pathId === null) return answer(res, 404, { error: { code: 'NotFound', message: 'PUT needs an activity id' } });
      call = { kind: 'update', conversationId, activityId: pathId, replyToId: null, activity, authorization: req.headers.authorization ?? null, at: performance.now() };
    } else {
      counter += 1;
      const id = `activity-${counter}`;
      call = { kind: pathId === null ? 'send' : 'reply', conversationId, activityId: id, replyToId: pathId, activity, authorization: req.headers.authorization ?? null, at: performance.now() };
    }
    calls.push(call);
    for (const w of [...waiters]) {
      if (w.match(call)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
    return answer(res, 200, { id: call.activityId });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => answer(res, 500, { error: { code: 'FakeConnector', message: err.message } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    waitFor(match, options = {}) {
      const found = calls.find(match);
      if (found) return Promise.resolve(found);
      const waiter = { match, resolve: (_: ConnectorCall) => {} };
      const arrived = new Promise<ConnectorCall>((resolve) => {
        waiter.resolve = resolve;
        waiters.push(waiter);
      });
      const what = () => `a connector call matching ${options.what ?? match.toString()}; seen: ${describeCalls(calls)}`;
      return withDeadline(arrived, what, options.timeoutMs).finally(() => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
      });
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(status);
    },
    setRoster(list, options = {}) {
      roster = list;
      rosterPage = options.pageSize ?? 100;
    },
    rosterReads,
    failRoster(status, count = 1) {
      for (let i = 0; i < count; i += 1) rosterFailures.push(status);
    },
    clear() {
      calls.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
