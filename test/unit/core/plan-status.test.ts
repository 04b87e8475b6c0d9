import { FINAL_STATUSES, nextPlanStatus, PLAN_STATUSES, type PlanEvent, type PlanStatus } from '../../../src/core/plan-status';

describe('plan state machine', () => {
  it.each<{ from: PlanStatus; event: PlanEvent; want?: PlanStatus; wantRefusal?: string }>([
    { from: 'pending-approval', event: { type: 'quorum' }, want: 'approved' },
    { from: 'pending-approval', event: { type: 'reject' }, want: 'rejected' },
    { from: 'pending-approval', event: { type: 'expire' }, want: 'expired' },
    { from: 'pending-approval', event: { type: 'dispatch' }, wantRefusal: 'illegal-transition' },
    { from: 'approved', event: { type: 'dispatch' }, want: 'applying' },
    { from: 'approved', event: { type: 'dispatch-refused' }, want: 'failed' },
    { from: 'approved', event: { type: 'quorum' }, wantRefusal: 'illegal-transition' },
    { from: 'approved', event: { type: 'reject' }, wantRefusal: 'illegal-transition' },
    { from: 'applying', event: { type: 'job-finished', outcome: 'succeeded' }, want: 'succeeded' },
    { from: 'applying', event: { type: 'job-finished', outcome: 'failed' }, want: 'failed' },
    { from: 'applying', event: { type: 'job-finished', outcome: 'aborted-drift' }, want: 'aborted-drift' },
    { from: 'applying', event: { type: 'job-finished', outcome: 'cancelled' }, want: 'cancelled' },
    { from: 'applying', event: { type: 'job-finished', outcome: 'interrupted' }, want: 'interrupted' },
    { from: 'applying', event: { type: 'expire' }, wantRefusal: 'illegal-transition' },
    { from: 'rejected', event: { type: 'quorum' }, wantRefusal: 'illegal-transition' },
    { from: 'expired', event: { type: 'quorum' }, wantRefusal: 'illegal-transition' },
    { from: 'succeeded', event: { type: 'job-finished', outcome: 'failed' }, wantRefusal: 'illegal-transition' },
  ])('$from + $event.type → $want$wantRefusal', ({ from, event, want, wantRefusal }) => {
    const t = nextPlanStatus(from, event);
    if (wantRefusal) expect(t).toMatchObject({ ok: false, code: wantRefusal });
    else expect(t).toEqual({ ok: true, status: want });
  });

  it.each([...FINAL_STATUSES])('%s takes no event at all', (status) => {
    const events: PlanEvent[] = [{ type: 'quorum' }, { type: 'reject' }, { type: 'expire' }, { type: 'dispatch' }, { type: 'dispatch-refused' }, { type: 'job-finished', outcome: 'succeeded' }];
    for (const e of events) expect(nextPlanStatus(status, e).ok).toBe(false);
  });

  it('every status is either final or has a way out', () => {
    for (const s of PLAN_STATUSES) if (!FINAL_STATUSES.has(s)) expect(['pending-approval', 'approved', 'applying']).toContain(s);
  });
});
