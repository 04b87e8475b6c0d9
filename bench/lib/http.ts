/**
 * A small JSON-over-HTTP client on node:http with keep-alive, the same for picbot and the floor,
 * so the client's own cost is equal on both sides of every ratio.
 */
import { Agent, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Answer {
  status: number;
  body: unknown;
  /** Request sent → answer read, in ms. */
  ms: number;
}

type CallOptions = { method?: string; headers?: Record<string, string>; signal?: AbortSignal; agent?: Agent };

/**
 * POSTs `body` as JSON and reads the JSON answer. A kept-alive socket the server closed while it
 * sat idle fails with ECONNRESET when reused: that request is sent again once, on a new socket
 * (the way Node's documentation suggests), and timed from the second send.
 */
export async function call(url: string, body: unknown, options: CallOptions = {}): Promise<Answer> {
  try {
    return await callOnce(url, body, options);
  } catch (err) {
    if ((err as { reused?: boolean }).reused && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return callOnce(url, body, options);
    throw err;
  }
}

function callOnce(url: string, body: unknown, options: CallOptions): Promise<Answer> {
  const t0 = performance.now();
  const data = body === undefined ? null : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'POST',
      agent: options.agent ?? agent,
      signal: options.signal,
      headers: { ...(data === null ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = null;
        if (text.length > 0) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
    if (data !== null) req.write(data);
    req.end();
  });
}
