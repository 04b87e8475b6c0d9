/**
 * The job store on the run's database (SQLite, or PostgreSQL under `npm run test:pg`): how the
 * states a crash or an outage can leave are resolved, and the late record of an interrupted job.
 * Time is a fake clock.
 */
import { envelopeHash, PROTOCOL_VERSION, type JobEnvelope, type JobEvent } from '../../../../src/contracts/runner-api';
import { jobAudit } from '../../../../src/bot/runner-gateway/job-queue';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { CARD_LOG_EVENTS, createJobStore, type JobStore } from '../../../../src/bot/stores/jobs';
import { createRunnerStore } from '../../../../src/bot/stores/runners';
import type { Sql } from '../../../../src/bot/stores/sql';
import { stepProgress, warningsOf } from '../../../../src/core/job-progress';
import { EVENTS_PER_STEP, jobEventLimit, jobTimeLimitMs, LOG_EVENTS_ALLOWANCE } from '../../../../src/core/job-limits';
import { openTestDatabase, reopenTestDatabase, type TestDatabase } from '../../../engines';
import { fakeClock, type FakeClock } from '../../../fakes/clock';

const LEASE_MS = 6_000;
let database: TestDatabase;
let sql: Sql;
let clock: FakeClock;
let store: JobStore;
let runnerA: string;
let runnerB: string;
let n = 0;

const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms).toISOString());
const audit = () => createAuditLog(sql, clock, Buffer.alloc(32, 7));

beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
  clock = fakeClock('2026-12-01T10:00:00.000Z');
  store = createJobStore(sql, clock, audit().inTransaction, jobAudit);
  const runners = createRunnerStore(sql, clock);
  const enroll = async (name: string) => {
    const { token } = await runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const r = await runners.enroll({ enrollmentToken: token, name, labels: ['pool-eu'] });
    if (!r.ok) throw new Error(r.reason);
    return r.runner.id;
  };
  runnerA = await enroll('fe01');
  runnerB = await enroll('fe02');
});
afterEach(() => database.dispose());

