/**
 * The approval rules over the real HTTP invoke path, with different Teams users, in local mode
 * with PICBOT_ADMINS and PICBOT_APPROVERS set (so the production rules apply). Each rule has a
 * refused click (answered for the clicker only, the card message left as it is) and a passing one.
 */
import { VERBS } from '../../src/bot/verbs';
import { cardOf } from '../fakes/connector';
import { fakeClock, type FakeClock } from '../fakes/clock';
import { freshState, requestFixture } from '../fixtures/load';
import { allText, buttons, errorsUnder, inputs, type Json } from './card-query';
import { startHarness, type ClickResult, type Harness, appOf } from './harness';
import { cardShows, discover, httpRunner, nextJobChange, requestApproval as requestApprovalCard, sayForCard, seedRequest, updatedForEveryone, vote, type PostedCard } from './plan-helpers';
import { ALEX, channel, DANA, personalChat, type TeamsConversation, type TeamsUser } from './teams-activities';

const SAM: TeamsUser = { aadObjectId: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f', teamsUserId: '29:1sam-Xy7wQz3pL', name: 'Sam Approver' };
const EVE: TeamsUser = { aadObjectId: 'e1e2e3e4-0000-4000-8000-00000000e4e5', teamsUserId: '29:1eve-Nb4vTr8kM', name: 'Eve Bystander' };
const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';

interface World {
  h: Harness;
  clock: FakeClock;
  runner: Awaited<ReturnType<typeof httpRunner>>;
  votes(): number;
}

async function world(quorum: number): Promise<World> {
  const clock = fakeClock('2026-11-02T09:00:00.000Z');
  const h = await startHarness({
    clock,
    env: {
      PICBOT_ADMINS: DANA.aadObjectId,
      PICBOT_APPROVERS: [DANA, ALEX, SAM].map((u) => u.aadObjectId).join(','),
      // A channel id, as an operator configures it; the bot has only seen threads of it.
      PICBOT_APPROVALS_CONVERSATION: APPROVALS.channelId,
      PICBOT_APPROVAL_QUORUM: String(quorum),
    },
  });
  // The bot learns the approvals channel (and the approvers' Teams ids) from messages there.
  for (const u of [ALEX, SAM, EVE]) await h.say('help', { user: u, conversation: APPROVALS });
  await h.say('help', { user: DANA });
  await seedRequest(h, REQ, requestFixture('global'), DANA);
  const runner = await httpRunner(h);
  await discover(h, REQ, DANA, runner, freshState('lync2013'));
  const votes = () => (h.server.deps.db.sqlite!.prepare('SELECT COUNT(*) AS n FROM plan_votes').get() as { n: number }).n;
  return { h, clock, runner, votes };
}

/**
 * Approved plans here wait for a runner that never runs write steps; a new plan of the same request
 * is refused while one is being applied, so each test first cancels what the previous one started
 * (a queued job is cancelled at once, and its plan ends cancelled).
 */
async function requestApproval(h: Harness, requestId: string, owner: TeamsUser, approvals: TeamsConversation) {
  for (const job of await h.server.deps.jobs.list({ statuses: ['queued'], purpose: 'plan-apply' })) {
    const ended = nextJobChange(h, (c) => c.type === 'finished' && c.job.id === job.id);
    await h.server.deps.jobs.cancel(job.id, 'test');
    await ended;
  }
  const db = h.server.deps.db.sqlite!;
  while ((db.prepare("SELECT COUNT(*) AS n FROM plans WHERE status IN ('approved', 'applying')").get() as { n: number }).n > 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return requestApprovalCard(h, requestId, owner, approvals);
}

const planIdOf = (p: PostedCard) => String((p.card.refresh as { action: { data: { planId: string } } }).action.data.planId);
const status = (w: World, p: PostedCard) => (w.h.server.deps.db.sqlite!.prepare('SELECT status FROM plans WHERE id = ?').get(planIdOf(p)) as { status: string }).status;

/**
 * A refused click: the clicker sees why; the message stays as it is for everyone else; nothing is
 * stored. Card updates asked for before the click (they go through the card scheduler) are let
 * out first, so any update seen during the click would be the click's own.
 */
async function expectRefused(w: World, click: () => Promise<ClickResult>, posted: PostedCard, pattern: RegExp): Promise<void> {
  await appOf(w.h).plans.idle();
  const r = await click();
  expect(allText(r.card)).toMatch(pattern);
  expect(updatedForEveryone(r, posted)).toBe(false);
}

describe('quorum 1', () => {
  let w: World;
  beforeAll(async () => {
    w = await world(1);
  });
  afterAll(async () => {
    await appOf(w.h).plans.idle();
    await w.h.close();
  });

  it('the approval card shows the requester, target, data, commands, hash, votes, expiry and refreshes for the approvers', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    // A new post in the configured channel (the bot knew the channel only from a thread in it).
    expect(posted.conversation.id).toBe(`${APPROVALS.channelId};messageid=${posted.messageId}`);
    const text = allText(posted.card);
    expect(text).toMatch(/Approve this plan\?/);
    expect(text).toMatch(/Requested by: Dana Admin/);
    expect(text).toMatch(/Target: pool-eu · Lync Server 2013 \(before CU5\)/);
    expect(text).toMatch(/SIP domains: contoso\.com/);
    expect(text).toMatch(/Set-CsAccessEdgeConfiguration -AllowFederatedUsers \$true/);
    expect(text).toMatch(/Remove-CsPublicProvider -Identity Messenger/);
    expect(text).toContain('New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1');
    expect(text).toMatch(/Plan hash: [0-9a-f]{12}/);
    expect(text).toMatch(/Approvals: 0 of 1/);
    expect(text).toMatch(/Expires: 2026-11-05 09:00 UTC/);
    expect((posted.card.refresh as { userIds: string[] }).userIds.sort()).toEqual([ALEX.teamsUserId, DANA.teamsUserId, SAM.teamsUserId].sort());
    // The requester is told where it went, in their own chat.
    expect(allText(posted.answer.card)).toMatch(/being posted in the approvals conversation/);
    // Show script: the whole plan with its rollback, for the clicker only, and only for admins and approvers.
    const script = await w.h.click(VERBS.planScript, { planId: planIdOf(posted) }, { user: ALEX, conversation: APPROVALS, replyToId: posted.messageId });
    expect(allText(script.card)).toMatch(/# ---- Rollback ----/);
    expect(allText(script.card)).toContain(`# Plan hash: ${String((posted.card.refresh as { action: { data: { planId: string } } }) && '')}`.slice(0, 14));
    expect(updatedForEveryone(script, posted)).toBe(false);
    const eve = await w.h.click(VERBS.planScript, { planId: planIdOf(posted) }, { user: EVE, conversation: APPROVALS, replyToId: posted.messageId });
    await expectRefused(w, async () => eve, posted, /Only picbot admins and approvers may see plans/);
    // Settle this plan so the next test starts clean.
    await vote(w.h, posted, ALEX, 'Reject', 'not now');
  });

  it('clicker must be an approver: Eve refused, Alex passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await expectRefused(w, () => vote(w.h, posted, EVE, 'Approve'), posted, /Only picbot approvers may vote/);
    expect(status(w, posted)).toBe('pending-approval');
    const ok = await vote(w.h, posted, ALEX, 'Approve');
    expect(allText(ok.card)).toMatch(/Approvals: 1 of 1: Alex Approver/);
    // The card everyone sees follows through the card scheduler.
    await cardShows(w.h, posted, /Approvals: 1 of 1: Alex Approver/);
    expect(status(w, posted)).not.toBe('pending-approval');
  });

  it('the requester never counts: Dana (an approver) refused on her own plan, Sam passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const before = w.votes();
    await expectRefused(w, () => vote(w.h, posted, DANA, 'Approve', '', posted.card), posted, /You requested this plan/);
    expect(w.votes()).toBe(before);
    await vote(w.h, posted, SAM, 'Approve');
    expect(status(w, posted)).toMatch(/approved|applying/);
  });

  it('idempotent: a double click or a retried invoke records one vote and answers the same', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const before = w.votes();
    const first = await vote(w.h, posted, ALEX, 'Approve');
    const again = await vote(w.h, posted, ALEX, 'Approve');
    expect(w.votes()).toBe(before + 1);
    expect(allText(again.card)).toMatch(/Your vote to approve was already recorded/);
    expect(allText(again.card)).toMatch(/Approvals: 1 of 1: Alex Approver/);
    expect(allText(first.card)).toMatch(/Approvals: 1 of 1: Alex Approver/);
  });

  it('the vote is bound to the plan hash on the card: an old hash is refused, the current one passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const forged = { ...posted.card, actions: posted.card.actions } as Json;
    const oldHash = 'f'.repeat(64);
    const r = await w.h.click(VERBS.planApprove, { planId: planIdOf(posted), planHash: oldHash }, { user: ALEX, conversation: APPROVALS, replyToId: posted.messageId });
    await expectRefused(w, async () => r, posted, /The plan changed since this card was shown/);
    expect(forged).toBeTruthy();
    await vote(w.h, posted, ALEX, 'Approve');
    expect(status(w, posted)).toMatch(/approved|applying/);
  });

  it('a reject needs a reason: the same card for the clicker with the message under the field; with a reason it ends the request and the requester is told', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const empty = await vote(w.h, posted, ALEX, 'Reject', '');
    expect(errorsUnder(empty.card, 'reason')).toEqual(['Give a reason to reject the plan: the requester sees it.']);
    expect(updatedForEveryone(empty, posted)).toBe(false);
    const typed = await vote(w.h, posted, ALEX, 'Reject', 'Change freeze until Monday');
    expect(allText(typed.card)).toMatch(/Rejected by Alex Approver: Change freeze until Monday/);
    expect(inputs(await cardShows(w.h, posted, /Rejected by Alex Approver: Change freeze until Monday/))).toEqual({});
    expect(inputs(typed.card)).toEqual({});
    await w.h.connector.waitFor((c) => (c.kind === 'send' || c.kind === 'reply') && /Your plan was rejected/.test(allText((c.activity.attachments as { content: Json }[])[0]!.content)));
    await expectRefused(w, () => vote(w.h, posted, SAM, 'Approve', '', posted.card), posted, /no longer takes votes: it is rejected/);
  });

  it('expiry: a click after the approval window is refused and the card says expired; a fresh plan passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    w.clock.advanceDays(3);
    await appOf(w.h).plans.idle();
    // Unlike the other refusals, this click changes the plan (it expires now), so the card's update
    // for everyone may already go out while the click is answered: only the clicker's answer and
    // the card's final text are checked, and no vote is recorded.
    const late = await vote(w.h, posted, ALEX, 'Approve');
    expect(allText(late.card)).toMatch(/expired without enough approvals/);
    await cardShows(w.h, posted, /Plan expired/);
    expect(status(w, posted)).toBe('expired');
    expect(w.h.server.deps.db.sqlite!.prepare('SELECT COUNT(*) AS n FROM plan_votes WHERE plan_id = ?').get(planIdOf(posted))).toEqual({ n: 0 });
    const fresh = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await vote(w.h, fresh, ALEX, 'Approve');
    expect(status(w, fresh)).toMatch(/approved|applying/);
  });

  it('fail closed: when the votes cannot be read nothing is approved; once readable the click passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const db = w.h.server.deps.db.sqlite!;
    db.prepare('ALTER TABLE plan_votes RENAME TO plan_votes_away').run();
    try {
      await expectRefused(w, () => vote(w.h, posted, ALEX, 'Approve'), posted, /could not read the plan, its votes or the approver list/);
    } finally {
      db.prepare('ALTER TABLE plan_votes_away RENAME TO plan_votes').run();
    }
    expect(status(w, posted)).toBe('pending-approval');
    await vote(w.h, posted, ALEX, 'Approve');
    expect(status(w, posted)).toMatch(/approved|applying/);
  });

  it('every decision and refusal is in the audit trail, and `audit <plan id>` shows it with the export command', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await vote(w.h, posted, EVE, 'Approve');
    await vote(w.h, posted, ALEX, 'Approve');
    await cardShows(w.h, posted, /Job: job_/);
    const text = allText(await sayForCard(w.h, `audit ${planIdOf(posted)}`, { user: ALEX, conversation: APPROVALS }, /Audit trail of/));
    for (const action of ['plan.requested', 'plan.vote-refused', 'plan.vote', 'plan.approved', 'plan.dispatched']) expect(text).toContain(action);
    expect(text).toContain(`npx picbot audit export --id ${planIdOf(posted)}`);
  });

  it('a throttled channel (429 twice) delays the approval card but does not lose it', async () => {
    w.h.connector.failNext(429, 2);
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    expect(allText(posted.card)).toMatch(/Approve this plan\?/);
    await vote(w.h, posted, ALEX, 'Reject', 'only testing the channel');
  });

  it.each([
    { verb: VERBS.planApprove, data: { planId: 'plan_0123456789abcdef' } },
    { verb: VERBS.planReject, data: { planId: 'plan_0123456789abcdef', planHash: 'abc', reason: 'x' } },
    { verb: VERBS.planApprove, data: 'approve' },
    { verb: VERBS.planScript, data: { planId: '../../etc/passwd' } },
    { verb: VERBS.planRequest, data: { requestId: 42 } },
    { verb: VERBS.jobCancel, data: {} },
    { verb: VERBS.jobRollback, data: { planId: null } },
    { verb: VERBS.jobRetry, data: [] },
    { verb: VERBS.planRefresh, data: { planId: 'plan_x' } },
  ])('malformed card data for $verb gets a clear refusal for the clicker, never an error', async ({ verb, data }) => {
    const r = await w.h.click(verb, data, { user: ALEX, conversation: APPROVALS });
    expect(r.status).toBe(200);
    expect(allText(r.card)).toMatch(/That card can't be used/);
  });

  it('a well-formed click on a plan that does not exist says so', async () => {
    const r = await w.h.click(VERBS.planApprove, { planId: 'plan_0123456789abcdef', planHash: 'a'.repeat(64) }, { user: ALEX, conversation: APPROVALS });
    expect(allText(r.card)).toMatch(/There is no plan plan_0123456789abcdef/);
    const s = await w.h.say('status plan_0123456789abcdef', { user: ALEX, conversation: APPROVALS });
    expect(s.calls.some((c) => /There is no plan plan_0123456789abcdef/.test(allText(cardOf(c))))).toBe(true);
  });

  it('`plans` lists open and recent plans; `status <plan id>` shows the card', async () => {
    const listText = allText(await sayForCard(w.h, 'plans', { user: ALEX, conversation: APPROVALS }, /Plans/));
    expect(listText).toMatch(/Plans/);
    expect(listText).toMatch(/pool-eu · plan plan_[0-9a-z]{16}/);
    expect(listText).toMatch(/rejected|expired|applying/);
    const planId = /plan (plan_[0-9a-z]{16})/.exec(listText)![1]!;
    expect(allText(await sayForCard(w.h, `status ${planId}`, { user: ALEX, conversation: APPROVALS }, new RegExp(planId)))).toMatch(/Requested by: Dana Admin/);
    await sayForCard(w.h, 'plans', { user: EVE, conversation: APPROVALS }, /Admins and approvers only/);
  });
});

