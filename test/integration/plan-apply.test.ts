/**
 * The whole journey end to end over real HTTP, with the REAL runner process (node
 * dist/runner/main.js) on the REAL simulator: intake cards → discover → plan → approve (a second
 * user) → apply → report on the same card; then the simulator's state file is the configured
 * state. Also: drift between plan and apply, a failing step and its approved rollback, cancel
 * mid-job, and a bot restart mid-job on the same SQLite file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservedState, sameState } from '../../src/contracts/observed';
import { PROFILES, type Profile } from '../../src/contracts/profiles';
import { SKYPE_PROVIDER_COMMAND } from '../../src/contracts/skype-provider';
import type { SimState } from '../../src/lync-sim/state';
import { VERBS } from '../../src/bot/verbs';
import { cardOf } from '../fakes/connector';
import { configuredState, requestFixture } from '../fixtures/load';
import { allText, button, type Json } from './card-query';
import { startHarness, type Harness, appOf } from './harness';
import { press, sayForCard as sayForShown, type Shown } from './intake-flow';
import { approveAndWait, cardShows, latestCard, nextJobChange, requestApproval, seedRequest, vote, type PostedCard } from './plan-helpers';
import { enrolledRunner, killRunners, type RunnerProcess, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

// Real processes on a shared 2-core machine: give each journey room (nothing here asserts on time).
jest.setTimeout(90_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';

let dir: string;
let h: Harness | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-apply-'));
});
afterEach(async () => {
  await killRunners();
  if (h) {
    await appOf(h).plans.idle();
    await h.close();
  }
  h = null;
  rmSync(dir, { recursive: true, force: true });
});

const readSim = (file: string): SimState => JSON.parse(readFileSync(file, 'utf8')) as SimState;
const observedOf = (file: string) => ObservedState.parse(readSim(file));
function editSim(file: string, change: (s: SimState) => void): void {
  const s = readSim(file);
  change(s);
  writeFileSync(file, JSON.stringify(s, null, 2));
}

/** A free loopback port (so a restarted server comes back where the runner looks for it). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function start(options: { port?: number; dbPath?: string; leaseMs?: number } = {}): Promise<Harness> {
  const harness = await startHarness({
    ...(options.dbPath ? { dbPath: options.dbPath } : {}),
    ...(options.leaseMs ? { runnerGateway: { leaseMs: options.leaseMs } } : {}),
    env: {
      PICBOT_ADMINS: DANA.aadObjectId,
      PICBOT_APPROVERS: ALEX.aadObjectId,
      PICBOT_APPROVALS_CONVERSATION: APPROVALS.id,
      ...(options.port ? { PORT: String(options.port) } : {}),
    },
  });
  await harness.say('help', { user: ALEX, conversation: APPROVALS });
  await harness.say('help', { user: DANA });
  return harness;
}

const runnerFor = (harness: Harness, simState: string, extra: string[] = []): Promise<RunnerProcess> =>
  enrolledRunner({ server: harness.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined } as TestServer, { simState, name: 'fe01', extra });

/** Discovery of the request through its review card's button, answered by the real runner. */
async function discoverFromReview(harness: Harness, review: Shown): Promise<void> {
  const stored = nextJobChange(harness, (c) => c.type === 'finished' && c.job.kind === 'discover');
  const click = await press(harness, review, 'Discover current state');
  expect(click.status).toBe(200);
  const done = await stored;
  expect(done.job.status).toBe('succeeded');
}

/** A seeded request for `profile` (the global-scope fixture), discovered by the runner. */
async function seededAndDiscovered(harness: Harness, profile: Profile): Promise<void> {
  await seedRequest(harness, REQ, requestFixture('global', {}, profile), DANA);
  const review = await sayForShown(harness, `resume ${REQ}`, { user: DANA });
  await discoverFromReview(harness, review);
}

/** Waits until the plan's job has reported at least one finished step. */
const firstStepDone = (harness: Harness) => nextJobChange(harness, (c) => c.type === 'events' && c.events.some((e) => e.type === 'step-finished'));

const planIdOf = (p: PostedCard) => String((p.card.refresh as { action: { data: { planId: string } } }).action.data.planId);

