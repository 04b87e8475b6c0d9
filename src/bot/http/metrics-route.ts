/**
 * `GET /metrics`: the server's series in the Prometheus text format (src/bot/metrics.ts). It is
 * mounted only when the configuration turns it on (PICBOT_METRICS; by default on a loopback bind
 * address only), and is otherwise the usual 404. It carries no secrets, but job counts, runner
 * activity and refused tenants are nobody else's business: keep it on the private network
 * (docs/deploy.md, Metrics).
 */
import type { Request, Response } from 'restify';
import type { HttpServer } from './server';

/** What the route reads: the text and its content type, rendered at each request. */
export interface MetricsSource {
  exposition(): Promise<{ contentType: string; text: string }>;
}

/** Mounts GET /metrics on the server. */
export function mountMetrics(http: HttpServer, metrics: MetricsSource): void {
  http.get('/metrics', async (_req: Request, res: Response) => {
    const { contentType, text } = await metrics.exposition();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  });
}