describe('quorum 2', () => {
  let w: World;
  beforeAll(async () => {
    w = await world(2);
  });
  afterAll(async () => {
    await appOf(w.h).plans.idle();
    await w.h.close();
  });

  it('quorum: one approval is not enough, the second approves', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    const first = await vote(w.h, posted, ALEX, 'Approve');
    expect(allText(first.card)).toMatch(/Waiting for approval: 1 of 2 \(1 more needed\)/);
    expect(status(w, posted)).toBe('pending-approval');
    await vote(w.h, posted, SAM, 'Approve');
    expect(status(w, posted)).toMatch(/approved|applying/);
  });

  it('one vote per person: Alex cannot also reject after approving; Sam\'s approval passes', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await vote(w.h, posted, ALEX, 'Approve');
    await expectRefused(w, () => vote(w.h, posted, ALEX, 'Reject', 'changed my mind'), posted, /You already voted to approve this plan/);
    await vote(w.h, posted, SAM, 'Approve');
    expect(status(w, posted)).toMatch(/approved|applying/);
  });

  it('a plan change voids the votes: after re-planning, the old card is refused and the votes start again', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await vote(w.h, posted, ALEX, 'Approve');
    // The server changed: a new discovery, then "Request approval" again re-plans the pending plan in place.
    const changed = freshState('lync2013');
    changed.accessEdge.allowFederatedUsers = true;
    changed.accessEdge.enablePartnerDiscovery = true;
    await discover(w.h, REQ, DANA, w.runner, changed);
    const again = await w.h.click(VERBS.planRequest, { requestId: REQ }, { user: DANA });
    expect(allText(again.card)).toMatch(/Approval requested/);
    expect(allText(again.card)).toMatch(/planned again from the latest discovery \(revision 2/);
    const current = await cardShows(w.h, posted, /revision 2: votes for earlier revisions do not count/);
    expect(allText(current)).toMatch(/Approvals: 0 of 2/);
    expect(allText(current)).not.toMatch(/Set-CsAccessEdgeConfiguration/);
    // Sam still has the old card: refused, and shown the current one.
    await expectRefused(w, () => vote(w.h, posted, SAM, 'Approve', '', posted.card), posted, /The plan changed since this card was shown/);
    const alexAgain = await vote(w.h, posted, ALEX, 'Approve', '', current);
    expect(allText(alexAgain.card)).toMatch(/Approvals: 1 of 2/);
    await vote(w.h, posted, SAM, 'Approve', '', current);
    expect(status(w, posted)).toMatch(/approved|applying/);
    // Put the state back for the other tests.
    await discover(w.h, REQ, DANA, w.runner, freshState('lync2013'));
  });

  it('the sweeper reminds approvers who have not voted once, halfway to expiry', async () => {
    const posted = await requestApproval(w.h, REQ, DANA, APPROVALS);
    await vote(w.h, posted, ALEX, 'Approve');
    const area = appOf(w.h).plans;
    w.clock.advanceDays(1);
    expect(await area.sweep()).toEqual({ expired: 0, reminded: 0 });
    w.clock.advanceDays(0.5);
    expect(await area.sweep()).toEqual({ expired: 0, reminded: 1 });
    expect(await area.sweep()).toEqual({ expired: 0, reminded: 0 });
    const reminder = await w.h.connector.waitFor((c) => (c.kind === 'send' || c.kind === 'reply') && c.conversationId === APPROVALS.channelId && /Reminder: a plan waits for approval/.test(allText((c.activity.attachments as { content: Json }[])[0]!.content)));
    expect(allText((reminder.activity.attachments as { content: Json }[])[0]!.content)).toMatch(/Not voted yet: Sam Approver\./);
    w.clock.advanceDays(1.5);
    expect(await area.sweep()).toEqual({ expired: 1, reminded: 0 });
    expect(status(w, posted)).toBe('expired');
  });
});

