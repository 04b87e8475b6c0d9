/** The job store's envelope reading: parsed once per job, yet always what is stored. */
import { createJobStore } from '../../../../src/bot/stores/jobs';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import type { Sql } from '../../../../src/bot/stores/sql';
import { jobAudit } from '../../../../src/bot/runner-gateway/job-queue';
import { PROTOCOL_VERSION, type JobEnvelope } from '../../../../src/contracts/runner-api';
import { openTestDatabase, type TestDatabase } from '../../../engines';
import { fakeClock } from '../../../fakes/clock';

let database: TestDatabase;
let sql: Sql;
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

const storeAt = (iso: string) => {
  const clock = fakeClock(iso);
  return createJobStore(sql, clock, createAuditLog(sql, clock, Buffer.alloc(32, 7)).inTransaction, jobAudit);
};

const envelope = (jobId: string, users: string[]): JobEnvelope => ({
  protocolVersion: PROTOCOL_VERSION, jobId, kind: 'discover', target: 'pool-eu', profile: 'lync2013',
  discovery: { users, clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-03-01T00:00:00.000Z',
});

async function insert(store: ReturnType<typeof createJobStore>, e: JobEnvelope): Promise<void> {
  await store.insert({ envelope: e, signature: 'sig', context: { purpose: 'test', requestId: null, planId: null, card: null }, createdBy: 'test', pickupDeadline: null });
}

describe('job store envelopes', () => {
  it('reads a job\'s envelope once and answers later reads from it while the stored text is the same', async () => {
    const store = storeAt('2026-03-01T00:00:00.000Z');
    await insert(store, envelope('job_0000000000000001', ['sip:a@contoso.com']));
    const first = await store.record('job_0000000000000001');
    const again = await store.record('job_0000000000000001');
    expect(first!.envelope.discovery.users).toEqual(['sip:a@contoso.com']);
    expect(again!.envelope).toBe(first!.envelope);
  });

  it('parses again (and checks again) when the stored text is not what it read before', async () => {
    const store = storeAt('2026-03-01T00:00:00.000Z');
    await insert(store, envelope('job_0000000000000001', ['sip:a@contoso.com']));
    await store.record('job_0000000000000001');
    await sql.run('UPDATE jobs SET envelope = ? WHERE id = ?', [JSON.stringify(envelope('job_0000000000000001', ['sip:b@contoso.com'])), 'job_0000000000000001']);
    expect((await store.record('job_0000000000000001'))!.envelope.discovery.users).toEqual(['sip:b@contoso.com']);
    await sql.run('UPDATE jobs SET envelope = ? WHERE id = ?', ['{"protocolVersion":1}', 'job_0000000000000001']);
    await expect(store.record('job_0000000000000001')).rejects.toThrow(/reading the envelope of job job_0000000000000001: it no longer parses/);
  });

  it('keeps only the last 16 envelopes, each job still read right', async () => {
    const store = storeAt('2026-03-01T00:00:00.000Z');
    const ids = Array.from({ length: 20 }, (_, i) => `job_${String(i).padStart(16, '0')}`);
    for (const id of ids) await insert(store, envelope(id, [`sip:${id}@contoso.com`]));
    const firstRead = await store.record(ids[0]!);
    for (const id of ids) expect((await store.record(id))!.envelope.discovery.users).toEqual([`sip:${id}@contoso.com`]);
    // The first one was dropped to make room, so it is parsed anew.
    expect((await store.record(ids[0]!))!.envelope).not.toBe(firstRead!.envelope);
    expect((await store.record(ids[19]!))!.envelope).toBe((await store.record(ids[19]!))!.envelope);
  });
});
