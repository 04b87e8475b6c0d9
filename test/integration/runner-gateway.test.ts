/**
 * The runner API over real loopback HTTP (no runner process): enrollment, bearer auth, atomic
 * leasing with long-poll wake-up, events idempotent by seq, heartbeats, results, revocation,
 * lease expiry by the sweeper, pickup expiry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/bot/config';
import { startServer, type RunningServer } from '../../src/bot/main';
import { createRunnerStore } from '../../src/bot/stores/runners';
import { sqliteSql } from '../../src/bot/stores/sql';
import type { JobChange, NewJob } from '../../src/bot/workflows/ports';
import { verifyEnvelope } from '../../src/contracts/signing';
import { createLogger } from '../../src/shared/logger';
import { echoArea } from '../fakes/echo-area';
import { fakeClock } from '../fakes/clock';

let dir: string;
let server: RunningServer;
let base: string;

async function boot(options: { leaseMs?: number; clock?: ReturnType<typeof fakeClock> } = {}): Promise<void> {
  const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, 'picbot.db'), PICBOT_LOG_LEVEL: process.env.PICBOT_TEST_LOG ?? 'silent' });
  server = await startServer({ config, areas: [echoArea], logger: createLogger({ level: config.logLevel }), clock: options.clock, runnerGateway: { leaseMs: options.leaseMs } });
  base = `${server.url}/api/runner/v1`;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-gw-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function enroll(labels = ['pool-eu'], name = 'fe01'): Promise<{ runnerId: string; runnerToken: string; serverKey: string }> {
  const { token } = await server.deps.runners.createEnrollmentToken({ labels, createdBy: 'test' });
  const r = await post('/enroll', { enrollmentToken: token, name, labels });
  expect(r.status).toBe(200);
  return r.body;
}

const discoverJob = (target = 'pool-eu', extra: Partial<NewJob> = {}): NewJob => ({
  kind: 'discover',
  target,
  profile: 'lync2013',
  discovery: { users: [], clientPolicyIdentities: [] },
  context: { purpose: 'test', requestId: 'req_0123456789abcdef', planId: null, card: null },
  createdBy: 'test',
  ...extra,
});

function changes(): { list: JobChange[]; next: (match: (c: JobChange) => boolean) => Promise<JobChange> } {
  const list: JobChange[] = [];
  const waiting: { match: (c: JobChange) => boolean; resolve: (c: JobChange) => void }[] = [];
  server.deps.jobs.onChange((c) => {
    list.push(c);
    for (const w of [...waiting]) if (w.match(c)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(c); }
  });
  return {
    list,
    next: (match) => {
      const found = list.find(match);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiting.push({ match, resolve }));
    },
  };
}

describe('enrollment', () => {
  beforeEach(() => boot());

  it('enrolls once with a token and pins the server key', async () => {
    const { token } = await server.deps.runners.createEnrollmentToken({ labels: ['Pool-EU'], createdBy: 'test' });
    const r = await post('/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ runnerId: expect.stringMatching(/^run_/), runnerToken: expect.stringMatching(/^pbr_/), serverKey: server.deps.signingKeys.publicKeyPem });
    const again = await post('/enroll', { enrollmentToken: token, name: 'fe02', labels: ['pool-eu'] });
    expect(again).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: expect.stringMatching(/unknown, expired or already used/) } } });
  });

  it.each([
    { name: 'an unknown token', token: 'pbe_nope', status: 401 },
    { name: 'an empty token', token: '', status: 400 },
  ])('refuses $name with $status', async ({ token, status }) => {
    const r = await post('/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toEqual(status === 401 ? 'unauthorized' : 'bad_request');
  });

  it('refuses an expired token', async () => {
    // A token made two hours ago (its one-hour life is over).
    const db = sqliteSql(new Database(join(dir, 'picbot.db')), 'picbot.db');
    const past = createRunnerStore(db, { now: () => new Date(Date.now() - 2 * 3600_000) });
    const { token } = await past.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    await db.close();
    const r = await post('/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] });
    expect(r.status).toBe(401);
  });

  it('refuses labels the token does not allow, without spending it', async () => {
    const { token } = await server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const r = await post('/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-us'] });
    expect(r).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringMatching(/does not allow pool-us/) } } });
    expect((await post('/enroll', { enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] })).status).toBe(200);
  });

  it.each([
    { name: 'no labels', body: { enrollmentToken: 'x', name: 'fe01', labels: [] }, field: 'body.labels' },
    { name: 'a bad label', body: { enrollmentToken: 'x', name: 'fe01', labels: ['pool eu'] }, field: 'body.labels.0' },
    { name: 'an unknown field', body: { enrollmentToken: 'x', name: 'fe01', labels: ['a'], admin: true }, field: 'body' },
  ])('answers 400 naming the field for $name', async ({ body, field }) => {
    const r = await post('/enroll', body);
    expect(r.status).toBe(400);
    expect(r.body.error.message.startsWith(field)).toBe(true);
  });
});

describe('bearer auth', () => {
  beforeEach(() => boot());

  it.each([
    { name: 'no header', token: undefined },
    { name: 'an unknown token', token: 'pbr_unknown' },
  ])('answers 401 JSON with $name', async ({ token }) => {
    for (const path of ['/jobs/lease', '/jobs/job_0123456789abcdef/heartbeat', '/jobs/job_0123456789abcdef/events', '/jobs/job_0123456789abcdef/result']) {
      const r = await post(path, { waitSeconds: 0 }, token);
      expect(r).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: expect.any(String) } } });
    }
  });

  it('answers 401 to a revoked runner', async () => {
    const runner = await enroll();
    expect((await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken)).status).toBe(204);
    expect(await server.deps.runners.revoke(runner.runnerId, 'test')).toMatchObject({ ok: true });
    expect((await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken)).status).toBe(401);
    expect(await server.deps.runners.revoke(runner.runnerId, 'test')).toMatchObject({ ok: false, code: 'already-revoked' });
  });
});

describe('jobs', () => {
  it('leases a signed job, stores events once per seq, renews the lease and stores the result', async () => {
    await boot();
    const runner = await enroll();
    const seen = changes();
    const job = await server.deps.jobs.create(discoverJob());
    const lease = await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken);
    expect(lease.status).toBe(200);
    expect(lease.body).toMatchObject({ jobId: job.id, leaseId: expect.any(String), leaseSeconds: 60 });
    expect(verifyEnvelope(lease.body.job.envelope, lease.body.job.signature, runner.serverKey)).toBe(true);
    const { leaseId } = lease.body;
    const events = [{ type: 'step-started', stepId: 'discover', at: '2026-01-01T00:00:00.000Z' }];
    expect((await post(`/jobs/${job.id}/events`, { leaseId, seq: 0, events }, runner.runnerToken)).body).toEqual({ ok: true, duplicate: false });
    expect((await post(`/jobs/${job.id}/events`, { leaseId, seq: 0, events }, runner.runnerToken)).body).toEqual({ ok: true, duplicate: true });
    expect((await post(`/jobs/${job.id}/events`, { leaseId, seq: 2, events }, runner.runnerToken)).status).toBe(409);
    const hb = await post(`/jobs/${job.id}/heartbeat`, { leaseId }, runner.runnerToken);
    expect(hb).toMatchObject({ status: 200, body: { cancel: false, leaseExpiresAt: expect.any(String) } });
    expect((await post(`/jobs/${job.id}/heartbeat`, { leaseId: 'other' }, runner.runnerToken)).status).toBe(409);
    const view = await server.deps.jobs.get(job.id);
    expect(view?.events.map((e) => e.event)).toEqual(events);
    expect(view?.job).toMatchObject({ status: 'leased', runnerId: runner.runnerId, runnerName: 'fe01', eventCount: 1 });
    // A discovery must carry what it read.
    expect((await post(`/jobs/${job.id}/result`, { leaseId, status: 'succeeded' }, runner.runnerToken)).status).toBe(400);
    const failed = { leaseId, status: 'failed', error: { code: 'shell_failed', message: 'x' } };
    expect((await post(`/jobs/${job.id}/result`, failed, runner.runnerToken)).body).toEqual({ ok: true, duplicate: false });
    expect((await post(`/jobs/${job.id}/result`, failed, runner.runnerToken)).body).toEqual({ ok: true, duplicate: true });
    expect((await post(`/jobs/${job.id}/heartbeat`, { leaseId }, runner.runnerToken)).status).toBe(409);
    expect(await server.deps.jobs.get(job.id)).toMatchObject({ job: { status: 'failed' }, result: { status: 'failed', error: { code: 'shell_failed' } } });
    await seen.next((c) => c.type === 'finished');
    expect(seen.list.map((c) => c.type)).toEqual(['created', 'leased', 'events', 'finished']);
    const audit = await server.deps.audit.list({ subjectId: job.id });
    expect(audit.map((a) => a.action)).toEqual(['job.created', 'job.leased', 'job.result']);
  });

  it('wakes a long-polling runner the moment a job for its label is created', async () => {
    await boot();
    const eu = await enroll(['pool-eu'], 'fe-eu');
    const polling = post('/jobs/lease', { waitSeconds: 30 }, eu.runnerToken);
    // Another label's job does not wake it; its own does.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.deps.jobs.create(discoverJob('pool-us'));
    const job = await server.deps.jobs.create(discoverJob('pool-eu'));
    const lease = await polling;
    expect(lease).toMatchObject({ status: 200, body: { jobId: job.id } });
  });

  it('serves many long-polls on one keep-alive connection without piling up listeners', async () => {
    await boot();
    const runner = await enroll();
    const sockets: import('node:net').Socket[] = [];
    server.http.server.on('connection', (s) => sockets.push(s));
    for (let i = 0; i < 15; i += 1) expect((await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken)).status).toBe(204);
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.length).toBeLessThan(15); // the client reused its connection
    for (const s of sockets) expect(s.listenerCount('close')).toBeLessThan(5);
  });

  it('leases each job to one runner only when several poll at once', async () => {
    await boot();
    const runners = await Promise.all([1, 2, 3, 4].map((n) => enroll(['pool-eu'], `fe0${n}`)));
    const jobs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => server.deps.jobs.create(discoverJob())));
    const leased: string[] = [];
    await Promise.all(runners.map(async (r) => {
      for (;;) {
        const lease = await post('/jobs/lease', { waitSeconds: 0 }, r.runnerToken);
        if (lease.status === 204) return;
        leased.push(lease.body.jobId);
      }
    }));
    expect([...leased].sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('tells a runner to cancel through the heartbeat; a queued job is cancelled at once', async () => {
    await boot();
    const runner = await enroll();
    const job = await server.deps.jobs.create(discoverJob());
    const lease = await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken);
    expect(await server.deps.jobs.cancel(job.id, 'test')).toMatchObject({ ok: true, job: { status: 'leased', cancelRequested: true } });
    expect((await post(`/jobs/${job.id}/heartbeat`, { leaseId: lease.body.leaseId }, runner.runnerToken)).body.cancel).toBe(true);
    const queued = await server.deps.jobs.create(discoverJob('pool-us'));
    expect(await server.deps.jobs.cancel(queued.id, 'test')).toMatchObject({ ok: true, job: { status: 'cancelled' } });
    expect(await server.deps.jobs.cancel(queued.id, 'test')).toMatchObject({ ok: false, code: 'finished' });
  });

  it('marks a job interrupted when its lease expires without a heartbeat', async () => {
    await boot({ leaseMs: 300 });
    const runner = await enroll();
    const seen = changes();
    const job = await server.deps.jobs.create(discoverJob());
    const lease = await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken);
    expect(lease.body.leaseSeconds).toBe(0.3);
    const finished = await seen.next((c) => c.type === 'finished');
    expect(finished.job).toMatchObject({ id: job.id, status: 'interrupted' });
    expect((await post(`/jobs/${job.id}/result`, { leaseId: lease.body.leaseId, status: 'failed' }, runner.runnerToken)).status).toBe(409);
    expect((await server.deps.audit.list({ subjectId: job.id })).map((a) => a.action)).toContain('job.interrupted');
  });

  it('expires a job nobody leased before its pickup deadline', async () => {
    const clock = fakeClock('2026-01-01T00:00:00.000Z');
    await boot({ clock });
    const job = await server.deps.jobs.create(discoverJob('pool-eu', { pickupTimeoutSeconds: 30 }));
    await (server.deps.jobs as unknown as { sweep(): Promise<void> }).sweep();
    expect((await server.deps.jobs.get(job.id))?.job.status).toBe('queued');
    clock.set('2026-01-01T00:00:31.000Z');
    await (server.deps.jobs as unknown as { sweep(): Promise<void> }).sweep();
    expect((await server.deps.jobs.get(job.id))?.job.status).toBe('expired');
    const runner = await enroll();
    expect((await post('/jobs/lease', { waitSeconds: 0 }, runner.runnerToken)).status).toBe(204);
  });

  it.each([
    { name: 'a write op in a discovery job', job: { steps: [{ id: 's1', title: 't', op: 'accessEdge.set', params: { allowFederatedUsers: true }, rollback: [] }] }, want: /not a read op/ },
    { name: 'an unknown op', job: { steps: [{ id: 's1', title: 't', op: 'publicProvider.purge', params: {}, rollback: [] }] }, want: /unknown op/ },
    { name: 'an apply job without a fingerprint', job: { kind: 'apply' as const }, want: /expected fingerprint/ },
  ])('refuses to create $name', async ({ job, want }) => {
    await boot();
    await expect(server.deps.jobs.create(discoverJob('pool-eu', job))).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(want) });
  });
});
