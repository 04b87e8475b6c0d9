/**
 * A lean loopback Bot Connector: the two calls a bot makes to answer (POST a reply or a new
 * message, PUT an update of a message) on 127.0.0.1, each answered with an activity id. It keeps
 * the last few activities of each conversation, so a scenario can read the card the bot sent
 * and wait for a card it posts later; nothing else is stored, so a long run stays small.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Json } from './cards';

export interface Delivered {
  kind: 'send' | 'reply' | 'update';
  conversationId: string;
  /** The new message's id (send, reply) or the id of the message updated. */
  activityId: string;
  activity: Json;
}

export interface Connector {
  /** The serviceUrl to put in activities. */
  serviceUrl: string;
  /** How many calls were answered. */
  count(): number;
  /** The activities kept for a conversation, oldest first. */
  recent(conversationId: string): Delivered[];
  /** Resolves with the first kept or future delivery that matches. */
  waitFor(conversationId: string, match: (d: Delivered) => boolean, timeoutMs?: number): Promise<Delivered>;
  close(): Promise<void>;
}

const KEEP = 40;
const ROUTE = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;

export async function startConnector(): Promise<Connector> {
  const kept = new Map<string, Delivered[]>();
  const waiters = new Set<{ conversationId: string; match: (d: Delivered) => boolean; resolve: (d: Delivered) => void }>();
  let counter = 0;

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  };

  function handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const m = ROUTE.exec((req.url ?? '').split('?')[0]!);
    if (!m || (req.method !== 'POST' && req.method !== 'PUT')) return answer(res, 404, { error: { code: 'NotFound', message: `${req.method} ${req.url}` } });
    let activity: Json;
    try {
      activity = JSON.parse(text) as Json;
    } catch {
      return answer(res, 400, { error: { code: 'BadArgument', message: 'body is not JSON' } });
    }
    const conversationId = decodeURIComponent(m[1]!);
    const pathId = m[2] === undefined ? null : decodeURIComponent(m[2]);
    counter += 1;
    const delivered: Delivered = req.method === 'PUT'
      ? { kind: 'update', conversationId, activityId: pathId ?? '', activity }
      : { kind: pathId === null ? 'send' : 'reply', conversationId, activityId: `activity-${counter}`, activity };
    const list = kept.get(conversationId) ?? [];
    list.push(delivered);
    if (list.length > KEEP) list.shift();
    kept.set(conversationId, list);
    for (const w of waiters) {
      if (w.conversationId === conversationId && w.match(delivered)) {
        waiters.delete(w);
        w.resolve(delivered);
      }
    }
    return answer(res, 200, { id: delivered.kind === 'update' ? delivered.activityId : delivered.activityId });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    count: () => counter,
    recent: (conversationId) => [...(kept.get(conversationId) ?? [])],
    waitFor(conversationId, match, timeoutMs = 60_000) {
      const found = (kept.get(conversationId) ?? []).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const entry = { conversationId, match, resolve: (d: Delivered) => { clearTimeout(timer); resolve(d); } };
        const timer = setTimeout(() => {
          waiters.delete(entry);
          reject(new Error(`no matching message reached the connector in conversation ${conversationId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(entry);
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
