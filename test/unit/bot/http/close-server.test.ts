/**
 * closeServer lets the requests in hand finish, then closes: an answer still being worked on is
 * sent (and closes its keep-alive connection), a kept-alive idle connection does not hold the
 * server open, and the server takes no new connection meanwhile.
 */
import { request, Agent } from 'node:http';
import { closeServer, createHttpServer, listen } from '../../../../src/bot/http/server';
import { plainRoute } from '../../../../src/bot/http/json-route';
import { silentLogger } from '../../../../src/shared/logger';

function get(url: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    }).on('error', reject).end();
  });
}

it('finishes the request in hand, closes its keep-alive connection, and refuses new connections', async () => {
  const server = createHttpServer({ logger: silentLogger(), ready: async () => true });
  let release = () => undefined as void;
  let arrived = () => undefined as void;
  const inHand = new Promise<void>((r) => (arrived = r));
  server.get('/slow', plainRoute(async () => {
    arrived();
    await new Promise<void>((r) => (release = r));
    return { status: 200, body: { done: true } };
  }));
  const url = await listen(server, '127.0.0.1', 0);
  const agent = new Agent({ keepAlive: true });
  try {
    // A kept-alive connection left idle, and one busy with a request.
    expect((await get(`${url}/healthz`, new Agent({ keepAlive: true }))).status).toBe(200);
    const slow = get(`${url}/slow`, agent);
    await inHand;
    const closed = closeServer(server);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    release();
    expect(await slow).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
    await closed;
  } finally {
    agent.destroy();
  }
});
