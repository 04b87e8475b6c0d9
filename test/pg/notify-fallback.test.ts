/**
 * Wake-ups when NOTIFY does not arrive: two instances on one PostgreSQL schema (in this process,
 * each with its own pool, HTTP server and LISTEN connection). The LISTEN connection of instance A
 * is killed on the database side; a job created on B then still reaches the runner long-polling A
 * (the poll in the long-poll loop finds it), A reconnects its LISTEN by itself, and the next job
 * made on B wakes the runner on A again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/bot/compose';
import { parseConfig } from '../../src/bot/config';
import { freshSchema, TEST_PG_URL } from '../engines';
import { echoArea } from '../fakes/echo-area';
import { discoverJob } from '../integration/runner-helpers';
import { until } from '../integration/server-process';
import { pgRows, runnerCall, sharedKeys } from './pg-helpers';

jest.setTimeout(120_000);

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
const servers: RunningServer[] = [];
const linesOfA: string[] = [];
const made: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-notify-'));
  schema = await freshSchema();
  const { env } = sharedKeys(dir);
  for (let i = 0; i < 2; i += 1) {
    const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, 'unused.db'), PICBOT_DATABASE_URL: schema.url, ...env, PICBOT_LOG_LEVEL: 'info' });
    const logger = i === 0 ? pino({ level: 'debug' }, { write: (line: string) => void linesOfA.push(line) }) : pino({ level: 'silent' });
    servers.push(await startServer({ config, areas: [echoArea], logger }));
  }
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a long-poll to A and resolves once A says it is waiting (so a job made now cannot be its first look). */
async function waitingLease(base: string, token: string) {
  const count = () => linesOfA.filter((l) => l.includes('runner long-poll waiting for a job')).length;
  const before = count();
  const answer = runnerCall(base, '/jobs/lease', { waitSeconds: 30 }, token);
  const settled = { value: null as unknown };
  void answer.then((r) => { settled.value = r; }, (err: unknown) => { settled.value = String(err); });
  await until(() => {
    // Answered before it waited: say with what, instead of waiting for a line that never comes.
    if (settled.value !== null && count() <= before) throw new Error(`the long-poll was answered before it waited: ${JSON.stringify((settled.value as { json?: { jobId?: string } }).json?.jobId)}; made so far: ${made.join(',')}; A logged: ${linesOfA.slice(-4).map((l) => (JSON.parse(l) as { msg: string; jobId?: string; found?: string }).msg + ' ' + ((JSON.parse(l) as { jobId?: string }).jobId ?? '')).join(' | ')}`);
    return count() > before;
  }, 'the long-poll to wait', 30_000);
  // Wrapped, so awaiting this waits for the wait, not for the answer.
  return { answer };
}

const leaseLine = (jobId: string) => linesOfA.map((l) => JSON.parse(l) as { msg: string; jobId?: string; found?: string }).find((l) => l.msg === 'job leased' && l.jobId === jobId) ?? null;
/** The LISTEN connections of this test's instances (named after the schema; only A listens: its runner waits). */
const listeners = () => pgRows<{ pid: number }>(TEST_PG_URL, "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'", [`picbot-listen ${schema.schema}`.slice(0, 63)]);

it('a lost LISTEN connection: the poll still finds the job, the listener comes back, and wake-ups work again', async () => {
  const [a, b] = servers as [RunningServer, RunningServer];
  const { token } = await a.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
  const runnerToken = String((await runnerCall(a.url, '/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] })).json!.runnerToken);
  const lease = () => waitingLease(a.url, runnerToken);

  // A first wake-up across instances: the long-poll on A registers its label (A listens), then B queues.
  const first = (await lease()).answer;
  await until(async () => (await listeners()).length >= 1, 'instance A listening', 30_000);
  const job1 = await b.deps.jobs.create(discoverJob());
  made.push(job1.id);
  expect((await first).json).toMatchObject({ jobId: job1.id });
  expect(leaseLine(job1.id)).toMatchObject({ found: 'woken' });

  // Kill every picbot LISTEN connection on the database side: no NOTIFY reaches A now.
  const killed = (await listeners()).map((l) => l.pid);
  for (const pid of killed) await pgRows(TEST_PG_URL, 'SELECT pg_terminate_backend($1)', [pid]);
  const second = (await lease()).answer;
  const job2 = await b.deps.jobs.create(discoverJob());
  made.push(job2.id);
  expect((await second).json).toMatchObject({ jobId: job2.id });
  // Found by the poll, or woken by the listener's reconnect (it wakes every waiter to look).
  expect(leaseLine(job2.id)?.found).toMatch(/^(poll|woken)$/);

  // The listener comes back by itself, and a job made on B wakes the runner on A again.
  await until(async () => (await listeners()).some((l) => !killed.includes(l.pid)), 'the LISTEN connection to come back', 30_000);
  const third = (await lease()).answer;
  const job3 = await b.deps.jobs.create(discoverJob());
  made.push(job3.id);
  expect((await third).json).toMatchObject({ jobId: job3.id });
  expect(leaseLine(job3.id)).toMatchObject({ found: 'woken' });
  expect(linesOfA.some((l) => l.includes('the LISTEN connection to PostgreSQL dropped'))).toBe(true);
});
