/**
 * The server in local mode (no Bot Framework token) refuses requests whose Host is not
 * loopback, on every route, before reading them: a DNS-rebinding page cannot drive the bot.
 */
import { request } from 'node:http';
import { startHarness, type Harness } from './harness';
import { DANA, message, personalChat } from './teams-activities';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function post(path: string, host: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.url}${path}`, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

it.each([
  { path: '/api/messages', host: 'rebind.attacker.example' },
  { path: '/api/messages', host: 'picbot.attacker.example:3978' },
  { path: '/api/runner/v1/enroll', host: 'rebind.attacker.example' },
])('POST $path with Host $host is 403 and reaches no handler', async (row) => {
  const before = h.connector.calls.length;
  const port = new URL(h.url).port;
  const r = await post(row.path, row.host.includes(':') ? row.host : `${row.host}:${port}`, message(h.connector.serviceUrl, personalChat(DANA), DANA, 'help'));
  expect(r).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.stringMatching(/loopback host/) } } });
  expect(h.connector.calls.length).toBe(before);
});

it.each(['127.0.0.1', 'localhost', '[::1]'])('POST /api/messages with Host %s:port is served', async (name) => {
  const before = h.connector.calls.length;
  const r = await post('/api/messages', `${name}:${new URL(h.url).port}`, message(h.connector.serviceUrl, personalChat(DANA), DANA, 'help'));
  expect(r.status).toBe(200);
  expect(h.connector.calls.length).toBe(before + 1);
});
