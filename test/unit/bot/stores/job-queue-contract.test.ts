/**
 * The JobQueue port's contract (what the workflows rely on: create, get, list, cancel, the change
 * listener), run against the runner gateway's queue on the test run's database and against the
 * hand-written fake (test/fakes/job-queue.ts) the workflow unit tests use in its place.
 */
import { randomBytes } from 'node:crypto';
import { generateSigningKeys } from '../../../../src/contracts/signing';
import { createJobQueue, jobAudit } from '../../../../src/bot/runner-gateway/job-queue';
import { createLeaseWaiters } from '../../../../src/bot/runner-gateway/waiters';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { createJobStore } from '../../../../src/bot/stores/jobs';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { JobChange, JobQueue, NewJob } from '../../../../src/bot/workflows/ports';
import { silentLogger } from '../../../../src/shared/logger';
import { ENGINE_NAME, openTestDatabase, type TestDatabase } from '../../../engines';
import { fakeJobQueue } from '../../../fakes/job-queue';

const NOW = '2026-11-02T09:00:00.000Z';
const clock = { now: () => new Date(NOW) };
const keys = generateSigningKeys();

let database: TestDatabase;
let sql: Sql;
const closers: (() => void)[] = [];
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await database.dispose();
});

function storedQueue(): JobQueue {
  const audit = createAuditLog(sql, clock, randomBytes(32));
  const queue = createJobQueue({
    store: createJobStore(sql, clock, audit.inTransaction, jobAudit),
    clock, logger: silentLogger(), signingKeys: keys, scriptSha256: 'ab'.repeat(32), waiters: createLeaseWaiters(),
  });
  closers.push(() => queue.close());
  return queue;
}

const queues: [string, () => JobQueue][] = [[ENGINE_NAME, storedQueue], ['fake', () => fakeJobQueue(() => NOW)]];

const job = (over: Partial<NewJob> = {}): NewJob => ({
  kind: 'discover', target: 'pool-eu', profile: 'lync2013', discovery: { users: [], clientPolicyIdentities: [] },
  context: { purpose: 'discovery', requestId: 'req_0123456789abcdef', planId: null, card: null },
  createdBy: 'aad:dana', pickupTimeoutSeconds: null, ...over,
});

/** The next change the queue tells a listener (the real queue tells them after its transaction). */
function nextChange(queue: JobQueue, match: (c: JobChange) => boolean): Promise<JobChange> {
  return new Promise((resolve) => {
    const off = queue.onChange((c) => {
      if (!match(c)) return;
      off();
      resolve(c);
    });
  });
}

describe.each(queues)('JobQueue (%s)', (_name, make) => {
  it('creates a queued job it can read back, and tells its listeners', async () => {
    const queue = make();
    const told = nextChange(queue, (c) => c.type === 'created');
    const created = await queue.create(job());
    expect(created).toMatchObject({ id: expect.stringMatching(/^job_[0-9a-z]{16}$/), kind: 'discover', target: 'pool-eu', status: 'queued', cancelRequested: false, createdBy: 'aad:dana' });
    expect(created.envelope).toMatchObject({ jobId: created.id, kind: 'discover', target: 'pool-eu', profile: 'lync2013', steps: [] });
    expect(await queue.get(created.id)).toMatchObject({ job: { id: created.id, status: 'queued' }, events: [], result: null });
    expect(await queue.cardView(created.id)).toMatchObject({ job: { id: created.id }, events: [] });
    expect(await told).toMatchObject({ type: 'created', job: { id: created.id } });
    expect(await queue.get('job_0000000000000000')).toBeNull();
  });

  it('lists jobs newest first, by request, plan, purpose and status', async () => {
    const queue = make();
    const a = await queue.create(job());
    const b = await queue.create(job({ context: { purpose: 'plan-apply', requestId: 'req_0123456789abcdef', planId: 'plan_0123456789abcdef', card: null } }));
    const c = await queue.create(job({ context: { purpose: 'discovery', requestId: 'req_fedcba9876543210', planId: null, card: null } }));
    expect((await queue.list()).map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect((await queue.list({ requestId: 'req_0123456789abcdef' })).map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await queue.list({ planId: 'plan_0123456789abcdef' })).map((j) => j.id)).toEqual([b.id]);
    expect((await queue.list({ purpose: 'discovery' })).map((j) => j.id)).toEqual([c.id, a.id]);
    expect((await queue.list({ statuses: ['succeeded'] })).map((j) => j.id)).toEqual([]);
    expect((await queue.list({ limit: 1 })).map((j) => j.id)).toEqual([c.id]);
  });

  it('cancels a queued job at once (told as finished); a second cancel finds it ended; an unknown job is not found', async () => {
    const queue = make();
    const created = await queue.create(job());
    const told = nextChange(queue, (c) => c.type === 'finished');
    expect(await queue.cancel(created.id, 'aad:dana')).toMatchObject({ ok: true, job: { id: created.id, status: 'cancelled' } });
    expect(await told).toMatchObject({ type: 'finished', job: { id: created.id, status: 'cancelled' }, result: null });
    expect(await queue.cancel(created.id, 'aad:dana')).toMatchObject({ ok: false, code: 'finished' });
    expect(await queue.cancel('job_0000000000000000', 'aad:dana')).toMatchObject({ ok: false, code: 'not-found' });
  });

  it('knows no observed state of a request nothing was discovered for', async () => {
    expect(await make().latestObserved('req_0123456789abcdef')).toBeNull();
  });
});