describe('the review card', () => {
  it('offers "Request approval" only once a discovery of the request succeeded', async () => {
    const h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
    try {
      await seedRequest(h, REQ, requestFixture('global'), DANA);
      const titles = async () => buttons(await sayForCard(h, `resume ${REQ}`, { user: DANA }, /Review the provisioning request/)).map((b) => b.title);
      const before = await titles();
      expect(before).toEqual(expect.arrayContaining(['Discover current state', 'Run preflight']));
      expect(before).not.toContain('Request approval');
      await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));
      expect(await titles()).toContain('Request approval');
    } finally {
      await appOf(h).plans.idle();
      await h.close();
    }
  });
});

describe('local mode without PICBOT_APPROVERS', () => {
  it('every user is an approver and the requester\'s own click approves; the card says so', async () => {
    // No PICBOT_ADMINS, PICBOT_APPROVERS or approvals conversation: the relaxed local rules.
    const h = await startHarness({ clock: fakeClock('2026-11-02T09:00:00.000Z') });
    try {
      await h.say('help', { user: DANA });
      await seedRequest(h, REQ, requestFixture('global'), DANA);
      await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));
      const posted = await requestApprovalCard(h, REQ, DANA, personalChat(DANA));
      expect(allText(posted.card)).toMatch(/Local mode without PICBOT_APPROVERS: every user is an approver, and the requester's own approval counts\./);
      const own = await vote(h, posted, DANA, 'Approve');
      expect(allText(own.card)).toMatch(/Approvals: 1 of 1: Dana Admin/);
      expect(allText(own.card)).not.toMatch(/Vote not counted/);
      const plan = h.server.deps.db.sqlite!.prepare('SELECT status FROM plans WHERE id = ?').get(planIdOf(posted)) as { status: string };
      expect(plan.status).toMatch(/approved|applying/);
      await cardShows(h, posted, /Approved by|Applying|Waiting for a runner/);
    } finally {
      await appOf(h).plans.idle();
      await h.close();
    }
  });
});
