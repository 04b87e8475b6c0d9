/**
 * The plan workflows over real SQLite stores (in memory), with hand-written fakes at the ports:
 * the JobQueue (the test plays the runner), the ChatNotifier (records cards) and the views (the
 * card model as JSON, so assertions read the state rather than card layout).
 */
import { createCardScheduler } from '../../../../src/bot/teams/card-scheduler';
import type { ApprovalWorkflow } from '../../../../src/bot/workflows/plan-approval';
import { createPlanCore, type PlanCore } from '../../../../src/bot/workflows/plan-core';
import { createPlanContext, JOB_PURPOSE, type PlanActor, type PlanCardModel, type PlanViews } from '../../../../src/bot/workflows/plan-context';
import type { ChatNotifier, PlanRecord } from '../../../../src/bot/workflows/ports';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { createPlanStore, createVoteStore } from '../../../../src/bot/stores/plans';
import { createRequestStore } from '../../../../src/bot/stores/requests';
import type { Sql } from '../../../../src/bot/stores/sql';
import { createUserIdStore } from '../../../../src/bot/stores/user-ids';
import { createRoles } from '../../../../src/core/roles';
import { discoveryScope } from '../../../../src/core/discovery-scope';
import { fingerprint, sameState, type ObservedState } from '../../../../src/contracts/observed';
import type { JobEvent } from '../../../../src/contracts/runner-api';
import { satisfied } from '../../../../src/contracts/satisfied';
import { CodedError } from '../../../../src/shared/errors';
import { silentLogger } from '../../../../src/shared/logger';
import { memorySql } from '../../../engines';
import { fakeJobQueue, type FakeJobQueue } from '../../../fakes/job-queue';
import { applyOp } from '../../../fakes/lync-state';
import { fakeTimerClock } from '../../../fakes/timer-clock';
import { configuredState, freshState, requestFixture } from '../../../fixtures/load';

const DANA = '6c4b1e2a-1f3d-4e5a-9b8c-7d6e5f4a3b21';
const ALEX = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const SAM = '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const EVE = 'eeeeeeee-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const REQ = 'req_0000000000000001';
const APPROVALS = '19:approvals@thread.tacv2';

const actor = (id: string, name: string, over: Partial<PlanActor> = {}): PlanActor =>
  ({ id, aadObjectId: id, name, admin: id === DANA, reader: true, conversationId: `chat-${name}`, ...over });
const dana = actor(DANA, 'Dana');
const alex = actor(ALEX, 'Alex');
const sam = actor(SAM, 'Sam');

interface Sent { kind: 'send' | 'update'; conversationId: string; activityId: string; card: Record<string, unknown> }

const fakeViews: PlanViews = {
  planCard: (m: PlanCardModel) => ({
    kind: 'plan', planId: m.plan.id, status: m.plan.status, revision: m.plan.revision, approvals: m.tally.approvals.map((v) => v.voterName),
    job: m.job?.job.status ?? null, events: m.job?.events.length ?? 0, notice: m.notice ?? '', voteError: m.voteError ?? '',
    followUps: m.followUps.map((f) => f.id), rediscovering: m.rediscovering, refreshUserIds: m.refreshUserIds, preflight: m.preflight !== null,
  }),
  notice: (n) => ({ kind: 'notice', title: n.title, lines: n.lines, planId: n.planId }),
};

interface World {
  sql: Sql;
  jobs: FakeJobQueue;
  sent: Sent[];
  approval: ApprovalWorkflow;
  /** Apply and the follow-ups on a plan's report (cancel, retry, rollback), and the start-up resync. */
  apply: PlanCore['apply'] & Pick<PlanCore['cancel'], 'cancel'> & Pick<PlanCore['retry'], 'retry'> & Pick<PlanCore['rollback'], 'rollback'> & Pick<PlanCore, 'resync'>;
  plans: ReturnType<typeof createPlanStore>;
  audit: ReturnType<typeof createAuditLog>;
  settle(): Promise<void>;
  advanceHours(h: number): void;
  failSendsTo: Set<string>;
  /** The next `n` sends answer 429 (Teams throttling). */
  throttleSends(n: number): void;
}