describe('the seed procedure end to end', () => {
  it('intake → discover → plan → approve (second user) → apply → report; the simulator ends in the configured state', async () => {
    h = await start();
    const sim = writeState(dir, 'lync2013');
    await runnerFor(h, sim);

    // The intake, card by card, as Dana types it.
    let shown = await sayForShown(h, 'start', { user: DANA });
    const typed: Record<string, string>[] = [
      { label: 'pool-eu', profile: 'lync2013' },
      { agreementType: 'volume-licensing', agreementNumber: '12345678', productUseRights: 'true' },
      { edge_0: 'sip.contoso.com' },
      { domains: 'contoso.com' },
      { name: 'Dana Admin', phone: '+14255550100', 'admin:contoso.com': 'dana@contoso.com' },
      // The seed procedure includes the (retired) Skype provider, so Dana picks it over the default.
      { scope: 'global', skype: 'federation-skype', publicAudioVideo: 'false', partnerDiscovery: 'true', disablePICPromptDisplayName: 'leave' },
    ];
    for (const [i, values] of typed.entries()) {
      const r = await press(h, shown, i === typed.length - 1 ? 'Review' : 'Next', values, { user: DANA });
      shown = { card: r.card, messageId: shown.messageId };
    }
    expect(allText(shown.card)).toMatch(/Review the provisioning request/);
    const requestId = /"draftId":"(req_[0-9a-z]{16})"/.exec(JSON.stringify(shown.card))![1]!;

    await discoverFromReview(h, shown);
    // The discovery card (the review message, updated in place) offers the next step, as does the review.
    const discovered = await h.connector.waitFor((c) => c.kind === 'update' && c.activityId === shown.messageId && /Current state of pool-eu/.test(allText(cardOf(c))));
    expect(button(cardOf(discovered), 'Request approval').data).toEqual({ requestId });
    const review = await sayForShown(h, `resume ${requestId}`, { user: DANA });
    expect(button(review.card, 'Request approval').data).toEqual({ requestId });

    const posted = await requestApproval(h, requestId, DANA, APPROVALS);
    expect(allText(posted.card)).toMatch(/Approvals: 0 of 1/);
    const finished = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'apply');
    const approved = await vote(h, posted, ALEX, 'Approve');
    expect(allText(approved.card)).toMatch(/Approvals: 1 of 1: Alex Approver/);
    expect(allText(approved.card)).toMatch(/Audit checkpoint at approval: \d+:[0-9a-f]{64}/);
    expect((await finished).job.status).toBe('succeeded');

    const report = await cardShows(h, posted, /Plan applied/);
    const text = allText(report);
    expect(text).toMatch(/1\. Enable federation and partner discovery on the Access Edge/);
    expect(text.match(/✓ done · \d+(\.\d)? m?s/g)).toHaveLength(4);
    expect(text).toContain('Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true -EnablePartnerDiscovery $true -UseDnsSrvRouting');
    // The retirement stands next to the provider steps, and the report says the old Skype test is gone.
    expect(text).toMatch(/Create the Skype public provider \(retired by Microsoft on 5 May 2025\)/);
    expect(text).toMatch(/Skype test: The old functional test .* can no longer be done/);
    expect(text).toContain('New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1');
    expect(text).toMatch(/Requested by: Dana Admin \(/);
    expect(text).toMatch(/Approved by: Alex Approver \(/);
    expect(text).toMatch(/Runner: fe01\n/);
    // Short values only (a client that does not wrap fact values cuts long ones); the whole hash is in Show script.
    expect(text).toMatch(/Plan hash: [0-9a-f]{12}… \(Show script: the whole hash\)/);
    expect(text).toMatch(/Runner id: run_[0-9a-z]{16}/);
    expect(text).toMatch(/Started: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(text).toMatch(/The server resolved VerificationLevel 2 of the Skype provider to UseSourceVerification/);
    expect(text).toContain(`npx picbot audit export --id ${planIdOf(posted)}`);
    expect(buttons(report)).toEqual(expect.arrayContaining(['Show script', 'Roll back']));
    // The card posts the audit chain's tip at the job's end: the log is checked against that copy.
    const checkpoint = /Audit checkpoint at the end of the job: (\d+):([0-9a-f]{64})/.exec(text);
    expect(checkpoint).not.toBeNull();
    expect(await h.server.deps.audit.verify({ checkpoint: { seq: Number(checkpoint![1]), hash: checkpoint![2]! } })).toMatchObject({ ok: true });

    // The requester is told in her chat; the server is exactly as the seed document's steps leave it.
    const told = await h.connector.waitFor((c) => c.conversationId !== APPROVALS.id && /Your plan was applied/.test(allText(cardOf(c))));
    expect(sameState(observedOf(sim), configuredState('lync2013'))).toBe(true);

    // The applied plan closed its intake: "start" begins a new one instead of offering to resume it.
    expect(allText(cardOf(told))).toContain(`Its intake ${requestId} is closed: the request record stays ("status ${requestId}"), and "start" begins a new one.`);
    const again = await sayForShown(h, 'start', { user: DANA });
    expect(allText(again.card)).toMatch(/Target deployment/);
    expect(allText(again.card)).not.toMatch(/unfinished intake/);
    expect(allText((await sayForShown(h, `status ${requestId}`, { user: DANA })).card)).toContain(requestId);
  });
});

describe('a Lync 2013 CU5 plan on a server without CU5', () => {
  it('is refused in chat before anything is posted for approval, naming the cmdlet, the parameter and the right profile', async () => {
    h = await start();
    const sim = writeState(dir, 'lync2013');
    const before = readFileSync(sim, 'utf8');
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013-cu5');
    const answer = await h.click(VERBS.planRequest, { requestId: REQ }, { user: DANA });
    const text = allText(answer.card);
    expect(text).toMatch(/New-CsPublicProvider has no -NameDecorationRoutingDomain parameter/);
    expect(text).toMatch(/Lync Server 2013 CU5 or later \(`lync2013-cu5`\)/);
    expect(text).toMatch(/Choose Lync Server 2013 \(before CU5\) \(`lync2013`\) instead/);
    expect(text).not.toMatch(/Approval requested/);
    expect(readFileSync(sim, 'utf8')).toBe(before);
  });
});

describe.each(PROFILES.filter((p) => p !== 'lync2013').map((p) => [p]))('%s: discover → approve → apply', (profile) => {
  it('ends in the state the documented commands produce for the profile', async () => {
    h = await start();
    const sim = writeState(dir, profile);
    await runnerFor(h, sim);
    await seededAndDiscovered(h, profile);
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(await approveAndWait(h, posted, ALEX)).toBe('succeeded');
    expect(allText(await cardShows(h, posted, /Plan applied/))).toContain(SKYPE_PROVIDER_COMMAND[profile]);
    expect(sameState(observedOf(sim), configuredState(profile))).toBe(true);
  });
});

function buttons(card: Json): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n !== 'object' || n === null) return;
    const o = n as Json;
    if (o.type === 'Action.Execute' && typeof o.title === 'string') out.push(o.title);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}

