import { auditTrailCard, CARD_BUDGET_BYTES, planCard, planCardData, planListCard, planScriptCard } from '../../../../src/bot/views/plan';
import { renderCard } from '../../../../src/bot/views/render';
import type { PlanCardModel } from '../../../../src/bot/workflows/plan-context';
import type { JobView, PlanRecord } from '../../../../src/bot/workflows/ports';
import { tally, type Vote } from '../../../../src/core/approval-policy';
import { discoveryScope } from '../../../../src/core/discovery-scope';
import type { PlanStatus } from '../../../../src/core/plan-status';
import { plan } from '../../../../src/core/planner';
import { rollbackPlan } from '../../../../src/core/rollback-plan';
import type { JobEvent } from '../../../../src/contracts/runner-api';
import { SKYPE_RETIREMENT_NOTE } from '../../../../src/contracts/skype-provider';
import { checkTeamsSupport } from '../../../../src/tools/gallery/teams-rules';
import { configuredState, freshState, requestFixture } from '../../../fixtures/load';
import { allText, buttons, errorsUnder, texts, type Json } from '../../../integration/card-query';

const request = requestFixture('global');
const p = plan(request, freshState('lync2013'), 'lync2013');
const record = (over: Partial<PlanRecord> = {}): PlanRecord => ({
  id: 'plan_7x1k0v3m9q2d8a5n', kind: 'apply', requestId: 'req_0123456789abcdef', revision: 1, targetLabel: 'pool-eu', request, plan: p,
  discovery: discoveryScope(request), requesterId: 'dana', requesterName: 'Dana Admin', requestedIn: 'c', status: 'pending-approval',
  createdAt: '2026-11-28T14:05:00.000Z', updatedAt: '2026-11-28T14:05:00.000Z', expiresAt: '2026-12-01T14:05:00.000Z', remindedAt: null,
  card: null, jobId: null, rollbackOf: null, cardShows: null, follows: null, ...over,
});
const alexVote: Vote = { voterId: 'alex', voterName: 'Alex Approver', planHash: p.planHash, decision: 'approve', reason: null, at: '2026-11-28T14:18:00.000Z' };

function job(status: JobView['job']['status'], events: JobEvent[], result: Partial<NonNullable<JobView['result']>> | null = null): JobView {
  return {
    job: {
      id: 'job_5m2k8q1x0v7d3a9n', kind: 'apply', target: 'pool-eu', status, envelope: {} as never, signature: 'x',
      context: { purpose: 'plan-apply', requestId: 'req_0123456789abcdef', planId: 'plan_7x1k0v3m9q2d8a5n', card: null },
      createdBy: 'dana', createdAt: '2026-11-28T14:18:00.000Z', pickupDeadline: null, runnerId: 'run_4k2m9x0q1v8d3a7n', runnerName: 'fe01',
      leasedAt: '2026-11-28T14:18:01.000Z', leaseExpiresAt: null, cancelRequested: false, finishedAt: status === 'leased' ? null : '2026-11-28T14:18:09.000Z', eventCount: events.length, timeLimitAt: null, lateAt: null,
    },
    events: events.map((event, index) => ({ seq: 0, index, event, receivedAt: '', late: false })),
    result: result && { status: 'succeeded', observed: null, after: null, replication: null, error: null, reportedAt: '', ...result } as JobView['result'],
  };
}

const done = (stepId: string, extra: Partial<Extract<JobEvent, { type: 'step-finished' }>> = {}): JobEvent[] => [
  { type: 'step-started', stepId, at: '2026-11-28T14:18:02.000Z' },
  { type: 'step-finished', stepId, at: '2026-11-28T14:18:03.000Z', status: 'done', durationMs: 1240, ...extra },
];

function model(over: Partial<PlanCardModel> = {}): PlanCardModel {
  const plan = over.plan ?? record();
  const votes = over.votes ?? [];
  return {
    plan, votes, tally: tally({ ...plan, planHash: plan.plan.planHash }, votes, () => true, { quorum: 1, requesterMayCount: false }),
    job: null, preflight: null, followUps: [], rediscovering: false, requesterMayCount: false, refreshUserIds: ['29:alex'], now: new Date('2026-11-28T14:20:00.000Z'), checkpoint: null, ...over,
  };
}
const titles = (card: Json) => buttons(card).map((b) => b.title).filter((t) => t !== 'Refresh');