async function world(options: { quorum?: number; approvers?: string[]; approvalsConversation?: string | null; observed?: ObservedState } = {}): Promise<World> {
  const sql = memorySql();
  let t = Date.parse('2026-03-01T09:00:00.000Z');
  const clock = { now: () => new Date(t) };
  const now = () => clock.now().toISOString();
  const timers = fakeTimerClock();
  const sent: Sent[] = [];
  const failSendsTo = new Set<string>();
  let throttled = 0;
  let n = 0;
  const notifier: ChatNotifier = {
    async send(conversationId, card) {
      if (failSendsTo.has(conversationId)) throw new CodedError('not_found', `no conversation reference for ${conversationId}`);
      if (throttled > 0) {
        throttled -= 1;
        throw Object.assign(new Error('Too Many Requests'), { statusCode: 429 });
      }
      n += 1;
      sent.push({ kind: 'send', conversationId, activityId: `act-${n}`, card });
      return `act-${n}`;
    },
    async update(conversationId, activityId, card) {
      sent.push({ kind: 'update', conversationId, activityId, card });
    },
  };
  const requests = createRequestStore(sql);
  const request = requestFixture('global');
  await requests.save({ id: REQ, ownerId: DANA, ownerName: 'Dana', request, status: 'draft', submittedOn: null, activeOn: null, createdAt: now(), updatedAt: now() });
  const jobs = fakeJobQueue(now);
  jobs.setObserved(REQ, options.observed ?? freshState('lync2013'), discoveryScope(request));
  const approvers = options.approvers ?? [ALEX, SAM, DANA];
  const userIds = createUserIdStore(sql, clock);
  await userIds.remember({ aadObjectId: ALEX, teamsUserId: '29:alex', name: 'Alex' });
  await userIds.remember({ aadObjectId: SAM, teamsUserId: '29:sam', name: 'Sam' });
  const audit = createAuditLog(sql, clock, Buffer.alloc(32, 7));
  const plans = createPlanStore(sql, now, audit.inTransaction);
  const ctx = createPlanContext({
    plans, votes: createVoteStore(sql, audit.inTransaction), requests, jobs, preflightRuns: null, audit, userIds, roster: null,
    cards: createCardScheduler({ notifier, clock: timers, logger: silentLogger() }),
    views: fakeViews,
    roles: createRoles({ localMode: true, admins: [DANA], approvers }),
    clock, logger: silentLogger(),
    config: { approvalTtlHours: 72, approvalQuorum: options.quorum ?? 1, approvalsConversation: options.approvalsConversation === undefined ? APPROVALS : options.approvalsConversation, discoveryTimeoutSeconds: 60, approvers },
  });
  const core = createPlanCore(ctx);
  const { approval } = core;
  const apply = { ...core.apply, cancel: core.cancel.cancel, retry: core.retry.retry, rollback: core.rollback.rollback, resync: core.resync };
  jobs.onChange((c) => core.onJobChange(c));
  return {
    sql, jobs, sent, approval, apply, plans, audit, failSendsTo,
    throttleSends: (count) => {
      throttled = count;
    },
    settle: async () => {
      await timers.advance(60_000);
    },
    advanceHours: (h) => {
      t += h * 3_600_000;
    },
  };
}

const cards = (w: World, pred: (s: Sent) => boolean = () => true) => w.sent.filter(pred).map((s) => s.card);
const lastCard = (w: World, planId: string) => [...w.sent].reverse().find((s) => s.card.planId === planId)?.card;
const actions = async (w: World, subjectId?: string) => (await w.audit.list(subjectId ? { subjectId } : {})).map((r) => r.action);

async function requested(w: World, by = dana): Promise<PlanRecord> {
  const r = await w.approval.requestApproval(by, REQ);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  await w.settle();
  // The card is posted in the background; the stored plan knows where it went.
  return (await w.plans.get(r.plan.id))!;
}

