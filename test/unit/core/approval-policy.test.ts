import { decideVote, dueAction, tally, type Click, type PolicyConfig, type PolicyInput, type PolicyPlan, type Vote } from '../../../src/core/approval-policy';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const NOW = new Date('2026-03-01T12:00:00.000Z');
const REQUESTER = 'req-dana';
const APPROVERS = new Set(['alex', 'sam', 'kim', REQUESTER]);
const isApprover = (id: string) => APPROVERS.has(id);
const PROD: PolicyConfig = { quorum: 1, requesterMayCount: false };

const plan = (over: Partial<PolicyPlan> = {}): PolicyPlan => ({
  planHash: H1, status: 'pending-approval', requesterId: REQUESTER, expiresAt: '2026-03-04T12:00:00.000Z', ...over,
});
const vote = (voterId: string, decision: Vote['decision'] = 'approve', planHash = H1, reason: string | null = null): Vote => ({
  voterId, voterName: voterId, planHash, decision, reason, at: '2026-03-01T11:00:00.000Z',
});
const click = (voterId: string | null, over: Partial<Click> = {}): Click => ({
  voterId, voterName: voterId ?? 'anon', decision: 'approve', cardHash: H1, reason: null, ...over,
});
const input = (over: Partial<PolicyInput>): PolicyInput => ({
  plan: plan(), votes: [], click: click('alex'), isApprover, now: NOW, config: PROD, ...over,
});

describe('decideVote: each rule with a passing and a refused click', () => {
  it.each<{ rule: string; in: Partial<PolicyInput>; want?: { effect: 'recorded' | 'repeat'; outcome: string; approvals: number }; wantRefusal?: string }>([
    { rule: 'fail closed: plan unreadable', in: { plan: null }, wantRefusal: 'unverifiable' },
    { rule: 'fail closed: votes unreadable', in: { votes: null }, wantRefusal: 'unverifiable' },
    { rule: 'fail closed: approver list unreadable', in: { isApprover: null }, wantRefusal: 'unverifiable' },
    { rule: 'readable: an approver approves', in: {}, want: { effect: 'recorded', outcome: 'approved', approvals: 1 } },

    { rule: 'clicker not an approver', in: { click: click('eve') }, wantRefusal: 'not-approver' },
    { rule: 'clicker without an Entra id', in: { click: click(null) }, wantRefusal: 'not-approver' },
    { rule: 'clicker an approver', in: { click: click('sam') }, want: { effect: 'recorded', outcome: 'approved', approvals: 1 } },

    { rule: 'requester approves own plan (production)', in: { click: click(REQUESTER) }, wantRefusal: 'requester' },
    { rule: 'requester approves own plan (local, approvers unset)', in: { click: click(REQUESTER), config: { quorum: 1, requesterMayCount: true } }, want: { effect: 'recorded', outcome: 'approved', approvals: 1 } },
    { rule: 'requester may withdraw (reject) own plan', in: { click: click(REQUESTER, { decision: 'reject', reason: 'wrong site' }) }, want: { effect: 'recorded', outcome: 'rejected', approvals: 0 } },

    { rule: 'one vote per person: approve then reject', in: { votes: [vote('alex')], config: { quorum: 2, requesterMayCount: false }, click: click('alex', { decision: 'reject', reason: 'no' }) }, wantRefusal: 'already-voted' },
    { rule: 'second person votes', in: { votes: [vote('alex')], config: { quorum: 2, requesterMayCount: false }, click: click('sam') }, want: { effect: 'recorded', outcome: 'approved', approvals: 2 } },

    { rule: 'double-click / invoke retry: same vote again', in: { votes: [vote('alex')], config: { quorum: 2, requesterMayCount: false } }, want: { effect: 'repeat', outcome: 'pending', approvals: 1 } },
    { rule: 'retry after quorum moved the plan on', in: { votes: [vote('alex')], plan: plan({ status: 'applying' }) }, want: { effect: 'repeat', outcome: 'approved', approvals: 1 } },
    { rule: 'retry of a reject after it ended the plan', in: { votes: [vote('alex', 'reject', H1, 'no')], plan: plan({ status: 'rejected' }), click: click('alex', { decision: 'reject', reason: 'no' }) }, want: { effect: 'repeat', outcome: 'rejected', approvals: 0 } },

    { rule: 'card shows an old hash', in: { click: click('alex', { cardHash: H2 }) }, wantRefusal: 'stale-plan' },
    { rule: 'plan change voids votes: old-hash votes do not count', in: { plan: plan({ planHash: H2 }), votes: [vote('alex', 'approve', H1)], config: { quorum: 2, requesterMayCount: false }, click: click('sam', { cardHash: H2 }) }, want: { effect: 'recorded', outcome: 'pending', approvals: 1 } },
    { rule: 'plan change: the same person votes again on the new hash', in: { plan: plan({ planHash: H2 }), votes: [vote('alex', 'approve', H1)], click: click('alex', { cardHash: H2 }) }, want: { effect: 'recorded', outcome: 'approved', approvals: 1 } },

    { rule: 'expired (ttl passed, not yet swept)', in: { plan: plan({ expiresAt: '2026-03-01T12:00:00.000Z' }) }, wantRefusal: 'expired' },
    { rule: 'expired (swept)', in: { plan: plan({ status: 'expired' }) }, wantRefusal: 'not-pending' },
    { rule: 'one second before expiry', in: { plan: plan({ expiresAt: '2026-03-01T12:00:01.000Z' }) }, want: { effect: 'recorded', outcome: 'approved', approvals: 1 } },

    { rule: 'reject without a reason', in: { click: click('alex', { decision: 'reject', reason: '   ' }) }, wantRefusal: 'reason-required' },
    { rule: 'reject with a reason ends the request', in: { votes: [vote('sam')], config: { quorum: 2, requesterMayCount: false }, click: click('alex', { decision: 'reject', reason: 'change window is Friday' }) }, want: { effect: 'recorded', outcome: 'rejected', approvals: 1 } },
    { rule: 'a vote on a rejected plan', in: { plan: plan({ status: 'rejected' }), click: click('sam') }, wantRefusal: 'not-pending' },

    { rule: 'quorum 2: first approval is not enough', in: { config: { quorum: 2, requesterMayCount: false } }, want: { effect: 'recorded', outcome: 'pending', approvals: 1 } },
    { rule: 'quorum 2: requester vote does not count towards it', in: { votes: [vote(REQUESTER)], config: { quorum: 2, requesterMayCount: false } }, want: { effect: 'recorded', outcome: 'pending', approvals: 1 } },
    { rule: 'an approver removed from the list no longer counts', in: { votes: [vote('gone')], config: { quorum: 2, requesterMayCount: false } }, want: { effect: 'recorded', outcome: 'pending', approvals: 1 } },
  ])('$rule', ({ in: over, want, wantRefusal }) => {
    const d = decideVote(input(over));
    if (wantRefusal) {
      expect(d).toMatchObject({ ok: false, code: wantRefusal });
      expect((d as { reason: string }).reason.length).toBeGreaterThan(10);
      return;
    }
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect({ effect: d.effect, outcome: d.tally.outcome, approvals: d.tally.approvals.length }).toEqual(want);
  });

  it('a recorded vote carries the hash, the time and a trimmed reason', () => {
    const d = decideVote(input({ click: click('alex', { decision: 'reject', reason: '  not in the change window  ' }) }));
    expect(d).toMatchObject({ ok: true, effect: 'recorded', vote: { voterId: 'alex', planHash: H1, decision: 'reject', reason: 'not in the change window', at: NOW.toISOString() } });
  });

  it('a repeat returns the stored vote, not a new one', () => {
    const stored = vote('alex');
    const d = decideVote(input({ votes: [stored], config: { quorum: 3, requesterMayCount: false } }));
    expect(d).toMatchObject({ ok: true, effect: 'repeat' });
    expect(d.ok && d.vote).toBe(stored);
  });
});

