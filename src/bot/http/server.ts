/**
 * The restify server every HTTP endpoint hangs off: /healthz and /readyz here, /api/messages from
 * the Teams endpoint, /api/runner/v1/* from the runner gateway (mounted by main).
 * Every error — restify's own (404, 405), a thrown HttpError, an unexpected exception — is
 * answered as `{"error":{"code","message"}}`; 500s are logged with their cause and answered bare.
 */
import restify, { type Server } from 'restify';
import type { Logger } from '../../shared/logger';
import { toHttpAnswer } from './http-error';
import { plainRoute } from './json-route';

export type HttpServer = Server;

export interface HttpServerOptions {
  logger: Logger;
  /** True when the store answers; /readyz is 503 otherwise (and when it throws). */
  ready: () => Promise<boolean>;
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

  server.get('/healthz', plainRoute(async () => ({ status: 200, body: { status: 'ok' } })));
  server.get(
    '/readyz',
    plainRoute(async () => {
      let ok = false;
      try {
        ok = await options.ready();
      } catch (err) {
        logger.warn({ err }, 'readiness check failed');
      }
      return ok ? { status: 200, body: { status: 'ready' } } : { status: 503, body: { error: { code: 'store_failed', message: 'store not reachable' } } };
    }),
  );
  return server;
}

/** Starts listening; resolves with the base URL (port 0 picks a free port). */
export function listen(server: HttpServer, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.off('error', onError);
      const address = server.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve(`http://${urlHost}:${actualPort}`);
    });
  });
}

/** Stops accepting connections and closes idle keep-alive ones. */
export function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.server.closeIdleConnections?.();
    server.close(() => resolve());
    server.server.closeAllConnections?.();
  });
}