/** A site policy somebody adds by hand, unrelated to picbot's plan. */
const OSLO = { identity: 'site:Oslo', enableFederationAccess: true, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: true };
const withOslo = (s: ObservedState): ObservedState => ({ ...s, externalAccessPolicies: [...s.externalAccessPolicies, OSLO] });

/** "Roll back" on a report card: picbot reads the server, then posts the rollback plan for approval. */
async function rollbackCard(harness: Harness, posted: PostedCard, report: Json): Promise<PostedCard> {
  const rb = button(report, 'Roll back');
  const asked = await harness.click(rb.verb, rb.data, { user: DANA, conversation: APPROVALS, replyToId: posted.messageId });
  expect(allText(asked.card)).toMatch(/Rollback requested/);
  const sent = await harness.connector.waitFor((c) => c.kind !== 'update' && c.conversationId === APPROVALS.id && /Approve this rollback\?/.test(allText(cardOf(c))));
  return { messageId: sent.activityId, conversation: APPROVALS, card: cardOf(sent)! };
}

/** Rolls back and approves; resolves with the rollback job as it ended. */
async function rollBackAndApprove(harness: Harness, posted: PostedCard, report: Json) {
  const rollback = await rollbackCard(harness, posted, report);
  const done = nextJobChange(harness, (c) => c.type === 'finished' && c.job.kind === 'rollback');
  await vote(harness, rollback, ALEX, 'Approve');
  return (await done).job;
}

