import { createMetrics } from '../../../src/bot/metrics';
import { countRefusals, jobObserver, lastSeenBucket, readGatewayAtScrape, readPlansAtScrape, REFUSED_LABEL_PAIRS, type PoolUse } from '../../../src/bot/metrics-sources';
import { createRefusedActivityCounter } from '../../../src/bot/teams/activity-gate';
import type { JobRecord, JobStatus, PlanRecord, RunnerInfo } from '../../../src/bot/workflows/ports';
import { parseExposition, valueOf } from '../../fakes/prometheus-text';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const clock = { now: () => new Date(NOW) };
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();
const runner = (seenSecondsAgo: number, revoked = false): RunnerInfo => ({
  id: `run_${seenSecondsAgo}`, name: 'r', labels: ['pool-eu'], enrolledAt: ago(99_999), lastSeenAt: ago(seenSecondsAgo), revokedAt: revoked ? ago(1) : null,
});
const job = (status: JobStatus, extra: Partial<JobRecord> = {}) => ({ id: 'job_1', kind: 'discover', status, createdAt: ago(10), leasedAt: null, ...extra }) as JobRecord;

async function scrape(m: ReturnType<typeof createMetrics>) {
  return parseExposition((await m.exposition()).text);
}

describe('lastSeenBucket', () => {
  it.each([
    { age: 0, want: '1m' }, { age: 59.9, want: '1m' }, { age: 60, want: '10m' }, { age: 599, want: '10m' },
    { age: 600, want: '1h' }, { age: 3599, want: '1h' }, { age: 3600, want: 'older' }, { age: 1e9, want: 'older' },
  ])('$age s → $want', ({ age, want }) => {
    expect(lastSeenBucket(age)).toBe(want);
  });
});

describe('readGatewayAtScrape', () => {
  function setup(poolUse: () => PoolUse | null) {
    const m = createMetrics();
    const asked: unknown[] = [];
    readGatewayAtScrape(m, {
      jobs: { list: async (filter) => { asked.push(filter); return filter?.statuses?.[0] === 'queued' ? [job('queued'), job('queued')] : [job('leased')]; } },
      runners: { list: async () => [runner(5), runner(30), runner(120), runner(7200), runner(1, true)] },
      clock,
      poolUse,
    });
    return { m, asked };
  }

  it('counts open jobs by status and runners by last seen (revoked ones left out)', async () => {
    const { m, asked } = setup(() => null);
    const e = await scrape(m);
    expect(valueOf(e, 'picbot_jobs', { status: 'queued' })).toBe(2);
    expect(valueOf(e, 'picbot_jobs', { status: 'leased' })).toBe(1);
    expect(asked).toEqual([{ statuses: ['queued'], limit: 10_000 }, { statuses: ['leased'], limit: 10_000 }]);
    expect(Object.fromEntries(['1m', '10m', '1h', 'older'].map((b) => [b, valueOf(e, 'picbot_runners', { last_seen: b })]))).toEqual({ '1m': 2, '10m': 1, '1h': 0, older: 1 });
  });

  it('prints no pool series without a pool, and the pool\'s use with one', async () => {
    let use: PoolUse | null = null;
    const { m } = setup(() => use);
    expect((await scrape(m)).samples.filter((s) => s.name === 'picbot_db_pool_clients')).toEqual([]);
    use = { total: 10, idle: 7, waiting: 1 };
    const e = await scrape(m);
    expect(['total', 'idle', 'waiting'].map((state) => valueOf(e, 'picbot_db_pool_clients', { state }))).toEqual([10, 7, 1]);
    use = null;
    expect((await scrape(m)).samples.filter((s) => s.name === 'picbot_db_pool_clients')).toEqual([]);
  });
});

describe('readPlansAtScrape', () => {
  it('counts the plans pending approval', async () => {
    const m = createMetrics();
    const asked: unknown[] = [];
    readPlansAtScrape(m, { list: async (filter) => { asked.push(filter); return [{}, {}, {}] as PlanRecord[]; } });
    expect(valueOf(await scrape(m), 'picbot_approvals_pending')).toBe(3);
    expect(asked).toEqual([{ statuses: ['pending-approval'], limit: 10_000 }]);
  });
});

describe('jobObserver', () => {
  it('observes pickup latency on a lease and counts ended jobs by status', async () => {
    const m = createMetrics();
    const observe = jobObserver(m);
    observe({ type: 'created', job: job('queued') });
    observe({ type: 'leased', job: job('leased', { createdAt: ago(3), leasedAt: ago(0) }) });
    observe({ type: 'finished', job: job('succeeded'), result: null });
    observe({ type: 'finished', job: job('expired'), result: null });
    const e = await scrape(m);
    expect(valueOf(e, 'picbot_job_pickup_seconds_count', { kind: 'discover' })).toBe(1);
    expect(valueOf(e, 'picbot_job_pickup_seconds_sum', { kind: 'discover' })).toBe(3);
    expect(valueOf(e, 'picbot_jobs_finished_total', { status: 'succeeded' })).toBe(1);
    expect(valueOf(e, 'picbot_jobs_finished_total', { status: 'expired' })).toBe(1);
  });
});

describe('countRefusals', () => {
  it('counts into the gate\'s counter and the metrics; past the label budget, pairs count as "other"', async () => {
    const m = createMetrics();
    const inner = createRefusedActivityCounter();
    const counter = countRefusals(inner, m);
    counter.add('webchat', null);
    counter.add('webchat', null);
    for (let i = 0; i < REFUSED_LABEL_PAIRS + 5; i += 1) counter.add('msteams', `tenant-${i}`);
    expect(counter.total()).toBe(REFUSED_LABEL_PAIRS + 7);
    expect(inner.total()).toBe(REFUSED_LABEL_PAIRS + 7);
    const e = await scrape(m);
    expect(valueOf(e, 'picbot_refused_activities_total', { channel: 'webchat', tenant: 'none' })).toBe(2);
    expect(valueOf(e, 'picbot_refused_activities_total', { channel: 'msteams', tenant: 'tenant-0' })).toBe(1);
    // One pair (webchat, none) took a slot: the last six tenants share "other".
    expect(valueOf(e, 'picbot_refused_activities_total', { channel: 'other', tenant: 'other' })).toBe(6);
    expect(e.samples.filter((s) => s.name === 'picbot_refused_activities_total')).toHaveLength(REFUSED_LABEL_PAIRS + 1);
  });
});