function envelope(steps = 2): JobEnvelope {
  n += 1;
  return {
    protocolVersion: PROTOCOL_VERSION, jobId: `job_${String(n).padStart(16, '0')}`, kind: 'apply', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: ['Global'] },
    steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i + 1}`, title: `step ${i + 1}`, op: 'accessEdge.set', params: { allowFederatedUsers: true }, rollback: [{ op: 'accessEdge.set', params: { allowFederatedUsers: false } }] })),
    expectedFingerprint: 'a'.repeat(64), planHash: 'b'.repeat(64), approvals: [], issuedAt: clock.now().toISOString(),
  };
}

async function leased(steps = 2) {
  const env = envelope(steps);
  await store.insert({ envelope: env, signature: 'sig', context: { purpose: 'plan-apply', requestId: null, planId: null, card: null }, createdBy: 'dana', pickupDeadline: null });
  const lease = (await store.lease({ id: runnerA, labels: ['pool-eu'] }, LEASE_MS))!;
  return { env, lease, hash: envelopeHash(env) };
}

const at = () => clock.now().toISOString();
const stepEvents = (stepId: string): JobEvent[] => [
  { type: 'step-started', stepId, at: at() },
  { type: 'step-finished', stepId, at: at(), status: 'done', durationMs: 5 },
];
const actions = async (jobId: string) => (await audit().list({ subjectId: jobId })).map((r) => r.action);

describe('start-up and outage states of a job', () => {
  it('a lease that ran out while the server was down: interrupted at the first sweep, with its audit row, and never leased again', async () => {
    const { env } = await leased();
    later(LEASE_MS + 1);
    const swept = await store.sweep();
    expect(swept.map((j) => [j.id, j.status])).toEqual([[env.jobId, 'interrupted']]);
    expect(await actions(env.jobId)).toEqual(['job.created', 'job.leased', 'job.interrupted']);
    expect(await store.lease({ id: runnerA, labels: ['pool-eu'] }, LEASE_MS)).toBeNull();
    expect((await audit().verify()).ok).toBe(true);
  });

  it('events after the lease ended, before any sweep: the job is interrupted in the same call and the batch is taken as late', async () => {
    const { env, lease, hash } = await leased();
    expect(await store.appendEvents(env.jobId, runnerA, lease.leaseId, 0, [{ type: 'step-started', stepId: 's1', at: at() }], hash)).toMatchObject({ ok: true, late: false });
    later(LEASE_MS + 1);
    const r = await store.appendEvents(env.jobId, runnerA, lease.leaseId, 1, [{ type: 'step-finished', stepId: 's1', at: at(), status: 'done', durationMs: 5 }], hash);
    expect(r).toMatchObject({ ok: true, late: true, job: { status: 'interrupted' }, interrupted: { id: env.jobId } });
    const view = (await store.get(env.jobId))!;
    expect(view.events.map((e) => e.late)).toEqual([false, true]);
    expect(view.job.lateAt).toBe(at());
    expect(await actions(env.jobId)).toEqual(['job.created', 'job.leased', 'job.interrupted', 'job.step']);
    expect((await audit().list({ subjectId: env.jobId })).at(-1)!.detail).toMatchObject({ stepId: 's1', late: true });
  });

  it.each([
    ['another runner', () => runnerB, (l: string) => l, (h: string) => h],
    ['another lease id', () => runnerA, () => 'f'.repeat(32), (h: string) => h],
    ['no envelope hash', () => runnerA, (l: string) => l, () => undefined],
    ['a wrong envelope hash', () => runnerA, (l: string) => l, () => 'c'.repeat(64)],
  ])('refuses late events from %s', async (_what, runner, leaseOf, hashOf) => {
    const { env, lease, hash } = await leased();
    later(LEASE_MS + 1);
    await store.sweep();
    const r = await store.appendEvents(env.jobId, runner(), leaseOf(lease.leaseId), 0, stepEvents('s1'), hashOf(hash));
    expect(r).toMatchObject({ ok: false, code: 'lease-lost' });
    expect((await store.get(env.jobId))!.events).toEqual([]);
  });

  it('a late result is recorded, the job stays interrupted, and a resend is a duplicate', async () => {
    const { env, lease, hash } = await leased();
    later(LEASE_MS + 1);
    await store.sweep();
    await store.appendEvents(env.jobId, runnerA, lease.leaseId, 0, stepEvents('s1'), hash);
    const result = { status: 'cancelled' as const, observed: null, after: null, replication: null, error: { code: 'lease_expired', message: 'stopped' } };
    expect(await store.finish(env.jobId, runnerA, lease.leaseId, result, hash)).toMatchObject({ ok: true, duplicate: false, late: true, job: { status: 'interrupted' }, result: { late: true } });
    expect(await store.finish(env.jobId, runnerA, lease.leaseId, result, hash)).toMatchObject({ ok: true, duplicate: true });
    expect(await actions(env.jobId)).toEqual(['job.created', 'job.leased', 'job.interrupted', 'job.step', 'job.late-result']);
    expect((await audit().verify()).ok).toBe(true);
  });

  it('a runner that restarted within its lease reports normally (not late)', async () => {
    const { env, lease, hash } = await leased();
    await store.appendEvents(env.jobId, runnerA, lease.leaseId, 0, stepEvents('s1'), hash);
    const r = await store.finish(env.jobId, runnerA, lease.leaseId, { status: 'failed', observed: null, after: null, replication: null, error: { code: 'runner_restarted', message: 'x' } }, hash);
    expect(r).toMatchObject({ ok: true, late: false, job: { status: 'failed', lateAt: null } });
  });

  it('a job past its time limit is interrupted even while its heartbeats keep the lease alive', async () => {
    const { env, lease } = await leased(1);
    const limit = jobTimeLimitMs(env);
    for (let t = 0; t < limit; t += LEASE_MS / 2) {
      later(LEASE_MS / 2);
      const beat = await store.heartbeat(env.jobId, runnerA, lease.leaseId, LEASE_MS);
      if (!beat.ok) {
        expect(beat).toMatchObject({ code: 'lease-lost', reason: expect.stringMatching(/time limit/), interrupted: { status: 'interrupted' } });
        break;
      }
    }
    expect((await store.record(env.jobId))!.status).toBe('interrupted');
    const rows = await audit().list({ subjectId: env.jobId });
    expect(rows.at(-1)).toMatchObject({ action: 'job.interrupted', detail: { reason: 'time-limit' } });
  });

  it('bounds the events a job may store: four per step plus an allowance of log lines', async () => {
    const { env, lease, hash } = await leased(2);
    const limit = jobEventLimit(env);
    expect(limit).toBe(EVENTS_PER_STEP * 3 + LOG_EVENTS_ALLOWANCE);
    const log = (i: number): JobEvent => ({ type: 'log', at: at(), level: 'info', message: `line ${i}` });
    let seq = 0;
    for (let sent = 0; sent < limit; sent += 100) {
      const batch = Array.from({ length: Math.min(100, limit - sent) }, (_, i) => log(sent + i));
      expect(await store.appendEvents(env.jobId, runnerA, lease.leaseId, seq, batch, hash)).toMatchObject({ ok: true });
      seq += 1;
    }
    expect(await store.appendEvents(env.jobId, runnerA, lease.leaseId, seq, [log(limit)], hash)).toMatchObject({ ok: false, code: 'too-many-events' });
  });

  it('a 5,000-user plan fits the bounds: its events and its time', () => {
    const steps = Array.from({ length: 5_010 }, (_, i) => ({ id: `grant-${i}`, title: 'g', op: 'externalAccessPolicy.grant', params: { user: `sip:u${i}@contoso.com`, policyName: 'P' }, rollback: [] }));
    const big = { ...envelope(0), steps, discovery: { users: steps.map((s) => String(s.params.user)), clientPolicyIdentities: ['Global'] } };
    // At least four events per step, plus log lines.
    expect(jobEventLimit(big)).toBeGreaterThanOrEqual(4 * steps.length + 500);
    // Each grant has its own budget, beside the two reads of every user.
    expect(jobTimeLimitMs(big)).toBeGreaterThanOrEqual(steps.length * 30_000);
  });

  it('a card view reads per step its last events and the first warnings, and shows the same progress as every event', async () => {
    const { env, lease, hash } = await leased(3);
    const log = (i: number, level: 'info' | 'warn'): JobEvent => ({ type: 'log', at: at(), level, message: `line ${i}` });
    const batches: JobEvent[][] = [
      [...stepEvents('s1'), ...Array.from({ length: 60 }, (_, i) => log(i, 'info'))],
      [{ type: 'step-started', stepId: 's2', at: at() }, ...Array.from({ length: 30 }, (_, i) => log(i, 'warn'))],
      [{ type: 'step-finished', stepId: 's2', at: at(), status: 'failed', durationMs: 3, error: { code: 'x', message: 'no' } }],
    ];
    for (const [seq, batch] of batches.entries()) await store.appendEvents(env.jobId, runnerA, lease.leaseId, seq, batch, hash);
    const all = (await store.get(env.jobId))!;
    const card = (await store.cardView(env.jobId))!;
    expect(all.events).toHaveLength(94);
    expect(card.events).toHaveLength(4 + CARD_LOG_EVENTS);
    expect(stepProgress(env.steps, card.events.map((e) => e.event))).toEqual(stepProgress(env.steps, all.events.map((e) => e.event)));
    expect(warningsOf(card.events.map((e) => e.event)).slice(0, 5)).toEqual(warningsOf(all.events.map((e) => e.event)).slice(0, 5));
    expect(card.job).toEqual(all.job);
  });
});

describe('two instances sweeping at once', () => {
  it('each expired lease and pickup moves once, with one audit row, however many sweeps race', async () => {
    // PostgreSQL: a second pool on the same schema, as a second instance has; SQLite: one process, one handle.
    const other = database.engine === 'postgres' ? await reopenTestDatabase(database) : sql;
    try {
      const second = createJobStore(other, clock, createAuditLog(other, clock, Buffer.alloc(32, 7)).inTransaction, jobAudit);
      for (let i = 0; i < 5; i += 1) await leased();
      for (let i = 0; i < 5; i += 1) {
        await store.insert({ envelope: envelope(), signature: 'sig', context: { purpose: 'plan-apply', requestId: null, planId: null, card: null }, createdBy: 'dana', pickupDeadline: new Date(clock.now().getTime() + 1000).toISOString() });
      }
      later(LEASE_MS + 1000);
      const swept = (await Promise.all([store.sweep(), second.sweep(), store.sweep(), second.sweep()])).flat();
      expect(swept.map((j) => j.id).sort()).toEqual([...new Set(swept.map((j) => j.id))].sort());
      expect(swept.filter((j) => j.status === 'interrupted')).toHaveLength(5);
      expect(swept.filter((j) => j.status === 'expired')).toHaveLength(5);
      const rows = await sql.all<{ action: string; n: number }>("SELECT action, COUNT(*) AS n FROM audit_log WHERE action IN ('job.interrupted', 'job.expired') GROUP BY action ORDER BY action");
      expect(rows.map((r) => ({ action: r.action, n: Number(r.n) }))).toEqual([{ action: 'job.expired', n: 5 }, { action: 'job.interrupted', n: 5 }]);
      expect(await audit().verify()).toMatchObject({ ok: true });
    } finally {
      if (other !== sql) await other.close();
    }
  });
});