describe('tally', () => {
  it.each([
    { name: 'no votes', votes: [], quorum: 1, want: { outcome: 'pending', approvals: 0 } },
    { name: 'duplicate rows of one voter count once', votes: [vote('alex'), vote('alex')], quorum: 2, want: { outcome: 'pending', approvals: 1 } },
    { name: 'two approvers reach quorum 2', votes: [vote('alex'), vote('sam')], quorum: 2, want: { outcome: 'approved', approvals: 2 } },
    { name: 'old-hash votes do not count', votes: [vote('alex', 'approve', H2)], quorum: 1, want: { outcome: 'pending', approvals: 0 } },
    { name: 'a reject wins over approvals', votes: [vote('alex'), vote('sam', 'reject', H1, 'no')], quorum: 1, want: { outcome: 'rejected', approvals: 1 } },
    { name: 'a non-approver reject does not count', votes: [vote('eve', 'reject', H1, 'no')], quorum: 1, want: { outcome: 'pending', approvals: 0 } },
  ])('$name', ({ votes, quorum, want }) => {
    const t = tally(plan(), votes, isApprover, { quorum, requesterMayCount: false });
    expect({ outcome: t.outcome, approvals: t.approvals.length }).toEqual(want);
  });

  it('fails closed when the approver list cannot be read', () => {
    expect(tally(plan(), [vote('alex')], null, PROD)).toMatchObject({ outcome: 'pending', approvals: [] });
  });
});

describe('dueAction', () => {
  const created = '2026-03-01T00:00:00.000Z';
  const expires = '2026-03-04T00:00:00.000Z'; // 72 h: halfway is 03-02T12:00
  it.each([
    { at: '2026-03-02T11:59:59.000Z', remindedAt: null, status: 'pending-approval', want: null },
    { at: '2026-03-02T12:00:00.000Z', remindedAt: null, status: 'pending-approval', want: 'remind' },
    { at: '2026-03-03T00:00:00.000Z', remindedAt: '2026-03-02T12:00:00.000Z', status: 'pending-approval', want: null },
    { at: '2026-03-04T00:00:00.000Z', remindedAt: '2026-03-02T12:00:00.000Z', status: 'pending-approval', want: 'expire' },
    { at: '2026-03-05T00:00:00.000Z', remindedAt: null, status: 'pending-approval', want: 'expire' },
    { at: '2026-03-05T00:00:00.000Z', remindedAt: null, status: 'approved', want: null },
  ] as const)('at $at (reminded $remindedAt, $status) → $want', ({ at, remindedAt, status, want }) => {
    expect(dueAction({ status, createdAt: created, expiresAt: expires, remindedAt }, new Date(at))).toBe(want);
  });
});
