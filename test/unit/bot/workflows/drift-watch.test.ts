/**
 * The drift watch workflow on a real SQLite store (in memory) with hand-written fakes at its port
 * boundaries (the job queue, the runner registry, the card scheduler): which check results post a
 * card, which update it, and when "not checked" is said without asking a runner.
 */
import { readKey, type DriftKey } from '../../../../src/core/drift';
import type { ObservedState } from '../../../../src/contracts/observed';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { createDriftStore } from '../../../../src/bot/stores/drift-watch';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { Card } from '../../../../src/bot/turn';
import type { CardScheduler } from '../../../../src/bot/workflows/card-scheduler';
import { createDriftWatch, type DriftWatch } from '../../../../src/bot/workflows/drift-watch';
import type { PlanActor } from '../../../../src/bot/workflows/plan-context';
import type { CardRef, RunnerInfo } from '../../../../src/bot/workflows/ports';
import { silentLogger } from '../../../../src/shared/logger';
import { memorySql } from '../../../engines';
import { fakeClock, type FakeClock } from '../../../fakes/clock';
import { fakeJobQueue, type FakeJobQueue } from '../../../fakes/job-queue';
import { configuredState } from '../../../fixtures/load';

/** A CardScheduler that sends and renders at once and records what it did. */
function recordingCards() {
  const ops: { kind: 'send' | 'update'; conversationId: string; activityId: string; card: Card }[] = [];
  let n = 0;
  const cards: CardScheduler = {
    async send(conversationId, card) {
      n += 1;
      ops.push({ kind: 'send', conversationId, activityId: `a${n}`, card });
      return `a${n}`;
    },
    record: () => () => {},
    update(target: CardRef, render) {
      void render().then((card) => {
        if (card) ops.push({ kind: 'update', conversationId: target.conversationId, activityId: target.activityId, card });
      });
    },
    async idle() {
      await new Promise((r) => setImmediate(r));
    },
  };
  return { cards, ops };
}

const KEYS: DriftKey[] = [{ kind: 'accessEdge', param: 'allowFederatedUsers' }, { kind: 'policy', identity: 'Global', param: 'enablePublicCloudAccess' }];
const ADMIN: PlanActor = { id: 'admin-1', aadObjectId: 'admin-1', name: 'Dana Admin', admin: true, reader: true, conversationId: 'c-personal' };

let sql: Sql;
let clock: FakeClock;
let jobs: FakeJobQueue;
let runners: RunnerInfo[];
let watch: DriftWatch;
let ops: ReturnType<typeof recordingCards>['ops'];

beforeEach(async () => {
  sql = memorySql();
  clock = fakeClock('2026-12-07T08:00:00.000Z');
  jobs = fakeJobQueue(() => clock.now().toISOString());
  runners = [{ id: 'run_0000000000000001', name: 'fe01', labels: ['pool-eu'], enrolledAt: '2026-12-01T00:00:00.000Z', lastSeenAt: clock.now().toISOString(), revokedAt: null }];
  const rec = recordingCards();
  ops = rec.ops;
  const store = createDriftStore(sql);
  watch = createDriftWatch({
    store,
    plans: { get: async () => null, byJob: async () => null, list: async () => [] },
    jobs,
    runners: { list: async () => runners },
    requests: { get: async () => null },
    preflightRuns: null,
    audit: createAuditLog(sql, clock, Buffer.alloc(32, 7)),
    cards: rec.cards,
    views: {
      driftCard: (m) => ({ type: 'AdaptiveCard', state: m.record.alert?.state ?? 'none', keys: (m.record.alert?.differences ?? []).map((d) => d.id), snoozed: m.record.alert?.snoozedUntil ?? null }),
      checkNotice: (lines) => ({ type: 'AdaptiveCard', lines }),
    },
    putUp: async () => ({ ok: false, code: 'not-found', reason: 'no plans here' }),
    metrics: { checkRun: () => undefined, driftsOpen: () => undefined, restorePlan: () => undefined },
    clock,
    logger: silentLogger(),
    pickupTimeoutSeconds: 60,
  });
  jobs.onChange((c) => watch.onJobChange(c));
  const configured = configuredState('lync2013');
  await store.save({
    baseline: {
      target: 'pool-eu', profile: 'lync2013', requestId: 'req_0123456789abcdef', planId: 'plan_0123456789abcdef', conversationId: 'c-approvals',
      scope: { users: [], clientPolicyIdentities: [] }, entries: KEYS.map((key) => ({ key, value: readKey(configured, key), provider: null })),
      since: clock.now().toISOString(), setBy: 'plan_0123456789abcdef',
    },
    lastCheck: null,
    alert: null,
    updatedAt: clock.now().toISOString(),
  });
});
afterEach(() => sql.close());

const drifted = (change: (s: ObservedState) => void): ObservedState => {
  const s = structuredClone(configuredState('lync2013'));
  change(s);
  return s;
};
const fedOff = drifted((s) => {
  s.accessEdge.allowFederatedUsers = false;
});
const bothOff = drifted((s) => {
  s.accessEdge.allowFederatedUsers = false;
  s.externalAccessPolicies.find((p) => p.identity === 'Global')!.enablePublicCloudAccess = false;
});

