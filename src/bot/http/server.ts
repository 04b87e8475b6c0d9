/**
 * The restify server every HTTP endpoint hangs off: /healthz and /readyz here, /api/messages from
 * the Teams endpoint, /api/runner/v1/* from the runner gateway (mounted by main).
 * Every error — restify's own (404, 405), a thrown HttpError, an unexpected exception — is
 * answered as `{"error":{"code","message"}}`; 500s are logged with their cause and answered bare.
 */
import type { ServerResponse } from 'node:http';
import restify, { type Server } from 'restify';
import { cleanForLog, type Logger } from '../../shared/logger';
import { HttpError, toHttpAnswer } from './http-error';
import { plainRoute } from './json-route';

export type HttpServer = Server;

/**
 * What /readyz answers: ready, with details added to `{ status: 'ready' }` (200); or not ready,
 * with the error to answer (503).
 */
export type Readiness =
  | { ready: true; details?: Record<string, unknown> }
  | { ready: false; code: string; message: string; details?: Record<string, unknown> };

export interface HttpServerOptions {
  logger: Logger;
  /** True (or a ready Readiness) when the store answers; /readyz is 503 otherwise (and when it throws). */
  ready: () => Promise<boolean | Readiness>;
  /**
   * Local mode: answer only requests whose Host header names a loopback address. Binding to
   * 127.0.0.1 keeps other machines out, but a web page in the admin's browser could still reach
   * the bot through DNS rebinding (its own name resolving to 127.0.0.1); its Host is that name.
   */
  loopbackHostOnly?: boolean;
}

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '::1']);
/** Where a server keeps its function that ends keep-alive on the answers still in flight (closeServer calls it). */
const END_KEEP_ALIVE = Symbol('picbot.endKeepAlive');
type Closable = HttpServer & { [END_KEEP_ALIVE]?: () => void };

/** True when a Host header value (name or address, optional port) is loopback. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:\[\]]+))(?::\d{1,5})?$/i.exec(host.trim());
  if (!m) return false;
  const name = (m[1] ?? m[2]).toLowerCase();
  if (LOOPBACK_NAMES.has(name)) return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/** Creates the server with health routes and JSON error handling; the caller mounts the rest. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger } = options;
  const server = restify.createServer({
    name: 'picbot',
    log: logger.child({ component: 'http' }) as never,
    handleUncaughtExceptions: false,
    // A client sending more than one `next()` would crash restify's chain; make it a no-op.
    onceNext: true,
  });

  // The answers being worked on, so a shutdown can close their connections once each is sent
  // (keep-alive would otherwise hold the server open until the client's idle timeout).
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.server.on('request', (_req, res: ServerResponse) => {
    // A request that arrives on a kept-alive connection while closing is served, then closes it.
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  (server as Closable)[END_KEEP_ALIVE] = () => {
    closing = true;
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  };

  // The one place error answers are shaped. restify calls this for every error it routes
  // (including 404/405 it makes itself and rejections of async handlers).
  server.on('restifyError', (req: restify.Request, res: restify.Response, err: unknown, callback: () => void) => {
    const answer = toHttpAnswer(err);
    const log = { method: req.method, path: req.path(), status: answer.status, code: answer.body.error.code };
    if (answer.internal) logger.error({ ...log, err }, 'request failed');
    else logger.debug(log, 'request refused');
    const carrier = err instanceof Error ? (err as Error & { statusCode?: number; toJSON?: () => unknown }) : null;
    if (carrier) {
      carrier.statusCode = answer.status;
      carrier.toJSON = () => answer.body;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      return callback();
    }
    // A thrown non-Error: answer here, restify sees the response is sent.
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.send(answer.status, answer.body);
    return callback();
  });

  if (options.loopbackHostOnly) {
    server.pre((req: restify.Request, _res: restify.Response, next: restify.Next) => {
      const host = req.headers.host;
      if (isLoopbackHostHeader(host)) return next();
      logger.warn({ method: req.method, host: cleanForLog(host ?? '(none)', 100) }, 'refused a request whose Host is not loopback (local mode)');
      return next(new HttpError(403, 'forbidden', 'local mode answers only requests addressed to a loopback host (127.0.0.1, localhost or [::1])'));
    });
  }

  server.get('/healthz', plainRoute(async () => ({ status: 200, body: { status: 'ok' } })));
  server.get(
    '/readyz',
    plainRoute(async () => {
      let readiness: Readiness = { ready: false, code: 'store_failed', message: 'store not reachable' };
      try {
        const answer = await options.ready();
        if (typeof answer === 'boolean') readiness = answer ? { ready: true } : readiness;
        else readiness = answer;
      } catch (err) {
        logger.warn({ err }, 'readiness check failed');
      }
      if (readiness.ready) return { status: 200, body: { status: 'ready', ...readiness.details } };
      return { status: 503, body: { error: { code: readiness.code, message: readiness.message }, ...readiness.details } };
    }),
  );
  return server;
}

/** Starts listening; resolves with the base URL (port 0 picks a free port). */
export function listen(server: HttpServer, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    // restify re-emits the http server's 'error' on itself, where no listener would mean a crash
    // (EADDRINUSE as an unhandled 'error' event) instead of a rejection.
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      const address = server.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve(`http://${urlHost}:${actualPort}`);
    });
  });
}

/** How long a shutdown waits for the requests in hand before it cuts their connections. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

/**
 * Stops accepting connections, closes idle keep-alive ones, and lets the requests in hand finish
 * (each answer then closes its connection); connections still busy after `graceMs` are cut.
 */
export function closeServer(server: HttpServer, graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    (server as Closable)[END_KEEP_ALIVE]?.();
    const cut = setTimeout(() => server.server.closeAllConnections?.(), graceMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.server.closeIdleConnections?.();
  });
}