describe('request approval', () => {
  it.each([
    { name: 'not an admin', by: alex, setup: async (_w: World) => undefined, wantRefusal: 'not-admin' },
    { name: 'no request', by: dana, setup: async (w: World) => { await w.sql.run('DELETE FROM requests'); }, wantRefusal: 'not-found' },
    { name: 'no discovery yet', by: dana, setup: async (w: World) => { (w.jobs as any).setObserved = undefined; }, wantRefusal: null },
    { name: 'discovery read another scope', by: dana, setup: async (w: World) => { w.jobs.setObserved(REQ, freshState('lync2013'), { users: ['sip:x@contoso.com'], clientPolicyIdentities: [] }); }, wantRefusal: 'discovery-stale' },
    { name: 'refused plan (product mismatch)', by: dana, setup: async (w: World) => { w.jobs.setObserved(REQ, freshState('sfb2015'), discoveryScope(requestFixture('global'))); }, wantRefusal: 'plan-refused' },
    { name: 'already configured', by: dana, setup: async (w: World) => { w.jobs.setObserved(REQ, configuredState('lync2013'), discoveryScope(requestFixture('global'))); }, wantRefusal: 'nothing-to-change' },
  ])('$name → $wantRefusal', async ({ by, setup, wantRefusal }) => {
    const w = await world();
    await setup(w);
    const r = await w.approval.requestApproval(by, REQ);
    if (wantRefusal === null) {
      expect(r.ok).toBe(true);
      return;
    }
    expect(r).toMatchObject({ ok: false, code: wantRefusal });
    expect(await w.plans.list()).toHaveLength(0);
    // Every refusal is audited: the planner's with its reasons, the others as plan.request-refused.
    const audited = await w.audit.list({ subjectId: REQ });
    expect(audited.map((a) => a.action)).toEqual([wantRefusal === 'plan-refused' ? 'plan.refused' : wantRefusal === 'nothing-to-change' ? 'plan.nothing-to-change' : 'plan.request-refused']);
  });

  it('a refused plan carries the planner\'s reasons and is audited', async () => {
    const w = await world({ observed: freshState('sfb2015') });
    const r = await w.approval.requestApproval(dana, REQ);
    expect(r).toMatchObject({ ok: false, code: 'plan-refused', refusals: [{ code: 'product_mismatch' }] });
    expect(await actions(w, REQ)).toEqual(['plan.refused']);
  });

  it('posts the approval card in the approvals conversation, audited with hash and steps', async () => {
    const w = await world();
    const plan = await requested(w);
    expect(plan).toMatchObject({ status: 'pending-approval', requesterId: DANA, requestedIn: 'chat-Dana', card: { conversationId: APPROVALS }, expiresAt: '2026-03-04T09:00:00.000Z' });
    expect(w.sent[0]).toMatchObject({ kind: 'send', conversationId: APPROVALS, card: { kind: 'plan', status: 'pending-approval', refreshUserIds: ['29:alex', '29:sam'] } });
    const [rec] = await w.audit.list({ subjectId: plan.id });
    expect(rec).toMatchObject({ action: 'plan.requested', actor: DANA, detail: { planHash: plan.plan.planHash, quorum: 1, requesterMayCount: false } });
  });

  it('refuses while a plan of the same request is being applied', async () => {
    const w = await world();
    const plan = await requested(w);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    await w.settle();
    expect(await w.approval.requestApproval(dana, REQ)).toMatchObject({ ok: false, code: 'busy', planId: plan.id });
  });

  it('without PICBOT_APPROVALS_CONVERSATION the card goes where it was asked', async () => {
    const w = await world({ approvalsConversation: null });
    const plan = await requested(w);
    expect(plan.card?.conversationId).toBe('chat-Dana');
  });

  it('falls back to the asking conversation when the approvals conversation cannot be reached', async () => {
    const w = await world();
    w.failSendsTo.add(APPROVALS);
    const plan = await requested(w);
    expect(plan.card).toMatchObject({ conversationId: 'chat-Dana' });
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ kind: 'notice', title: 'The approval card was posted here' }));
  });

  it('answers at once while a throttled channel holds the card back; the card follows and its place is stored', async () => {
    const w = await world();
    w.throttleSends(3);
    const r = await w.approval.requestApproval(dana, REQ);
    expect(r).toMatchObject({ ok: true, plan: { status: 'pending-approval' } });
    // Answered before the channel took the card (no time has passed for the backoff).
    expect(cards(w, (s) => s.kind === 'send' && s.conversationId === APPROVALS)).toEqual([]);
    expect((await w.plans.get((r as { plan: PlanRecord }).plan.id))?.card).toBeNull();
    await w.settle();
    const plan = (await w.plans.get((r as { plan: PlanRecord }).plan.id))!;
    expect(plan.card).toMatchObject({ conversationId: APPROVALS });
    expect(w.sent.filter((s) => s.kind === 'send' && s.conversationId === APPROVALS)).toEqual([expect.objectContaining({ activityId: plan.card!.activityId, card: expect.objectContaining({ planId: plan.id }) })]);
  });

  it('asking again with the same state changes nothing; a new state re-plans in place and voids the votes', async () => {
    const w = await world({ quorum: 2 });
    const plan = await requested(w);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    const again = await w.approval.requestApproval(dana, REQ);
    expect(again).toMatchObject({ ok: true, unchanged: true, plan: { id: plan.id, revision: 1 } });

    const changed = freshState('lync2013');
    changed.accessEdge.allowFederatedUsers = true;
    w.jobs.setObserved(REQ, changed, discoveryScope(requestFixture('global')));
    const replanned = await w.approval.requestApproval(dana, REQ);
    expect(replanned).toMatchObject({ ok: true, replanned: true, plan: { id: plan.id, revision: 2 } });
    const newHash = (replanned as { plan: PlanRecord }).plan.plan.planHash;
    expect(newHash).not.toBe(plan.plan.planHash);
    // Alex's vote was for the old hash: a card showing it is refused, and Sam alone is not a quorum of 2.
    const stale = await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(stale.decision).toMatchObject({ ok: false, code: 'stale-plan' });
    const samVote = await w.approval.vote(sam, plan.id, { decision: 'approve', cardHash: newHash, reason: null });
    expect(samVote.decision).toMatchObject({ ok: true, tally: { outcome: 'pending' } });
    expect(await actions(w, plan.id)).toEqual(['plan.requested', 'plan.vote', 'plan.replanned', 'plan.vote-refused', 'plan.vote']);
  });
});

