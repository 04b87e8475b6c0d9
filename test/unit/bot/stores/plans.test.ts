import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { createPlanStore, createVoteStore } from '../../../../src/bot/stores/plans';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { PlanRecord } from '../../../../src/bot/workflows/ports';
import type { Vote } from '../../../../src/core/approval-policy';
import { discoveryScope } from '../../../../src/core/discovery-scope';
import { plan } from '../../../../src/core/planner';
import { openTestDatabase, type TestDatabase } from '../../../engines';
import { freshState, requestFixture } from '../../../fixtures/load';

let database: TestDatabase;
let sql: Sql;
let tick = 0;
const now = () => new Date(Date.UTC(2026, 2, 1, 0, 0, tick++)).toISOString();
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

function record(id: string, over: Partial<PlanRecord> = {}): PlanRecord {
  const request = requestFixture('global');
  return {
    id, kind: 'apply', requestId: 'req_0000000000000001', revision: 1, targetLabel: request.target.label, request,
    plan: plan(request, freshState('lync2013'), 'lync2013'), discovery: discoveryScope(request),
    requesterId: 'dana', requesterName: 'Dana', requestedIn: 'conv-1', status: 'pending-approval',
    createdAt: now(), updatedAt: now(), expiresAt: '2026-03-04T00:00:00.000Z', remindedAt: null,
    card: null, jobId: null, rollbackOf: null, cardShows: null, follows: null, ...over,
  };
}
const auditOf = (d: Sql) => createAuditLog(d, { now: () => new Date(now()) }, Buffer.alloc(32, 7)).inTransaction;
const vote = (voterId: string, planHash: string, decision: Vote['decision'] = 'approve'): Vote =>
  ({ voterId, voterName: voterId, planHash, decision, reason: decision === 'reject' ? 'no' : null, at: now() });

describe('plan store', () => {
  it('round-trips a plan record with its plan, request and discovery scope', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    const r = record('plan_a', { card: { conversationId: 'c', activityId: 'a1' } });
    await plans.create(r);
    expect(await plans.get('plan_a')).toEqual(r);
    expect(await plans.get('plan_missing')).toBeNull();
  });

  it('compare-and-set: a move from a status the plan no longer has is refused', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    await plans.create(record('plan_a'));
    const first = await plans.update('plan_a', { status: 'pending-approval', revision: 1 }, { status: 'approved' });
    expect(first?.status).toBe('approved');
    const second = await plans.update('plan_a', { status: 'pending-approval', revision: 1 }, { status: 'approved' });
    expect(second).toBeNull();
    expect(await plans.update('plan_a', { status: 'approved', revision: 2 }, { status: 'applying' })).toBeNull();
    expect((await plans.get('plan_a'))?.status).toBe('approved');
  });

  it('finds a plan by its job and lists by status and request, most recent first', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    await plans.create(record('plan_a'));
    await plans.create(record('plan_b', { requestId: 'req_other' }));
    await plans.update('plan_a', { status: 'pending-approval', revision: 1 }, { status: 'approved' });
    await plans.update('plan_a', { status: 'approved', revision: 1 }, { status: 'applying', jobId: 'job_1' });
    expect((await plans.byJob('job_1'))?.id).toBe('plan_a');
    expect(await plans.byJob('job_2')).toBeNull();
    expect(await plans.cardOfJob('job_1')).toEqual({ id: 'plan_a', card: null });
    await plans.note('plan_a', { card: { conversationId: 'a:1', activityId: 'act-1' } });
    expect(await plans.cardOfJob('job_1')).toEqual({ id: 'plan_a', card: { conversationId: 'a:1', activityId: 'act-1' } });
    expect(await plans.cardOfJob('job_2')).toBeNull();
    expect((await plans.list()).map((p) => p.id)).toEqual(['plan_a', 'plan_b']);
    expect((await plans.list({ statuses: ['pending-approval'] })).map((p) => p.id)).toEqual(['plan_b']);
    expect((await plans.list({ requestId: 'req_other' })).map((p) => p.id)).toEqual(['plan_b']);
  });

  it('note() records the card and what it shows without touching the status', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    await plans.create(record('plan_a'));
    await plans.note('plan_a', { card: { conversationId: 'c', activityId: 'x' } });
    await plans.note('plan_a', { cardShows: '3:running' });
    expect(await plans.get('plan_a')).toMatchObject({ status: 'pending-approval', card: { conversationId: 'c', activityId: 'x' }, cardShows: '3:running' });
  });

  it('refuses to read a row whose plan JSON disagrees with its hash column', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    await plans.create(record('plan_a'));
    await sql.run("UPDATE plans SET plan_hash = 'f' WHERE id = ?", ['plan_a']);
    await expect(plans.get('plan_a')).rejects.toMatchObject({ code: 'store_failed' });
  });
});

describe('vote store', () => {
  it('keeps one vote per plan, voter and hash, in cast order', async () => {
    const plans = createPlanStore(sql, now, auditOf(sql));
    await plans.create(record('plan_a'));
    const votes = createVoteStore(sql, auditOf(sql));
    expect(await votes.add('plan_a', vote('alex', 'h1'))).toBe(true);
    expect(await votes.add('plan_a', vote('alex', 'h1', 'reject'))).toBe(false);
    expect(await votes.add('plan_a', vote('alex', 'h2'))).toBe(true);
    expect(await votes.add('plan_a', vote('sam', 'h1'))).toBe(true);
    expect((await votes.list('plan_a')).map((v) => `${v.voterId}:${v.planHash}:${v.decision}`)).toEqual(['alex:h1:approve', 'alex:h2:approve', 'sam:h1:approve']);
  });

  it('refuses a vote on a plan that does not exist', async () => {
    await expect(createVoteStore(sql, auditOf(sql)).add('plan_none', vote('alex', 'h1'))).rejects.toMatchObject({ code: 'store_failed' });
  });
});