describe('when things go wrong', () => {
  it('drift between plan and apply: aborted-drift, nothing changed, and Re-plan makes a new plan from the new state', async () => {
    h = await start();
    const sim = writeState(dir, 'sfb2019');
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'sfb2019');
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);

    // Somebody changes the server after the plan was made.
    editSim(sim, (s) => {
      s.accessEdge.allowFederatedUsers = true;
    });
    const edited = observedOf(sim);
    expect(await approveAndWait(h, posted, ALEX)).toBe('aborted-drift');
    const card = await cardShows(h, posted, /The server changed since the plan was made/);
    expect(allText(card)).toMatch(/Nothing was changed/);
    expect(sameState(observedOf(sim), edited)).toBe(true);

    // Re-plan: discovery again, then a new plan for approval that no longer turns federation on.
    const rediscovered = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'discover');
    const replan = button(card, 'Re-plan');
    const click = await h.click(replan.verb, replan.data, { user: DANA, conversation: APPROVALS, replyToId: posted.messageId });
    expect(allText(click.card)).toMatch(/Re-planning/);
    await rediscovered;
    const next = await h.connector.waitFor((c) => c.conversationId === APPROVALS.id && /Approve this plan\?/.test(allText(cardOf(c))) && c.activityId !== posted.messageId);
    expect(allText(cardOf(next))).toMatch(/Follows: plan plan_/);
    expect(allText(cardOf(next))).toContain('Set-CsAccessEdgeConfiguration -EnablePartnerDiscovery $true');
  });

  it('a failing step stops the job and the report shows the error; the rollback plan, approved and applied, restores the original state', async () => {
    h = await start();
    const sim = writeState(dir, 'lync2013', (s) => {
      s.faults = { fail: { 'publicProvider.remove': 'Cannot remove the provider: access is denied.' } };
    });
    const original = observedOf(sim);
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013');
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(await approveAndWait(h, posted, ALEX)).toBe('failed');

    const report = allText(await cardShows(h, posted, /Plan failed/));
    expect(report.match(/✓ done/g)).toHaveLength(2);
    expect(report).toMatch(/✗ failed/);
    expect(report).toMatch(/Cannot remove the provider: access is denied\./);
    expect(report).toMatch(/– not run/);
    expect(sameState(observedOf(sim), original)).toBe(false);

    // Roll back: a new plan of its own, approved like any plan.
    const rb = button(latestCard(h, posted), 'Roll back');
    const asked = await h.click(rb.verb, rb.data, { user: DANA, conversation: APPROVALS, replyToId: posted.messageId });
    expect(allText(asked.card)).toMatch(/Rollback requested/);
    const sent = await h.connector.waitFor((c) => c.conversationId === APPROVALS.id && /Approve this rollback\?/.test(allText(cardOf(c))));
    const rollback: PostedCard = { messageId: sent.activityId, conversation: APPROVALS, card: cardOf(sent)! };
    expect(allText(rollback.card)).toMatch(/Rolls back: job_[0-9a-z]{16} \(plan plan_/);
    expect(allText(rollback.card)).toContain('Set-CsAccessEdgeConfiguration -AllowFederatedUsers $false -EnablePartnerDiscovery $false');
    const done = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'rollback');
    await vote(h, rollback, ALEX, 'Approve');
    expect((await done).job.status).toBe('succeeded');
    await cardShows(h, rollback, /Rollback applied/);
    expect(sameState(observedOf(sim), original)).toBe(true);
    // The first card tells where its rollback stands.
    await cardShows(h, posted, /Rollback plan_[0-9a-z]{16}: applied/);
  });

  it('a change on the server after the apply does not block the rollback: picbot restores what it changed and leaves the rest', async () => {
    h = await start();
    const sim = writeState(dir, 'lync2013');
    const original = observedOf(sim);
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013');
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(await approveAndWait(h, posted, ALEX)).toBe('succeeded');
    const report = await cardShows(h, posted, /Plan applied/);

    // Later, somebody adds a site policy that has nothing to do with picbot's plan.
    editSim(sim, (s) => {
      s.externalAccessPolicies.push(OSLO);
    });
    const rolledBack = await rollBackAndApprove(h, posted, report);
    expect(rolledBack.status).toBe('succeeded');
    // What picbot changed is undone; the unrelated change stays.
    expect(sameState(observedOf(sim), withOslo(original))).toBe(true);
  });

  it('Re-plan on a rollback that met a changed server builds the rollback of the original plan again, from the state now', async () => {
    h = await start();
    const sim = writeState(dir, 'lync2013');
    const original = observedOf(sim);
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013');
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    expect(await approveAndWait(h, posted, ALEX)).toBe('succeeded');
    const report = await cardShows(h, posted, /Plan applied/);

    const rollback = await rollbackCard(h, posted, report);
    // The server changes between the rollback plan and its approval: the rollback stops, changing nothing.
    editSim(sim, (s) => {
      s.externalAccessPolicies.push(OSLO);
    });
    const drifted = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'rollback');
    await vote(h, rollback, ALEX, 'Approve');
    expect((await drifted).job.status).toBe('aborted-drift');
    const stopped = await cardShows(h, rollback, /The server changed since the plan was made/);

    // Re-plan on the rollback's card: a new ROLLBACK of the original plan, not the forward plan again.
    const again = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'discover');
    const replan = button(stopped, 'Re-plan');
    const click = await h.click(replan.verb, replan.data, { user: DANA, conversation: APPROVALS, replyToId: rollback.messageId });
    expect(allText(click.card)).toMatch(/a new rollback of plan plan_[0-9a-z]{16} follows/);
    await again;
    const sent = await h.connector.waitFor((c) => c.kind !== 'update' && c.conversationId === APPROVALS.id && /Approve this (plan|rollback)\?/.test(allText(cardOf(c))) && ![posted.messageId, rollback.messageId].includes(c.activityId));
    const second: PostedCard = { messageId: sent.activityId, conversation: APPROVALS, card: cardOf(sent)! };
    expect(allText(second.card)).toMatch(/Approve this rollback\?/);
    expect(allText(second.card)).toContain(`(plan ${planIdOf(posted)})`);
    const done = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'rollback');
    await vote(h, second, ALEX, 'Approve');
    expect((await done).job.status).toBe('succeeded');
    expect(sameState(observedOf(sim), withOslo(original))).toBe(true);
  });

  it('cancel mid-job stops after the current step', async () => {
    // A 3 s lease: the runner heartbeats (and hears a cancel) every second, while each slowed step takes longer.
    h = await start({ leaseMs: 3_000 });
    const sim = writeState(dir, 'lync2013');
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013');
    // Slow every op from now on (faults are not part of the state the plan was made from).
    editSim(sim, (s) => {
      s.faults = { delayMs: 800 };
    });
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const started = nextJobChange(h, (c) => c.type === 'events' && c.events.some((e) => e.type === 'step-started'));
    const finished = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'apply');
    await vote(h, posted, ALEX, 'Approve');
    await started;
    const running = await cardShows(h, posted, /Applying on fe01/);
    const cancel = button(running, 'Cancel');
    const click = await h.click(cancel.verb, cancel.data, { user: DANA, conversation: APPROVALS, replyToId: posted.messageId });
    expect(allText(click.card)).toMatch(/Cancel requested by Dana Admin: the runner stops after the current step/);
    expect((await finished).job.status).toBe('cancelled');
    const report = allText(await cardShows(h, posted, /Plan cancelled/));
    expect(report).toMatch(/– not run/);
    expect(await h.server.deps.audit.list({ subjectId: planIdOf(posted) })).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'plan.cancel-requested', actor: DANA.aadObjectId.toLowerCase() })]));
  });

  it('a bot restart mid-job (same SQLite file) loses nothing: the report completes on the same card', async () => {
    const port = await freePort();
    const dbPath = join(dir, 'picbot.db');
    h = await start({ port, dbPath });
    const sim = writeState(dir, 'lync2013');
    await runnerFor(h, sim);
    await seededAndDiscovered(h, 'lync2013');
    editSim(sim, (s) => {
      s.faults = { delayMs: 250 };
    });
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const oneDone = firstStepDone(h);
    await vote(h, posted, ALEX, 'Approve');
    await oneDone;

    // Stop the bot while the runner works (card updates still queued are lost with it).
    await h.restart();
    // After the restart the runner's remaining events and result reach the new server.
    const report = allText(await cardShows(h, posted, /Plan applied/));
    expect(report.match(/✓ done/g)).toHaveLength(4);
    expect(sameState(observedOf(sim), configuredState('lync2013'))).toBe(true);
    const actions = (await h.server.deps.audit.list({ subjectId: planIdOf(posted) })).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['plan.requested', 'plan.vote', 'plan.approved', 'plan.dispatched', 'plan.finished']));
  });
});