describe('votes', () => {
  it('an approval reaching quorum approves, tells the requester and dispatches a signed job with what the plan was made from', async () => {
    const w = await world();
    const plan = await requested(w);
    const answer = await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(answer).toMatchObject({ scope: 'clicker', decision: { ok: true, effect: 'recorded' }, card: { status: 'approved' } });
    await w.settle();
    expect(w.jobs.created).toHaveLength(1);
    expect(w.jobs.created[0]).toMatchObject({
      kind: 'apply', target: 'pool-eu', profile: 'lync2013', discovery: plan.discovery, steps: plan.plan.steps,
      expectedFingerprint: plan.plan.fingerprint, planHash: plan.plan.planHash,
      approvals: [{ approver: `Alex (${ALEX})` }], context: { purpose: JOB_PURPOSE.apply, planId: plan.id, requestId: REQ }, createdBy: DANA,
    });
    expect((await w.plans.get(plan.id))).toMatchObject({ status: 'applying', jobId: 'job_0000000000000001' });
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ kind: 'notice', title: 'Your plan was approved' }));
    expect(await actions(w, plan.id)).toEqual(['plan.requested', 'plan.vote', 'plan.approved', 'plan.dispatched']);
  });

  it('the requester\'s approval is refused for the clicker only; a double-click records one vote', async () => {
    const w = await world({ quorum: 2 });
    const plan = await requested(w);
    const own = await w.approval.vote(dana, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(own).toMatchObject({ scope: 'clicker', decision: { ok: false, code: 'requester' } });
    const clicks = await Promise.all([1, 2, 3].map(() => w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null })));
    expect(clicks.map((c) => c.decision.ok && c.decision.effect)).toEqual(['recorded', 'repeat', 'repeat']);
    expect(await w.sql.get('SELECT COUNT(*) AS n FROM plan_votes')).toEqual({ n: 1 });
  });

  it('a recorded vote answers the clicker and updates the shared card through the card scheduler, latest state last', async () => {
    const w = await world({ quorum: 2 });
    const plan = await requested(w);
    const before = w.sent.length;
    const first = await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(first).toMatchObject({ scope: 'clicker', card: { approvals: ['Alex'] } });
    // Sam votes before the scheduler got to Alex's update: one update goes out, showing both.
    await w.approval.vote(sam, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    await w.settle();
    const updates = w.sent.slice(before).filter((s) => s.kind === 'update' && s.activityId === plan.card!.activityId);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.at(-1)!.card).toMatchObject({ approvals: ['Alex', 'Sam'], status: 'applying' });
  });

  it('a reject needs a reason (same card for the clicker, message under the field), then ends the plan', async () => {
    const w = await world();
    const plan = await requested(w);
    const empty = await w.approval.vote(alex, plan.id, { decision: 'reject', cardHash: plan.plan.planHash, reason: ' ' });
    expect(empty).toMatchObject({ scope: 'clicker', card: { kind: 'plan', voteError: expect.stringContaining('reason') } });
    const r = await w.approval.vote(alex, plan.id, { decision: 'reject', cardHash: plan.plan.planHash, reason: 'Change freeze until Monday' });
    expect(r).toMatchObject({ scope: 'clicker', card: { status: 'rejected' } });
    await w.settle();
    expect(lastCard(w, plan.id)).toMatchObject({ status: 'rejected' });
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ title: 'Your plan was rejected', lines: expect.arrayContaining([expect.stringContaining('Change freeze until Monday')]) }));
    const late = await w.approval.vote(sam, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(late.decision).toMatchObject({ ok: false, code: 'not-pending' });
    expect(w.jobs.created).toHaveLength(0);
  });

  it('fails closed when the votes cannot be read', async () => {
    const w = await world();
    const plan = await requested(w);
    await w.sql.run('ALTER TABLE plan_votes RENAME TO plan_votes_gone');
    const r = await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(r.decision).toMatchObject({ ok: false, code: 'unverifiable' });
    await w.sql.run('ALTER TABLE plan_votes_gone RENAME TO plan_votes');
    expect((await w.plans.get(plan.id))?.status).toBe('pending-approval');
  });

  it('a non-approver is refused', async () => {
    const w = await world();
    const plan = await requested(w);
    const r = await w.approval.vote(actor(EVE, 'Eve'), plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(r).toMatchObject({ scope: 'clicker', decision: { ok: false, code: 'not-approver' } });
    expect(await actions(w, plan.id)).toEqual(['plan.requested', 'plan.vote-refused']);
  });
});

describe('sweeper', () => {
  it('reminds the approvers who have not voted once, halfway, then expires the plan and tells the requester', async () => {
    const w = await world({ quorum: 2 });
    const plan = await requested(w);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    w.advanceHours(35);
    expect(await w.approval.sweep()).toEqual({ expired: 0, reminded: 0 });
    w.advanceHours(1);
    expect(await w.approval.sweep()).toEqual({ expired: 0, reminded: 1 });
    expect(await w.approval.sweep()).toEqual({ expired: 0, reminded: 0 });
    await w.settle();
    const reminder = cards(w, (s) => s.conversationId === APPROVALS && s.card.kind === 'notice');
    expect(reminder).toEqual([expect.objectContaining({ title: 'Reminder: a plan waits for approval', lines: expect.arrayContaining(['Not voted yet: Sam.']) })]);
    w.advanceHours(36);
    expect(await w.approval.sweep()).toEqual({ expired: 1, reminded: 0 });
    await w.settle();
    expect((await w.plans.get(plan.id))?.status).toBe('expired');
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ title: 'Your plan expired' }));
    expect(await actions(w, plan.id)).toEqual(['plan.requested', 'plan.vote', 'plan.reminded', 'plan.expired']);
  });

  it('a click after the ttl expires the plan and is refused', async () => {
    const w = await world();
    const plan = await requested(w);
    w.advanceHours(72);
    const r = await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    expect(r.decision).toMatchObject({ ok: false, code: 'expired' });
    expect((await w.plans.get(plan.id))?.status).toBe('expired');
  });
});

