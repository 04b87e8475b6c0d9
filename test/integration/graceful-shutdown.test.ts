/**
 * `picbot serve` as a real process stops gracefully on SIGTERM: a runner's long-poll in flight is
 * answered at once with the usual "no job, come back" (204), the process exits 0. The poll asks
 * for the longest wait (30 s) and the server cuts connections still busy only after its grace
 * (10 s): a 204 rather than a cut connection shows the poll was released, not waited out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_API_BASE } from '../../src/contracts/runner-api';
import { freePort } from './demo-process';
import { serverProcess, until, type ServerProcess } from './server-process';

let dir: string;
let s: ServerProcess | null = null;

afterEach(async () => {
  await s?.close();
  s = null;
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, body: unknown, bearer?: string): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

it('SIGTERM answers a long-poll in flight with 204 and exits 0', async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-shutdown-'));
  s = await serverProcess({ dir, port: await freePort(), env: { PICBOT_LOG_LEVEL: 'debug' } });
  // The first start creates the key files the runner-token command needs.
  await s.start();
  const enrollmentToken = s.runnerToken(['pool-eu']);
  const enrolled = await post(`${s.url}${RUNNER_API_BASE}/enroll`, { enrollmentToken, name: 'fe01', labels: ['pool-eu'] });
  expect(enrolled.status).toBe(200);
  const runnerToken = String(enrolled.body!.runnerToken);

  const poll = post(`${s.url}${RUNNER_API_BASE}/jobs/lease`, { waitSeconds: 30 }, runnerToken);
  const server = s;
  await until(() => server.logs().includes('runner long-poll waiting for a job'), 'the long-poll to wait');

  const [code, answer] = await Promise.all([s.stop(), poll]);
  expect(answer).toEqual({ status: 204, body: null });
  expect(code).toBe(0);
  expect(s.logs()).toContain('"signal":"SIGTERM","msg":"stopping"');
});
