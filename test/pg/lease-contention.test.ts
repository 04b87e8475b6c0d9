/**
 * Leasing under contention: two server instances (in this process, each with its own pool and
 * HTTP server) on one PostgreSQL schema, 20 runners long-polling over real HTTP (10 on each
 * instance) and 200 jobs queued on both while they poll. Every job is leased exactly once, and
 * the audit chain both instances appended to at once verifies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/bot/compose';
import { parseConfig } from '../../src/bot/config';
import { createLogger } from '../../src/shared/logger';
import { freshSchema } from '../engines';
import { echoArea } from '../fakes/echo-area';
import { discoverJob } from '../integration/runner-helpers';
import { pgRows, runnerCall, sharedKeys, verifyAuditPg } from './pg-helpers';

jest.setTimeout(180_000);

const JOBS = 200;
const RUNNERS = 20;

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
const servers: RunningServer[] = [];
let auditKey: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-contention-'));
  schema = await freshSchema();
  const keys = sharedKeys(dir);
  const env = keys.env;
  auditKey = keys.auditKey;
  for (let i = 0; i < 2; i += 1) {
    const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, 'unused.db'), PICBOT_DATABASE_URL: schema.url, ...env, PICBOT_LOG_LEVEL: process.env.PICBOT_TEST_LOG ?? 'silent' });
    servers.push(await startServer({ config, areas: [echoArea], logger: createLogger({ level: config.logLevel }) }));
  }
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('20 runners on 2 instances lease 200 jobs queued on both: each job exactly once', async () => {
  const [a, b] = servers as [RunningServer, RunningServer];
  const runners: { base: string; token: string }[] = [];
  for (let i = 0; i < RUNNERS; i += 1) {
    const home = i % 2 === 0 ? a : b;
    const { token } = await home.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const enrolled = await runnerCall(home.url, '/enroll', { enrollmentToken: token, name: `r${i}`, labels: ['pool-eu'] });
    expect(enrolled.status).toBe(200);
    runners.push({ base: home.url, token: String(enrolled.json!.runnerToken) });
  }

  const leased: string[] = [];
  const state = { done: false };
  const polling = runners.map(async (r) => {
    while (!state.done) {
      const answer = await runnerCall(r.base, '/jobs/lease', { waitSeconds: 2 }, r.token);
      if (answer.status === 200) leased.push(String(answer.json!.jobId));
      else expect(answer.status).toBe(204);
    }
  });

  // Queued while the runners poll, on both instances in turn.
  const created: string[] = [];
  for (let i = 0; i < JOBS; i += 1) created.push((await (i % 2 === 0 ? a : b).deps.jobs.create(discoverJob())).id);
  const give = Date.now() + 120_000;
  while (leased.length < JOBS && Date.now() < give) await new Promise((r) => setTimeout(r, 50));
  state.done = true;
  await Promise.all(polling);

  expect(leased).toHaveLength(JOBS);
  expect(new Set(leased).size).toBe(JOBS);
  expect([...leased].sort()).toEqual([...created].sort());
  const rows = await pgRows<{ status: string; n: number }>(schema.url, 'SELECT status, COUNT(*)::int AS n FROM jobs GROUP BY status');
  expect(rows).toEqual([{ status: 'leased', n: JOBS }]);
  const audited = await pgRows<{ n: number; jobs: number }>(schema.url, "SELECT COUNT(*)::int AS n, COUNT(DISTINCT subject_id)::int AS jobs FROM audit_log WHERE action = 'job.leased'");
  expect(audited).toEqual([{ n: JOBS, jobs: JOBS }]);
  // Both instances handed out jobs.
  const byRunner = await pgRows<{ runner_id: string }>(schema.url, 'SELECT DISTINCT runner_id FROM jobs');
  expect(byRunner.length).toBeGreaterThan(2);
  // 400 appends from two pools at once: one chain, no fork.
  expect(await verifyAuditPg(schema.url, auditKey)).toMatchObject({ ok: true, count: 2 * JOBS + 2 * RUNNERS }); // created and leased; token made and spent
});