/** Plays the runner: check → skip or change, each step applied to `state` through the fake shell, as events. */
function run(state: ObservedState, p: { plan: { steps: PlanRecord['plan']['steps'] } }, options: { failAt?: string } = {}): { events: JobEvent[]; after: ObservedState; failed: boolean } {
  const events: JobEvent[] = [];
  let s = state;
  for (const step of p.plan.steps) {
    events.push({ type: 'step-started', stepId: step.id, at: '2026-03-01T09:00:00.000Z' });
    if (step.id === options.failAt) {
      events.push({ type: 'step-finished', stepId: step.id, at: '2026-03-01T09:00:01.000Z', status: 'failed', durationMs: 900, error: { code: 'cmdlet_failed', message: 'Access denied' } });
      return { events, after: s, failed: true };
    }
    if (satisfied(step.op, step.params, s)) {
      events.push({ type: 'step-finished', stepId: step.id, at: '2026-03-01T09:00:01.000Z', status: 'skipped', durationMs: 5 });
      continue;
    }
    s = applyOp(s, step.op, step.params);
    events.push({ type: 'step-finished', stepId: step.id, at: '2026-03-01T09:00:01.000Z', status: 'done', durationMs: 120, output: 'ok' });
  }
  return { events, after: s, failed: false };
}

async function approvedAndLeased(w: World): Promise<{ plan: PlanRecord; jobId: string }> {
  const plan = await requested(w);
  await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
  await w.settle();
  const jobId = (await w.plans.get(plan.id))!.jobId!;
  await w.jobs.lease(jobId);
  return { plan, jobId };
}

describe('apply, report, cancel', () => {
  it('job events update the card; the result finishes the plan, tells the requester and audits full outputs', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    const ran = run(freshState('lync2013'), plan);
    await w.jobs.events(jobId, ran.events);
    await w.settle();
    expect(lastCard(w, plan.id)).toMatchObject({ status: 'applying', job: 'leased', events: ran.events.length });
    await w.jobs.finish(jobId, { status: 'succeeded', observed: freshState('lync2013'), after: ran.after, replication: [{ replicaFqdn: 'edge01.contoso.com', upToDate: false, lastUpdate: null }] });
    await w.settle();
    expect(await w.plans.get(plan.id)).toMatchObject({ status: 'succeeded' });
    expect(lastCard(w, plan.id)).toMatchObject({ status: 'succeeded', job: 'succeeded' });
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ title: 'Your plan was applied' }));
    const outputs = (await w.audit.list({ subjectId: plan.id })).filter((r) => r.action === 'plan.step-output');
    expect(outputs).toHaveLength(plan.plan.steps.length);
    expect(await actions(w, plan.id)).toContain('plan.finished');
  });

  it.each([
    { outcome: 'aborted-drift' as const, want: 'aborted-drift' },
    { outcome: 'failed' as const, want: 'failed' },
    { outcome: 'cancelled' as const, want: 'cancelled' },
  ])('a $outcome result ends the plan $want', async ({ outcome, want }) => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    await w.jobs.finish(jobId, { status: outcome });
    await w.settle();
    expect((await w.plans.get(plan.id))?.status).toBe(want);
  });

  it('a lost lease interrupts the plan', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    await w.jobs.end(jobId, 'interrupted');
    expect((await w.plans.get(plan.id))?.status).toBe('interrupted');
  });

  it('refuses to dispatch a plan whose stored steps no longer match the approved hash', async () => {
    const w = await world();
    const plan = await requested(w);
    const tampered = { ...plan.plan, steps: plan.plan.steps.map((s, i) => (i === 0 ? { ...s, params: { ...s.params, allowFederatedUsers: false } } : s)) };
    await w.sql.run('UPDATE plans SET plan = ? WHERE id = ?', [JSON.stringify(tampered), plan.id]);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    await w.settle();
    expect(w.jobs.created).toHaveLength(0);
    expect((await w.plans.get(plan.id))?.status).toBe('failed');
    expect(await actions(w, plan.id)).toContain('plan.dispatch-refused');
  });

  it('cancel: only the requester or an approver, only while applying', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    expect(await w.apply.cancel(actor(EVE, 'Eve'), plan.id)).toMatchObject({ ok: false, code: 'not-allowed' });
    expect(await w.apply.cancel(sam, plan.id)).toMatchObject({ ok: true, job: { cancelRequested: true } });
    await w.jobs.finish(jobId, { status: 'cancelled' });
    expect(await w.apply.cancel(dana, plan.id)).toMatchObject({ ok: false, code: 'not-running' });
    expect((await actions(w, plan.id)).filter((a) => a.startsWith('plan.cancel'))).toEqual(['plan.cancel-refused', 'plan.cancel-requested', 'plan.cancel-refused']);
  });
});

