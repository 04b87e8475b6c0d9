/**
 * The route helper other areas mount their endpoints with (the runner gateway): over a real
 * loopback server, every failure is a JSON error with a stable code and no stack.
 */
import { z } from 'zod';
import { closeServer, createHttpServer, listen, type HttpServer } from '../../../../src/bot/http/server';
import { jsonRoute, plainRoute } from '../../../../src/bot/http/json-route';
import { HttpError } from '../../../../src/bot/http/http-error';
import { CodedError } from '../../../../src/shared/errors';
import { silentLogger } from '../../../../src/shared/logger';

const Heartbeat = z.object({ leaseId: z.string().min(1), seq: z.number().int().nonnegative().optional(), nested: z.object({ n: z.number() }).optional() });

let server: HttpServer;
let url: string;

beforeAll(async () => {
  server = createHttpServer({ logger: silentLogger(), ready: async () => true });
  server.post('/jobs/:id/heartbeat', jsonRoute(Heartbeat, async ({ body, params }) => ({ status: 200, body: { job: params.id, leaseId: body.leaseId } })));
  server.post('/small', jsonRoute(z.object({}), async () => ({ status: 204 }), { maxBytes: 16 }));
  server.post('/refuse/:how', jsonRoute(z.object({}), async ({ params }) => {
    if (params.how === 'forbidden') throw new CodedError('forbidden', 'runner token revoked');
    if (params.how === 'teapot') throw new HttpError(409, 'conflict', 'lease already taken');
    if (params.how === 'string') throw 'a string, not an Error';
    throw new Error('SQLITE_BUSY at /srv/secret/path');
  }));
  server.get('/sync-throw', plainRoute(async () => {
    JSON.parse('{');
    return { status: 200 };
  }));
  url = await listen(server, '127.0.0.1', 0);
});

afterAll(async () => {
  await closeServer(server);
});

async function post(path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, contentType: res.headers.get('content-type') };
}

describe('jsonRoute', () => {
  it('parses the body and passes route params', async () => {
    expect(await post('/jobs/job_1/heartbeat', '{"leaseId":"l1"}')).toMatchObject({ status: 200, body: { job: 'job_1', leaseId: 'l1' } });
  });

  it.each([
    { body: '{}', want: /^body\.leaseId: / },
    { body: '{"leaseId":""}', want: /^body\.leaseId: / },
    { body: '{"leaseId":"x","seq":-1}', want: /^body\.seq: / },
    { body: '{"leaseId":"x","nested":{"n":"1"}}', want: /^body\.nested\.n: / },
    { body: '"just a string"', want: /^body: / },
  ])('400 naming the field for $body', async ({ body, want }) => {
    const res = await post('/jobs/job_1/heartbeat', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(want) } });
  });

  it.each([
    { body: 'pbr_rISV2tZBvBsaoXYXwbB_hXCcUu33h7ADsObO90AnCgo', want: /^malformed JSON: Unexpected token 'p'$/ },
    { body: '{"leaseId":"pbr_rISV2tZBvBsaoXYXwbB_hXCcUu33h7ADsObO90AnCgo" x}', want: /^malformed JSON: Expected ',' or '}' after property value in JSON at position \d+/ },
    { body: '{"leaseId":"pbe_secret', want: /^malformed JSON: / },
  ])('a malformed body is 400 without echoing the input ($body)', async ({ body, want }) => {
    const res = await post('/jobs/job_1/heartbeat', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(want) } });
    expect(JSON.stringify(res.body)).not.toMatch(/pb[re]_/);
  });

  it('honours a per-route size limit', async () => {
    expect((await post('/small', '{"padding":"xxxxxxxxxxxxxxxx"}')).status).toBe(413);
    expect((await post('/small', '{}')).status).toBe(204);
  });

  it.each([
    { how: 'forbidden', status: 403, body: { error: { code: 'forbidden', message: 'runner token revoked' } } },
    { how: 'teapot', status: 409, body: { error: { code: 'conflict', message: 'lease already taken' } } },
    { how: 'crash', status: 500, body: { error: { code: 'internal', message: 'internal error' } } },
    { how: 'string', status: 500, body: { error: { code: 'internal', message: 'internal error' } } },
  ])('a handler throwing ($how) → $status JSON, no internals', async ({ how, status, body }) => {
    const res = await post(`/refuse/${how}`, '{}');
    expect(res.status).toBe(status);
    expect(res.body).toEqual(body);
    expect(res.contentType).toMatch(/^application\/json/);
  });

  it('an exception inside a plain route → 500 JSON, and the server keeps serving', async () => {
    const res = await fetch(`${url}/sync-throw`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers JSON errors even when the client asks for HTML', async () => {
    const res = await fetch(`${url}/nowhere`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
