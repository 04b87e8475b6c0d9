/**
 * A loopback Bot Connector emulator: the part of the Bot Framework REST API the bot calls to send
 * and update messages. It records every call and answers with activity ids, so tests assert on
 * exactly what would have reached Teams. Speaks real HTTP on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type ConnectorCallKind = 'send' | 'reply' | 'update';

export interface ConnectorCall {
  kind: ConnectorCallKind;
  conversationId: string;
  /** send: the new id; reply: the new id (replyToId says what it answers); update: the id updated. */
  activityId: string;
  replyToId: string | null;
  activity: Record<string, unknown>;
  authorization: string | null;
}

export interface FakeConnector {
  /** The serviceUrl to put in activities, e.g. http://127.0.0.1:PORT/ */
  serviceUrl: string;
  calls: ConnectorCall[];
  /** Resolves with the first call (already made or future) that matches. */
  waitFor(match: (call: ConnectorCall) => boolean): Promise<ConnectorCall>;
  /** The next `count` calls answer `status` with an error body (429 throttling, 500 outage, …). */
  failNext(status: number, count?: number): void;
  /** Forget recorded calls (keeps the id counter, so ids stay unique). */
  clear(): void;
  close(): Promise<void>;
}

/** The Adaptive Card in a recorded activity, or null when it carries none. */
export function cardOf(call: ConnectorCall | undefined): Record<string, unknown> | null {
  const attachments = call?.activity.attachments as { contentType?: string; content?: Record<string, unknown> }[] | undefined;
  const card = attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return card?.content ?? null;
}

const ROUTE = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;

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
  let counter = 0;

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = ROUTE.exec((req.url ?? '').split('?')[0]!);
    const text = await readBody(req);
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
      call = { kind: 'update', conversationId, activityId: pathId, replyToId: null, activity, authorization: req.headers.authorization ?? null };
    } else {
      counter += 1;
      const id = `activity-${counter}`;
      call = { kind: pathId === null ? 'send' : 'reply', conversationId, activityId: id, replyToId: pathId, activity, authorization: req.headers.authorization ?? null };
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
    waitFor(match) {
      const found = calls.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(status);
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