describe('rollback and retry', () => {
  it('rolls back a failed job from its captured state; the rollback plan needs its own approval and restores the state', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    const original = freshState('lync2013');
    const failAt = plan.plan.steps[2]!.id;
    const ran = run(original, plan, { failAt });
    await w.jobs.events(jobId, ran.events);
    await w.jobs.finish(jobId, { status: 'failed', observed: original, after: ran.after, error: { code: 'step_failed', message: 'Access denied' } });
    expect(await w.apply.rollback(alex, plan.id)).toMatchObject({ ok: false, code: 'not-admin' });
    // The server is always read again first, even though the job read it after its last change.
    const r = await w.apply.rollback(dana, plan.id);
    expect(r).toMatchObject({ ok: true, plan: { id: plan.id }, job: { kind: 'discover', context: { purpose: JOB_PURPOSE.rollbackRead, planId: plan.id } } });
    expect(await w.apply.rollback(dana, plan.id)).toMatchObject({ ok: false, code: 'busy' });
    await w.jobs.finish((r as { job: { id: string } }).job.id, { status: 'succeeded', observed: ran.after });
    await w.settle();
    const rb = (await w.plans.list()).find((p) => p.kind === 'rollback')!;
    expect(rb).toMatchObject({ kind: 'rollback', rollbackOf: jobId, follows: plan.id, status: 'pending-approval' });
    expect(rb.plan.steps.map((s) => s.id)).toEqual(plan.plan.steps.slice(0, 3).reverse().map((s) => `undo-${s.id}`));
    expect(await w.apply.rollback(dana, plan.id)).toMatchObject({ ok: false, code: 'busy' });
    await w.approval.vote(sam, rb.id, { decision: 'approve', cardHash: rb.plan.planHash, reason: null });
    await w.settle();
    expect(w.jobs.created[2]).toMatchObject({ kind: 'rollback', expectedFingerprint: rb.plan.fingerprint, steps: rb.plan.steps });
    // The rollback's steps, run (check → change) where the failed job left the server, give back the original.
    expect(sameState(run(ran.after, rb).after, original)).toBe(true);
    expect(await actions(w, plan.id)).toEqual(expect.arrayContaining(['plan.rollback-asked']));
    expect(await actions(w, rb.id)).toEqual(['plan.rollback-requested', 'plan.vote', 'plan.approved', 'plan.dispatched']);
  });

  it('an interrupted job is read again before the rollback plan is made', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    const ran = run(freshState('lync2013'), plan);
    await w.jobs.events(jobId, ran.events.slice(0, 3));
    await w.jobs.end(jobId, 'interrupted');
    const r = await w.apply.rollback(dana, plan.id);
    expect(r).toMatchObject({ ok: true, job: { kind: 'discover' } });
    const read = w.jobs.created[1]!;
    expect(read).toMatchObject({ kind: 'discover', discovery: plan.discovery, context: { purpose: JOB_PURPOSE.rollbackRead, planId: plan.id } });
    await w.jobs.finish('job_0000000000000002', { status: 'succeeded', observed: applyOp(freshState('lync2013'), plan.plan.steps[0]!.op, plan.plan.steps[0]!.params) });
    await w.settle();
    const rollbacks = (await w.plans.list()).filter((p) => p.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ follows: plan.id, requesterId: DANA, status: 'pending-approval' });
  });

  it('a change on the server after the apply does not block the rollback: it is planned against the state read now', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    const original = freshState('lync2013');
    const ran = run(original, plan);
    await w.jobs.events(jobId, ran.events);
    await w.jobs.finish(jobId, { status: 'succeeded', observed: original, after: ran.after });
    // Somebody adds an unrelated site policy after the apply.
    const oslo = { identity: 'site:Oslo', enableFederationAccess: true, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: true };
    const now = { ...ran.after, externalAccessPolicies: [...ran.after.externalAccessPolicies, oslo] };
    const r = await w.apply.rollback(dana, plan.id);
    await w.jobs.finish((r as { job: { id: string } }).job.id, { status: 'succeeded', observed: now });
    await w.settle();
    const rb = (await w.plans.list()).find((p) => p.kind === 'rollback')!;
    // The rollback job's drift check compares against what was read now, not the job's own read after its last step.
    expect(rb.plan.fingerprint).toBe(fingerprint(now));
    expect(sameState(run(now, rb).after, { ...original, externalAccessPolicies: [...original.externalAccessPolicies, oslo] })).toBe(true);
  });

  it('Re-plan on a drifted rollback builds the rollback of the original plan again, not the forward plan', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    const original = freshState('lync2013');
    const ran = run(original, plan);
    await w.jobs.events(jobId, ran.events);
    await w.jobs.finish(jobId, { status: 'succeeded', observed: original, after: ran.after });
    const asked = await w.apply.rollback(dana, plan.id);
    await w.jobs.finish((asked as { job: { id: string } }).job.id, { status: 'succeeded', observed: ran.after });
    await w.settle();
    const rb = (await w.plans.list()).find((p) => p.kind === 'rollback')!;
    await w.approval.vote(sam, rb.id, { decision: 'approve', cardHash: rb.plan.planHash, reason: null });
    await w.settle();
    const rbJob = (await w.plans.get(rb.id))!.jobId!;
    await w.jobs.lease(rbJob);
    await w.jobs.finish(rbJob, { status: 'aborted-drift' });
    expect((await w.plans.get(rb.id))?.status).toBe('aborted-drift');

    const r = await w.apply.retry(dana, rb.id);
    expect(r).toMatchObject({ ok: true, job: { kind: 'discover', context: { purpose: JOB_PURPOSE.replan, planId: rb.id } } });
    expect(w.jobs.created.at(-1)).toMatchObject({ discovery: rb.discovery });
    const drifted = { ...ran.after, accessEdge: { ...ran.after.accessEdge, enablePartnerDiscovery: false } };
    await w.jobs.finish((r as { job: { id: string } }).job.id, { status: 'succeeded', observed: drifted });
    await w.settle();
    const open = (await w.plans.list({ statuses: ['pending-approval'] }));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'rollback', rollbackOf: jobId, follows: plan.id });
    expect(open[0]!.plan.fingerprint).toBe(fingerprint(drifted));
    expect(sameState(run(drifted, open[0]!).after, original)).toBe(true);
  });

  it('retry re-discovers and puts a new plan up that follows the old one', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    await w.jobs.finish(jobId, { status: 'aborted-drift' });
    const r = await w.apply.retry(dana, plan.id);
    expect(r).toMatchObject({ ok: true, job: { kind: 'discover', context: { purpose: JOB_PURPOSE.replan } } });
    expect(await w.apply.retry(dana, plan.id)).toMatchObject({ ok: false, code: 'busy' });
    const drifted = freshState('lync2013');
    drifted.accessEdge.allowFederatedUsers = true;
    drifted.accessEdge.enablePartnerDiscovery = true;
    await w.jobs.finish('job_0000000000000002', { status: 'succeeded', observed: drifted });
    await w.settle();
    const next = (await w.plans.list()).find((p) => p.id !== plan.id)!;
    expect(next).toMatchObject({ kind: 'apply', follows: plan.id, status: 'pending-approval' });
    expect(next.plan.steps.map((s) => s.id)).not.toContain('federation');
    expect(lastCard(w, plan.id)).toMatchObject({ followUps: [next.id] });
    expect(await actions(w, plan.id)).toContain('plan.retry');
  });

  it('a retry whose discovery nobody picked up tells the requester', async () => {
    const w = await world();
    const { plan, jobId } = await approvedAndLeased(w);
    await w.jobs.finish(jobId, { status: 'failed' });
    await w.apply.retry(dana, plan.id);
    await w.jobs.end('job_0000000000000002', 'expired');
    await w.settle();
    expect(cards(w, (s) => s.conversationId === 'chat-Dana')).toContainEqual(expect.objectContaining({ title: 'Re-discovery did not finish', lines: [expect.stringContaining('No runner with the label pool-eu')] }));
  });
});

