/**
 * Local mode answers only requests addressed to a loopback Host: a DNS-rebinding page (its own
 * name resolving to 127.0.0.1) reaches the socket but names itself in the Host header.
 */
import { request } from 'node:http';
import { closeServer, createHttpServer, isLoopbackHostHeader, listen, type HttpServer } from '../../../../src/bot/http/server';
import { silentLogger } from '../../../../src/shared/logger';

describe('isLoopbackHostHeader', () => {
  it.each([
    { host: '127.0.0.1:3978', want: true },
    { host: '127.0.0.1', want: true },
    { host: '127.1.2.3:80', want: true },
    { host: 'localhost:3978', want: true },
    { host: 'LOCALHOST', want: true },
    { host: '[::1]:3978', want: true },
    { host: '[::1]', want: true },
    { host: undefined, want: false },
    { host: '', want: false },
    { host: 'rebind.attacker.example:3978', want: false },
    { host: 'localhost.attacker.example', want: false },
    { host: '127.0.0.1.nip.io:3978', want: false },
    { host: '127.0.0.256', want: false },
    { host: '10.0.0.5:3978', want: false },
    { host: '0.0.0.0:3978', want: false },
    { host: '[::ffff:7f00:1]:3978', want: false },
    { host: 'localhost:3978:1', want: false },
    { host: 'localhost:99999999', want: false },
  ])('$host → $want', (row) => {
    expect(isLoopbackHostHeader(row.host)).toBe(row.want);
  });
});

/** A GET with an explicit Host header (fetch does not let a caller set Host). */
function get(url: string, path: string, host: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each([
  { loopbackHostOnly: true, wantForeign: 403 },
  { loopbackHostOnly: false, wantForeign: 200 },
])('server with loopbackHostOnly=$loopbackHostOnly', ({ loopbackHostOnly, wantForeign }) => {
  let server: HttpServer;
  let url: string;
  let port: string;
  beforeAll(async () => {
    server = createHttpServer({ logger: silentLogger(), ready: async () => true, loopbackHostOnly });
    url = await listen(server, '127.0.0.1', 0);
    port = new URL(url).port;
  });
  afterAll(async () => {
    await closeServer(server);
  });

  it.each(['127.0.0.1', 'localhost', '[::1]'])('answers Host %s', async (name) => {
    expect(await get(url, '/healthz', `${name}:${port}`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it(`answers ${wantForeign} for a rebinding page's Host`, async () => {
    const r = await get(url, '/healthz', `rebind.attacker.example:${port}`);
    expect(r.status).toBe(wantForeign);
    if (wantForeign === 403) expect(r.body).toEqual({ error: { code: 'forbidden', message: expect.stringMatching(/loopback host/) } });
  });
});