describe('the approval / status / report card', () => {
  it.each<{ status: PlanStatus; job?: JobView; want: string[]; title: RegExp }>([
    { status: 'pending-approval', want: ['Approve', 'Reject', 'Show script'], title: /Approve this plan\?/ },
    { status: 'applying', job: job('leased', done('federation')), want: ['Show script', 'Cancel'], title: /Applying the plan/ },
    { status: 'succeeded', job: job('succeeded', p.steps.flatMap((s) => done(s.id))), want: ['Show script', 'Roll back'], title: /Plan applied/ },
    { status: 'failed', job: job('failed', [...done('federation'), ...done('policy', { status: 'failed', error: { code: 'cmdlet_failed', message: 'Access denied' } })]), want: ['Show script', 'Roll back', 'Retry (re-discover and re-plan)'], title: /Plan failed/ },
    { status: 'aborted-drift', job: job('aborted-drift', []), want: ['Show script', 'Re-plan'], title: /The server changed since the plan was made/ },
    { status: 'cancelled', job: job('cancelled', done('federation')), want: ['Show script', 'Roll back', 'Retry (re-discover and re-plan)'], title: /Plan cancelled/ },
    { status: 'interrupted', job: job('interrupted', done('federation')), want: ['Show script', 'Roll back', 'Retry (re-discover and re-plan)'], title: /Plan interrupted/ },
    { status: 'rejected', want: ['Show script', 'Retry (re-discover and re-plan)'], title: /Plan rejected/ },
    { status: 'expired', want: ['Show script', 'Retry (re-discover and re-plan)'], title: /Plan expired/ },
  ])('$status: $want', ({ status, job: j, want, title }) => {
    const card = planCard(model({ plan: record({ status, jobId: j ? j.job.id : null }), job: j ?? null, votes: status === 'pending-approval' ? [] : [alexVote] }));
    expect(titles(card)).toEqual(want);
    expect(allText(card)).toMatch(title);
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('shows each step\'s state, duration and error, and steps never reached as not run', () => {
    const events = [...done('federation'), ...done('policy', { status: 'failed', durationMs: 90, error: { code: 'cmdlet_failed', message: 'Access denied' } })];
    const text = allText(planCard(model({ plan: record({ status: 'failed', jobId: 'job_5m2k8q1x0v7d3a9n' }), job: job('failed', events), votes: [alexVote] })));
    expect(text).toMatch(/✓ done · 1\.2 s/);
    expect(text).toMatch(/✗ failed · 90 ms/);
    expect(text).toMatch(/cmdlet_failed: Access denied/);
    expect(text.match(/– not run/g)).toHaveLength(2);
  });

  it('the report names requester, approvers, runner, times, plan hash, replication lag and the resolved verification level', () => {
    const after = configuredState('lync2013');
    const card = planCard(model({
      plan: record({ status: 'succeeded', jobId: 'job_5m2k8q1x0v7d3a9n' }),
      votes: [alexVote],
      job: job('succeeded', [
        ...p.steps.flatMap((s) => done(s.id)),
        // The runner's own log line about the same replica: said once on the card, not twice.
        { type: 'log', at: '2026-11-28T14:18:09.000Z', level: 'warn', message: 'replicas not yet up to date: edge01.contoso.com (replication can lag minutes)' },
      ], { after, replication: [{ replicaFqdn: 'edge01.contoso.com', upToDate: false, lastUpdate: '2026-11-28T14:17:42.123Z' }] }),
    }));
    const text = allText(card);
    // One line per fact, one time format; what the server resolved is a note, not a warning.
    const data = planCardData(model({
      plan: record({ status: 'succeeded', jobId: 'job_5m2k8q1x0v7d3a9n' }),
      votes: [alexVote],
      job: job('succeeded', [{ type: 'log', at: '2026-11-28T14:18:09.000Z', level: 'warn', message: 'replicas not yet up to date: edge01.contoso.com (replication can lag minutes)' }], { after, replication: [{ replicaFqdn: 'edge01.contoso.com', upToDate: false, lastUpdate: '2026-11-28T14:17:42.123Z' }] }),
    }));
    // The plan's own warnings come first: this plan configures the Skype provider, so the retirement note.
    expect(data.warnings).toEqual([SKYPE_RETIREMENT_NOTE, 'Replica edge01.contoso.com had not taken the change yet (its last update: 2026-11-28 14:17 UTC). Replication can take minutes; this is not a failure.']);
    expect(data.notes).toEqual(['The server resolved VerificationLevel 2 of the Skype provider to UseSourceVerification.']);
    expect(text.match(/edge01\.contoso\.com/g)).toHaveLength(1);
    expect(text).toMatch(/Requested by: Dana Admin \(2026-11-28 14:05 UTC\)/);
    expect(text).toMatch(/Approved by: Alex Approver \(2026-11-28 14:18 UTC\)/);
    expect(text).toMatch(/Runner: fe01\nRunner id: run_4k2m9x0q1v8d3a7n/);
    expect(text).toMatch(/Started: 2026-11-28 14:18 UTC/);
    expect(text).toContain(`Plan hash: ${p.planHash.slice(0, 12)}… (Show script: the whole hash)`);
    expect(text).toMatch(/Replica edge01\.contoso\.com had not taken the change yet/);
    expect(text).toMatch(/resolved VerificationLevel 2 of the Skype provider to UseSourceVerification/);
  });

  it('with the Skype provider: the retirement beside its steps and in the warnings, and the report says the Skype-user test is gone', () => {
    const pending = allText(planCard(model()));
    expect(pending).toMatch(/Create the Skype public provider \(retired by Microsoft on 5 May 2025\)/);
    expect(pending).toMatch(/Microsoft retired Skype consumer interop on 5 May 2025/);
    const report = allText(planCard(model({
      plan: record({ status: 'succeeded', jobId: 'job_5m2k8q1x0v7d3a9n' }), votes: [alexVote], job: job('succeeded', p.steps.flatMap((s) => done(s.id))),
    })));
    expect(report).toMatch(/Skype test: The old functional test \(a Skype user adds a Lync user, and they exchange IM and presence\) can no longer be done/);
  });

  it('federation only: no Skype step, no retirement note, no Skype test in the report', () => {
    const fedRequest = requestFixture('global', { skypeProvider: false });
    const fed = plan(fedRequest, freshState('lync2013'), 'lync2013');
    const text = allText(planCard(model({
      plan: record({ request: fedRequest, plan: fed, status: 'succeeded', jobId: 'job_5m2k8q1x0v7d3a9n' }),
      votes: [{ ...alexVote, planHash: fed.planHash }], job: job('succeeded', fed.steps.flatMap((s) => done(s.id))),
    })));
    expect(text).not.toMatch(/Skype/);
    expect(text).toMatch(/Allow federation in the global external access policy/);
  });

  it('stays under Teams\' size limit with huge outputs, cutting them and pointing at the audit export', () => {
    const huge = 'x'.repeat(60_000);
    const events = p.steps.flatMap((s) => done(s.id, { output: huge }));
    const card = planCard(model({ plan: record({ status: 'succeeded', jobId: 'job_5m2k8q1x0v7d3a9n' }), votes: [alexVote], job: job('succeeded', events) }));
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(allText(card)).toMatch(/npx picbot audit export --id plan_7x1k0v3m9q2d8a5n/);
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('pending: the reason field with its message, the local-mode rule said plainly, refresh for at most 60 approvers', () => {
    const ids = Array.from({ length: 80 }, (_, i) => `29:user${i}`);
    const card = planCard(model({ requesterMayCount: true, refreshUserIds: ids, voteError: 'Give a reason to reject the plan: the requester sees it.' }));
    expect(errorsUnder(card, 'reason')).toEqual(['Give a reason to reject the plan: the requester sees it.']);
    expect(allText(card)).toMatch(/the requester's own approval counts/);
    expect((card.refresh as { userIds: string[] }).userIds).toHaveLength(60);
    expect(buttons(card).find((b) => b.title === 'Approve')?.data).toEqual({ planId: 'plan_7x1k0v3m9q2d8a5n', planHash: p.planHash });
  });

  it('shows the request\'s latest preflight run when there is one, problems first', () => {
    const preflight = { ranAt: '2026-11-28T13:50:00.000Z', results: [
      { check: 'federation-srv' as const, subject: 'contoso.com', status: 'pass' as const, detail: 'found' },
      { check: 'edge-certificate' as const, subject: 'sip.contoso.com', status: 'fail' as const, detail: 'the certificate does not name sip.contoso.com' },
    ] };
    const text = allText(planCard(model({ preflight })));
    expect(text).toMatch(/Preflight \(2026-11-28 13:50 UTC\)\n1 passed · 1 failed · 0 warnings\n✗ sip\.contoso\.com: the certificate does not name sip\.contoso\.com/);
    expect(allText(planCard(model()))).not.toMatch(/Preflight/);
  });

  it('says when the preflight ran before the request changed, and never drops a problem silently', () => {
    const line = (subject: string, i: number) => ({ check: 'edge-certificate' as const, subject, status: (i % 5 === 0 ? 'warn' : 'fail') as 'warn' | 'fail', detail: `problem ${i}` });
    // Eight failures and two warnings, all about what the request still holds: all ten listed.
    const ten = { ranAt: '2026-11-28T13:50:00.000Z', results: [
      { check: 'federation-srv' as const, subject: 'contoso.com', status: 'pass' as const, detail: 'found' },
      ...Array.from({ length: 10 }, (_, i) => line('sip.contoso.com', i)),
    ] };
    const all = texts(planCard(model({ preflight: ten })));
    expect(all).toContain('Preflight (2026-11-28 13:50 UTC)');
    expect(all).toContain('1 passed · 8 failed · 2 warnings');
    expect(all.filter((t) => /^[✗!] sip\.contoso\.com: problem \d$/.test(t))).toHaveLength(10);
    // Twelve: ten listed and the rest counted, with where to see them.
    const twelve = { ...ten, results: [...ten.results, line('sip.contoso.com', 11), line('sip.contoso.com', 12)] };
    expect(texts(planCard(model({ preflight: twelve })))).toContain('and 2 more: "Run preflight" on the request\'s review card lists every check');
    // A run that checked a SIP domain the request no longer has (or missed one it has now) is stale.
    const old = { ranAt: '2026-11-28T13:50:00.000Z', results: [{ check: 'federation-srv' as const, subject: 'fabrikam.com', status: 'pass' as const, detail: 'found' }] };
    expect(texts(planCard(model({ preflight: old })))).toContain('Preflight (2026-11-28 13:50 UTC): run before the request changed, run it again');
  });

  it('a re-planned plan says earlier votes no longer count; a follow-up plan is listed', () => {
    const text = allText(planCard(model({ plan: record({ revision: 3 }), followUps: [record({ id: 'plan_2d8a5n7x1k0v3m9q', kind: 'rollback', status: 'succeeded' })] })));
    expect(text).toMatch(/revision 3: votes for earlier revisions do not count/);
    expect(text).toMatch(/Rollback plan_2d8a5n7x1k0v3m9q: applied\./);
  });
});

describe('per-user plans stay under the card limit', () => {
  const users = (n: number) => Array.from({ length: n }, (_, i) => `sip:user${String(i + 1).padStart(3, '0')}.with.a.long.name@contoso.com`);
  /** A per-user plan for `n` users; the first `granted` already have the policy. */
  function perUser(n: number, granted = 0) {
    const req = requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users: users(n) } });
    const observed = freshState('lync2013');
    observed.userPolicies = users(n).map((user, i) => ({ user, externalAccessPolicy: i < granted ? 'EnablePublicUsers' : null }));
    const planned = plan(req, observed, 'lync2013');
    expect(planned.refusals).toEqual([]);
    return { req, planned, observed };
  }
  const size = (card: Json) => Buffer.byteLength(JSON.stringify(card));
  const huge = 'y'.repeat(60_000);

  it.each([
    { n: 60, status: 'pending-approval' as const },
    { n: 200, status: 'pending-approval' as const },
    { n: 60, status: 'failed' as const },
    { n: 200, status: 'failed' as const },
    { n: 200, status: 'applying' as const },
    // The most a request may hold (MAX_POLICY_USERS).
    { n: 5000, status: 'pending-approval' as const },
    { n: 5000, status: 'failed' as const },
    { n: 5000, status: 'applying' as const },
  ])('$n users, $status: grant steps folded into one row with counts, under the budget', ({ n, status }) => {
    const { req, planned } = perUser(n);
    const grants = planned.steps.filter((s) => s.op === 'externalAccessPolicy.grant');
    expect(grants).toHaveLength(n);
    let events: JobEvent[] = [];
    if (status !== 'pending-approval') {
      // Every step before the grants done, 10 grants done with long outputs, one skipped, one failed (failed: then nothing more).
      const before = planned.steps.filter((s) => s.op !== 'externalAccessPolicy.grant' && planned.steps.indexOf(s) < planned.steps.indexOf(grants[0]!));
      events = [...before.flatMap((s) => done(s.id, { output: huge })), ...grants.slice(0, 10).flatMap((s) => done(s.id, { output: huge })), ...done(grants[10]!.id, { status: 'skipped' })];
      events.push(...(status === 'failed'
        ? done(grants[11]!.id, { status: 'failed', error: { code: 'cmdlet_failed', message: `Cannot find user: ${huge}` } })
        : [{ type: 'step-started' as const, stepId: grants[11]!.id, at: '2026-11-28T14:18:05.000Z' }]));
    }
    const j = status === 'pending-approval' ? null : job(status === 'applying' ? 'leased' : 'failed', events, status === 'failed' ? { status: 'failed', error: { code: 'cmdlet_failed', message: huge } } : null);
    const card = planCard(model({
      plan: record({ request: req, plan: planned, discovery: discoveryScope(req), status, jobId: j ? j.job.id : null }),
      job: j, votes: status === 'pending-approval' ? [] : [alexVote],
      refreshUserIds: Array.from({ length: 80 }, (_, i) => `29:1${'a'.repeat(60)}${i}`),
    }));
    expect(size(card)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    const text = allText(card);
    expect(text).toContain(`Grant-CsExternalAccessPolicy -PolicyName EnablePublicUsers to ${n} users`);
    expect(text).toContain(users(n)[0]);
    expect(text).toMatch(new RegExp(`and ${n - 10} more`));
    expect(text).toMatch(new RegExp(`Steps \\(${planned.steps.length}\\)`));
    if (status === 'failed') {
      expect(text).toMatch(/10 done · 1 skipped · 1 failed · \d+ not run/);
      expect(text).toMatch(/cmdlet_failed: Cannot find user/);
    }
    if (status === 'applying') expect(text).toMatch(/10 done · 1 skipped · 1 running · \d+ pending/);
    // The other steps keep their own rows and commands.
    expect(text).toContain('Set-CsAccessEdgeConfiguration');
    expect(buttons(card).map((b) => b.title)).toEqual(expect.arrayContaining(status === 'pending-approval' ? ['Approve', 'Reject'] : ['Show script']));
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('a plan whose step titles alone pass the budget is not tried unfolded: that card could never fit', () => {
    const { req, planned } = perUser(700);
    const m = model({ plan: record({ request: req, plan: planned, discovery: discoveryScope(req) }) });
    expect(planned.steps.reduce((sum, s) => sum + Buffer.byteLength(s.title), 0)).toBeGreaterThan(CARD_BUDGET_BYTES);
    const unfolded = renderCard('approval', planCardData(m, { detailMax: 0, foldGrants: false, trimLists: false, countsOnly: false }));
    expect(size(unfolded)).toBeGreaterThan(CARD_BUDGET_BYTES);
    expect(allText(planCard(m))).toContain('Grant-CsExternalAccessPolicy -PolicyName EnablePublicUsers to 700 users');
  });

  it('a few users keep one row per step', () => {
    const { req, planned } = perUser(2);
    const text = allText(planCard(model({ plan: record({ request: req, plan: planned, discovery: discoveryScope(req) }) })));
    expect(text).toContain('Assign EnablePublicUsers to sip:user001.with.a.long.name@contoso.com');
    expect(text).not.toMatch(/Grant-CsExternalAccessPolicy -PolicyName EnablePublicUsers to 2 users/);
  });

  it('a 200-user rollback (policies granted back to different captured values) and 200 already-granted users fit too', () => {
    const half = perUser(200, 100);
    expect(half.planned.alreadyConfigured.filter((a) => a.id.startsWith('grant-'))).toHaveLength(100);
    const card = planCard(model({ plan: record({ request: half.req, plan: half.planned, discovery: discoveryScope(half.req) }) }));
    expect(size(card)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(allText(card)).toMatch(/100 users already have the policy/);

    const { req, planned, observed } = perUser(200);
    const mixed = planned.steps.map((s, i) => (s.op === 'externalAccessPolicy.grant' && i % 2 === 0 ? { ...s, rollback: [{ op: s.op, params: { ...s.params, policyName: 'OldPolicy' } }] } : s));
    const statuses = Object.fromEntries(mixed.map((s) => [s.id, 'done' as const]));
    const rb = rollbackPlan({ profile: 'lync2013', steps: mixed, statuses, current: observed });
    const rbCard = planCard(model({ plan: record({ kind: 'rollback', request: req, plan: rb, discovery: discoveryScope(req) }), notice: huge, reasonValue: huge, voteError: 'Give a reason to reject the plan: the requester sees it.' }));
    expect(size(rbCard)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(allText(rbCard)).toMatch(/Grant-CsExternalAccessPolicy to 200 users \(-PolicyName (OldPolicy|\$null): 100, -PolicyName (OldPolicy|\$null): 100\)/);
    expect(checkTeamsSupport(rbCard)).toEqual([]);
  });

  it('the last resort: steps as counts only, whatever else the card holds', () => {
    const { req, planned: perUserPlan } = perUser(200);
    // 200 steps that cannot be folded (no planner makes this; the card must fit anyway).
    const steps = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, title: `Step ${i} ${huge.slice(0, 280)}`, op: 'accessEdge.set', params: { allowFederatedUsers: i % 2 === 0 }, rollback: [{ op: 'accessEdge.set', params: { allowFederatedUsers: i % 2 !== 0 } }] }));
    const planned = { ...perUserPlan, steps };
    const preflight = { ranAt: '2026-11-28T13:50:00.000Z', results: Array.from({ length: 50 }, () => ({ check: 'edge-certificate' as const, subject: huge.slice(0, 2000), status: 'fail' as const, detail: huge.slice(0, 5000) })) };
    const card = planCard(model({
      plan: record({ request: req, plan: planned, discovery: discoveryScope(req), revision: 9 }), preflight, notice: huge, reasonValue: huge,
      refreshUserIds: Array.from({ length: 60 }, (_, i) => `29:1${'a'.repeat(200)}${i}`),
      followUps: Array.from({ length: 3 }, () => record({ id: 'plan_2d8a5n7x1k0v3m9q', kind: 'rollback' })),
    }));
    expect(size(card)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(allText(card)).toMatch(/200 steps: too many to list on a card \(Show script lists every command\)/);
    expect(allText(card)).toMatch(/200 pending/);
    expect(buttons(card).map((b) => b.title)).toEqual(expect.arrayContaining(['Approve', 'Reject', 'Show script']));
    expect(checkTeamsSupport(card)).toEqual([]);
  });
});

describe('other plan cards', () => {
  it('a script too long for a card is cut, pointing at picbot plan export', () => {
    const users = Array.from({ length: 200 }, (_, i) => `sip:user${i + 1}@contoso.com`);
    const req = requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users } });
    const observed = { ...freshState('lync2013'), userPolicies: users.map((user) => ({ user, externalAccessPolicy: null })) };
    const card = planScriptCard(record({ request: req, plan: plan(req, observed, 'lync2013') }));
    expect(allText(card)).toMatch(/The script is longer than a card can hold: the first \d+ lines are shown\. The whole script: npx picbot plan export plan_7x1k0v3m9q2d8a5n/);
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('the script card holds the whole script with its rollback', () => {
    const text = allText(planScriptCard(record()));
    expect(text).toContain('Remove-CsPublicProvider -Identity Messenger');
    expect(text).toMatch(/# ---- Rollback ----/);
  });

  it('the plans list and the audit trail', () => {
    expect(allText(planListCard([record()], 1))).toMatch(/pool-eu · plan plan_7x1k0v3m9q2d8a5n\nwaiting for approval · 4 steps · by Dana Admin/);
    const trail = auditTrailCard('plan_7x1k0v3m9q2d8a5n', Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, at: '2026-11-28T14:05:00.000Z', action: 'plan.vote', actor: 'alex', subjectId: 'plan_7x1k0v3m9q2d8a5n', detail: { n: i }, prevHash: '', hash: '' })));
    expect(allText(trail)).toMatch(/Only the last 40 are shown here/);
    expect(allText(trail)).toContain('npx picbot audit export --id plan_7x1k0v3m9q2d8a5n');
    expect(checkTeamsSupport(trail)).toEqual([]);
  });
});

describe('the audit checkpoint line', () => {
  it('shows the chain tip of the approval or the job\'s end, in full, and nothing before either', () => {
    const hash = '5e'.repeat(32);
    const approved = JSON.stringify(planCard(model({ plan: record({ status: 'applying' }), checkpoint: { seq: 57, hash, action: 'plan.approved' } })));
    expect(approved).toContain(`Audit checkpoint at approval: 57:${hash}`);
    const ended = JSON.stringify(planCard(model({ plan: record({ status: 'succeeded' }), checkpoint: { seq: 63, hash, action: 'plan.finished' } })));
    expect(ended).toContain(`Audit checkpoint at the end of the job: 63:${hash}`);
    expect(JSON.stringify(planCard(model()))).not.toContain('Audit checkpoint');
  });
});