describe('resync at start', () => {
  it('dispatches an approved plan left without a job and finishes a plan whose job ended', async () => {
    const w = await world();
    const plan = await requested(w);
    // The job store fails right after the approval was stored (as if the bot stopped there).
    w.jobs.failNextCreate(new CodedError('store_failed', 'database is locked'));
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    await w.settle();
    expect(await w.plans.get(plan.id)).toMatchObject({ status: 'approved', jobId: null });
    expect(await w.apply.resync()).toMatchObject({ dispatched: 1 });
    const jobId = (await w.plans.get(plan.id))!.jobId!;
    expect(jobId).toBeTruthy();
    // The job ends while nobody listens (a listener that crashed): resync finishes the plan.
    const v = (await w.jobs.get(jobId))!;
    Object.assign(v.job, { status: 'succeeded' });
    (w.jobs as any).get = async () => v;
    expect(await w.apply.resync()).toMatchObject({ finished: 1 });
    expect((await w.plans.get(plan.id))?.status).toBe('succeeded');
  });

  it('approves and dispatches a pending plan whose stored votes reach the quorum (stopped after the vote, before the move)', async () => {
    const w = await world();
    const plan = await requested(w);
    // The vote's own transaction, as the server stored it before it stopped.
    const votes = createVoteStore(w.sql, w.audit.inTransaction);
    await votes.add(plan.id, { voterId: ALEX, voterName: 'Alex', planHash: plan.plan.planHash, decision: 'approve', reason: null, at: '2026-03-01T09:05:00.000Z' }, [{ action: 'plan.vote', actor: ALEX, subjectId: plan.id, detail: {} }]);
    expect((await w.plans.get(plan.id))?.status).toBe('pending-approval');
    expect(await w.apply.resync()).toMatchObject({ dispatched: 1 });
    await w.settle();
    expect(await w.plans.get(plan.id)).toMatchObject({ status: 'applying', jobId: expect.stringMatching(/^job_/) });
    expect(w.jobs.created).toHaveLength(1);
    expect(await actions(w, plan.id)).toEqual(expect.arrayContaining(['plan.vote', 'plan.approved', 'plan.dispatched']));
    expect((await w.audit.verify()).ok).toBe(true);
  });

  it('rejects a pending plan whose stored reject vote ended it (stopped after the vote, before the move)', async () => {
    const w = await world();
    const plan = await requested(w);
    await createVoteStore(w.sql, w.audit.inTransaction).add(plan.id, { voterId: ALEX, voterName: 'Alex', planHash: plan.plan.planHash, decision: 'reject', reason: 'not today', at: '2026-03-01T09:05:00.000Z' }, []);
    expect(await w.apply.resync()).toMatchObject({ dispatched: 0 });
    expect((await w.plans.get(plan.id))?.status).toBe('rejected');
    expect(w.jobs.created).toHaveLength(0);
    expect(await actions(w, plan.id)).toContain('plan.rejected');
  });

  it('a pending plan whose votes do not decide it stays pending', async () => {
    const w = await world({ quorum: 2 });
    const plan = await requested(w);
    await createVoteStore(w.sql, w.audit.inTransaction).add(plan.id, { voterId: ALEX, voterName: 'Alex', planHash: plan.plan.planHash, decision: 'approve', reason: null, at: '2026-03-01T09:05:00.000Z' }, []);
    expect(await w.apply.resync()).toMatchObject({ dispatched: 0 });
    expect((await w.plans.get(plan.id))?.status).toBe('pending-approval');
    expect(w.jobs.created).toHaveLength(0);
  });

  it('an approved plan whose job was created before the stop gets that job, not a second one', async () => {
    const w = await world();
    const plan = await requested(w);
    await w.plans.update(plan.id, { status: 'pending-approval', revision: plan.revision }, { status: 'approved' }, [{ action: 'plan.approved', actor: ALEX, subjectId: plan.id, detail: {} }]);
    await createVoteStore(w.sql, w.audit.inTransaction).add(plan.id, { voterId: ALEX, voterName: 'Alex', planHash: plan.plan.planHash, decision: 'approve', reason: null, at: '2026-03-01T09:05:00.000Z' }, []);
    const job = await w.jobs.create({
      kind: 'apply', target: plan.targetLabel, profile: plan.plan.profile, discovery: plan.discovery, steps: plan.plan.steps,
      expectedFingerprint: plan.plan.fingerprint, planHash: plan.plan.planHash, approvals: [],
      context: { purpose: JOB_PURPOSE.apply, requestId: plan.requestId, planId: plan.id, card: plan.card }, createdBy: plan.requesterId, pickupTimeoutSeconds: null,
    });
    expect(await w.apply.resync()).toMatchObject({ dispatched: 1 });
    expect(await w.plans.get(plan.id)).toMatchObject({ status: 'applying', jobId: job.id });
    expect(w.jobs.created).toHaveLength(1);
  });

  it('an applying plan whose job the server interrupted at start ends interrupted, and the card says so', async () => {
    const w = await world();
    const plan = await requested(w);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null });
    await w.settle();
    const jobId = (await w.plans.get(plan.id))!.jobId!;
    await w.jobs.lease(jobId);
    await w.jobs.end(jobId, 'interrupted');
    await w.settle();
    expect((await w.plans.get(plan.id))?.status).toBe('interrupted');
    expect(lastCard(w, plan.id)).toMatchObject({ status: 'interrupted' });
  });

  it('a card posted but not stored (stopped in between) is found again from a vote clicked on it; a click from elsewhere is not taken for it', async () => {
    const w = await world();
    const plan = await requested(w);
    const posted = plan.card!;
    await w.sql.run('UPDATE plans SET card = NULL WHERE id = ?', [plan.id]);
    await w.approval.vote(dana, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null, clickedCard: { conversationId: '19:elsewhere@thread.tacv2', activityId: 'other' } });
    expect((await w.plans.get(plan.id))?.card).toBeNull();
    const before = w.sent.length;
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null, clickedCard: posted });
    await w.settle();
    expect((await w.plans.get(plan.id))?.card).toEqual(posted);
    // The vote and the dispatch update that card; no second card is posted in the approvals conversation.
    const after = w.sent.slice(before).filter((x) => x.conversationId === APPROVALS);
    expect(after.length).toBeGreaterThan(0);
    for (const x of after) expect(x).toMatchObject({ kind: 'update', activityId: posted.activityId });
  });

  it('a card posted into a channel is found again from a click in its thread', async () => {
    const w = await world({ approvalsConversation: '19:channel@thread.tacv2' });
    const plan = await requested(w);
    const posted = plan.card!;
    expect(posted.conversationId).toBe('19:channel@thread.tacv2');
    await w.sql.run('UPDATE plans SET card = NULL WHERE id = ?', [plan.id]);
    await w.approval.vote(alex, plan.id, { decision: 'approve', cardHash: plan.plan.planHash, reason: null, clickedCard: { conversationId: `19:channel@thread.tacv2;messageid=${posted.activityId}`, activityId: posted.activityId } });
    expect((await w.plans.get(plan.id))?.card).toEqual(posted);
  });

  it('brings a card up to date when it shows less than its plan', async () => {
    const w = await world();
    const plan = await requested(w);
    await w.plans.note(plan.id, { cardShows: 'something-older' });
    const before = w.sent.length;
    expect(await w.apply.resync()).toMatchObject({ cards: 1 });
    await w.settle();
    expect(w.sent.slice(before)).toEqual([expect.objectContaining({ kind: 'update', activityId: plan.card!.activityId })]);
    expect((await w.plans.get(plan.id))?.cardShows).not.toBe('something-older');
  });
});