/** One check answered by the runner with `observed` (or ended without a read). */
async function checkWith(observed: ObservedState | 'expired' | 'failed'): Promise<void> {
  const started = await watch.check('admin-1', 'pool-eu');
  if (!Array.isArray(started) || started[0]!.state !== 'queued') throw new Error(`not queued: ${JSON.stringify(started)}`);
  const jobId = started[0]!.jobId!;
  if (observed === 'expired') await jobs.end(jobId, 'expired');
  else if (observed === 'failed') await jobs.finish(jobId, { status: 'failed', error: { code: 'shell_failed', message: 'the shell died' } });
  else await jobs.finish(jobId, { status: 'succeeded', observed });
  await watch.idle();
}
const sends = () => ops.filter((o) => o.kind === 'send');
const updates = () => ops.filter((o) => o.kind === 'update');

describe('drift watch', () => {
  it('a runner not seen for more than 90 s: "not checked" at once, no job, no card', async () => {
    runners[0]!.lastSeenAt = new Date(clock.now().getTime() - 120_000).toISOString();
    const started = await watch.check('admin-1', null);
    expect(started).toEqual([{ target: 'pool-eu', state: 'not-checked', jobId: null, reason: 'the runner for pool-eu is offline (last seen 2026-12-07 07:58 UTC)' }]);
    expect(jobs.created).toHaveLength(0);
    expect((await watch.status('pool-eu'))!.lastCheck).toMatchObject({ status: 'not-checked' });
    expect(ops).toEqual([]);
  });

  it.each(['expired', 'failed'] as const)('a check that %s is "not checked", never clean, and posts nothing', async (how) => {
    await checkWith(how);
    const check = (await watch.status('pool-eu'))!.lastCheck!;
    expect(check.status).toBe('not-checked');
    expect(check.reason).toMatch(how === 'expired' ? /picked the check up within 60 s/ : /ended failed: the shell died/);
    expect(ops).toEqual([]);
  });

  it('posts once per drift, updates it while it lasts (also when it changes), and says when it is back', async () => {
    await checkWith(configuredState('lync2013'));
    expect(ops).toEqual([]);
    await checkWith(fedOff);
    expect(sends()).toHaveLength(1);
    expect(sends()[0]).toMatchObject({ conversationId: 'c-approvals', card: { state: 'open', keys: ['accessEdge.allowFederatedUsers'] } });
    await checkWith(fedOff);
    await checkWith(bothOff);
    expect(sends()).toHaveLength(1);
    expect(updates().map((u) => u.card.keys)).toEqual([['accessEdge.allowFederatedUsers'], ['accessEdge.allowFederatedUsers', 'policy[global].enablePublicCloudAccess']]);
    await checkWith(configuredState('lync2013'));
    expect(sends()).toHaveLength(1);
    expect(updates().at(-1)).toMatchObject({ activityId: 'a1', card: { state: 'resolved' } });
    // A new drift after that is a new card.
    await checkWith(fedOff);
    expect(sends()).toHaveLength(2);
  });

  it('snoozed: checks leave the card alone; after 24 h a still-open drift gets a fresh card and the old one says so', async () => {
    await checkWith(fedOff);
    const signature = (await watch.status('pool-eu'))!.alert!.signature;
    expect(await watch.snooze(ADMIN, 'pool-eu', signature)).toMatchObject({ ok: true });
    await watch.idle();
    const before = ops.length;
    await checkWith(bothOff);
    expect(ops).toHaveLength(before);
    clock.set('2026-12-08T08:00:01.000Z');
    runners[0]!.lastSeenAt = clock.now().toISOString();
    await checkWith(bothOff);
    expect(sends()).toHaveLength(2);
    expect(updates().at(-1)).toMatchObject({ activityId: 'a1', card: { state: 'resolved' } });
  });

  it('refuses a click on a card that shows an older drift, and an accept without a reason', async () => {
    await checkWith(fedOff);
    const old = (await watch.status('pool-eu'))!.alert!.signature;
    await checkWith(bothOff);
    expect(await watch.accept(ADMIN, 'pool-eu', old, 'ok')).toMatchObject({ ok: false, code: 'stale' });
    const now = (await watch.status('pool-eu'))!.alert!.signature;
    expect(await watch.accept(ADMIN, 'pool-eu', now, ' \n ')).toMatchObject({ ok: false, code: 'reason-required' });
    expect(await watch.accept({ ...ADMIN, admin: false }, 'pool-eu', now, 'ok')).toMatchObject({ ok: false, code: 'not-admin' });
    expect(await watch.accept(ADMIN, 'pool-eu', now, 'on purpose')).toMatchObject({ ok: true });
    await checkWith(bothOff);
    expect((await watch.status('pool-eu'))!.lastCheck!.status).toBe('clean');
  });
});
