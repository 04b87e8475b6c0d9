/**
 * Drift watch end to end over real HTTP, with the REAL runner process on the REAL simulator: a
 * plan is applied, somebody changes the simulator's state file by hand, `drift` finds it and posts
 * one drift card where the plan was approved; "Plan to restore" goes through the usual approval
 * and puts the baseline back; "Accept as the new baseline" (with a reason) makes the next check
 * clean; an offline runner means "not checked" and no drift card; asking twice posts no second card.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservedState, sameState } from '../../src/contracts/observed';
import type { SimState } from '../../src/lync-sim/state';
import { createDriftStore } from '../../src/bot/stores/drift-watch';
import { createPreflightRunStore } from '../../src/bot/stores/preflight-runs';
import { readKey, type DriftKey } from '../../src/core/drift';
import { cardOf, type ConnectorCall } from '../fakes/connector';
import { configuredState, requestFixture } from '../fixtures/load';
import { allText, button, buttons, clickData, errorsUnder, inputs, type Json } from './card-query';
import { startHarness, type Harness, appOf } from './harness';
import { press, sayForCard as sayForShown } from './intake-flow';
import { runPicbot } from './cli-process';
import { approveAndWait, clickedIn, httpRunner, nextJobChange, requestApproval, sayForCard, seedRequest, type PostedCard } from './plan-helpers';
import { enrolledRunner, killRunners, type RunnerProcess, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

// Real processes on a shared 2-core machine: give each journey room (nothing here asserts on time).
jest.setTimeout(120_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';

let dir: string;
let h: Harness | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-drift-'));
});
afterEach(async () => {
  await killRunners();
  if (h) {
    await appOf(h).drift.watch.idle();
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
/** What somebody does in the Control Panel: federation off, and no public IM in the Global policy. */
const handEdit = (s: SimState) => {
  s.accessEdge.allowFederatedUsers = false;
  s.externalAccessPolicies.find((p) => p.identity === 'Global')!.enablePublicCloudAccess = false;
};

async function start(): Promise<Harness> {
  const harness = await startHarness({
    env: {
      PICBOT_ADMINS: DANA.aadObjectId,
      PICBOT_APPROVERS: ALEX.aadObjectId,
      PICBOT_APPROVALS_CONVERSATION: APPROVALS.id,
      // No periodic check in tests: every check here is asked for.
      PICBOT_DRIFT_INTERVAL_MINUTES: '0',
      // An offline runner's check gives up after this (the smallest allowed).
      PICBOT_DISCOVERY_TIMEOUT_SECONDS: '5',
    },
  });
  await harness.say('help', { user: ALEX, conversation: APPROVALS });
  await harness.say('help', { user: DANA });
  return harness;
}

const runnerFor = (harness: Harness, simState: string): Promise<RunnerProcess> =>
  enrolledRunner({ server: harness.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined } as TestServer, { simState, name: 'fe01' });

const watchOf = (harness: Harness) => appOf(harness).drift.watch;

/** Polls until `probe` gives a value (background work finishing; nothing here is timed). */
async function eventually<T>(probe: () => Promise<T | null | undefined | false>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A seeded global-scope request for Lync 2013, discovered, approved by Alex and applied; resolves once the baseline is stored. */
async function appliedPlan(harness: Harness): Promise<{ sim: string; posted: PostedCard }> {
  const sim = writeState(dir, 'lync2013');
  await runnerFor(harness, sim);
  await seedRequest(harness, REQ, requestFixture('global', {}, 'lync2013'), DANA);
  const review = await sayForShown(harness, `resume ${REQ}`, { user: DANA });
  const discovered = nextJobChange(harness, (c) => c.type === 'finished' && c.job.kind === 'discover');
  expect((await press(harness, review, 'Discover current state')).status).toBe(200);
  expect((await discovered).job.status).toBe('succeeded');
  const posted = await requestApproval(harness, REQ, DANA, APPROVALS);
  expect(await approveAndWait(harness, posted, ALEX)).toBe('succeeded');
  await eventually(() => watchOf(harness).status('pool-eu'));
  return { sim, posted };
}

const inApprovals = (c: ConnectorCall) => c.conversationId === APPROVALS.id || c.conversationId === APPROVALS.channelId;
const driftCardsSent = (harness: Harness) =>
  harness.connector.calls.filter((c) => c.kind !== 'update' && inApprovals(c) && /· drift watch/.test(allText(cardOf(c))));

/** Says `drift …` and waits until its answer card shows the check ended (updated in place). */
async function driftCommand(harness: Harness, text = 'drift'): Promise<string> {
  const r = await harness.say(text, { user: DANA });
  const reply = r.calls.find((c) => (c.kind === 'reply' || c.kind === 'send') && /Checking for drift/.test(allText(cardOf(c))));
  if (!reply) throw new Error(`no answer to "${text}": ${r.calls.map((c) => allText(cardOf(c)).slice(0, 80)).join(' | ')}`);
  const done = await harness.connector.waitFor((c) => c.kind === 'update' && c.activityId === reply.activityId && /Drift check/.test(allText(cardOf(c))) && !/Checking/.test(allText(cardOf(c))));
  await watchOf(harness).idle();
  return allText(cardOf(done));
}

/** The drift card posted in the approvals channel (the nth one, counting from 0). */
async function postedDriftCard(harness: Harness, n = 0): Promise<PostedCard> {
  const sent = await eventually(async () => driftCardsSent(harness)[n]);
  return { messageId: sent.activityId, conversation: clickedIn(APPROVALS, sent), card: cardOf(sent)! };
}

/** The latest version of a posted card (its last update, else as sent). */
function latest(harness: Harness, posted: PostedCard): Json {
  const updates = harness.connector.calls.filter((c) => c.kind === 'update' && c.activityId === posted.messageId);
  return updates.length > 0 ? cardOf(updates[updates.length - 1])! : posted.card;
}

const keyLines = (card: Json) => allText(card).split('\n').filter((l) => /^Baseline: /.test(l));

describe('drift watch', () => {
  it('apply → hand edit → drift: one card with both keys; drift again: no second card; Plan to restore → approve → apply: back to baseline', async () => {
    h = await start();
    const { sim } = await appliedPlan(h);
    const baseline = observedOf(sim);
    expect(sameState(baseline, configuredState('lync2013'))).toBe(true);

    // Nothing changed yet: the check is clean and posts nothing.
    expect(await driftCommand(h)).toMatch(/pool-eu: no drift\./);
    expect(driftCardsSent(h)).toHaveLength(0);

    editSim(sim, handEdit);
    expect(await driftCommand(h)).toMatch(/pool-eu: drift in 2 setting\(s\); see the drift card\./);
    const drift = await postedDriftCard(h);
    const text = allText(drift.card);
    expect(text).toMatch(/The server drifted from its baseline/);
    expect(text).toContain('AllowFederatedUsers');
    expect(text).toContain('Access Edge configuration · Set-CsAccessEdgeConfiguration');
    expect(text).toContain('EnablePublicCloudAccess');
    expect(text).toContain('external access policy Global · Set-CsExternalAccessPolicy');
    expect(keyLines(drift.card)).toEqual(['Baseline: True · now: False', 'Baseline: True · now: False']);
    expect(text).toMatch(/Checked \d{4}-\d\d-\d\d \d\d:\d\d UTC · baseline set/);
    expect(buttons(drift.card).map((b) => b.title)).toEqual(['Plan to restore', 'Accept as the new baseline', 'Snooze for 24 h']);

    // The same drift again: the card is updated, not posted a second time.
    expect(await driftCommand(h, 'drift pool-eu')).toMatch(/pool-eu: drift in 2 setting\(s\)/);
    expect(driftCardsSent(h)).toHaveLength(1);

    // Plan to restore: a normal plan, approved by Alex, applied by the runner.
    const restore = button(drift.card, 'Plan to restore');
    const clicked = await h.click(restore.verb, clickData(drift.card, restore), { user: DANA, conversation: drift.conversation, replyToId: drift.messageId });
    expect(allText(clicked.card)).toMatch(/Restore plan plan_[0-9a-z]{16}: waiting for approval/);
    const approval = await h.connector.waitFor((c) => c.kind !== 'update' && inApprovals(c) && /Approve this plan\?/.test(allText(cardOf(c))) && allText(cardOf(c)).includes('Restore the Access Edge configuration to the baseline'));
    const approvalText = allText(cardOf(approval));
    expect(approvalText).toContain('Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true');
    expect(approvalText).toContain('Set-CsExternalAccessPolicy -Identity Global -EnablePublicCloudAccess $true');
    const restoreCard: PostedCard = { messageId: approval.activityId, conversation: clickedIn(APPROVALS, approval), card: cardOf(approval)! };
    expect(await approveAndWait(h, restoreCard, ALEX)).toBe('succeeded');

    expect(sameState(observedOf(sim), baseline)).toBe(true);
    await h.connector.waitFor((c) => c.kind === 'update' && c.activityId === drift.messageId && /Back to baseline/.test(allText(cardOf(c))));
    await watchOf(h).idle();
    const back = latest(h, drift);
    expect(allText(back)).toMatch(/Back to baseline/);
    expect(buttons(back)).toEqual([]);
    expect(h.server.deps.metrics.snapshot()).toMatchObject({
      'picbot_drift_checks_total{result="clean"}': 1,
      'picbot_drift_checks_total{result="drift"}': 2,
      picbot_drift_restore_plans_total: 1,
      picbot_drifts_open: 0,
    });
  });

  it('Accept as the new baseline needs a reason (kept under the field), is audited, and the next check is clean', async () => {
    h = await start();
    const { sim } = await appliedPlan(h);
    editSim(sim, handEdit);
    await driftCommand(h);
    const drift = await postedDriftCard(h);
    const accept = button(drift.card, 'Accept as the new baseline');

    // Without a reason: the message under the field, nothing accepted.
    const refused = await h.click(accept.verb, clickData(drift.card, accept, { reason: '   ' }), { user: DANA, conversation: drift.conversation, replyToId: drift.messageId });
    expect(errorsUnder(refused.card, 'reason')).toEqual(['Give a reason: it is kept in the audit log with the new baseline.']);
    expect(refused.body).toBeTruthy();

    // An approver who is not an admin may not accept.
    const byAlex = await h.click(accept.verb, clickData(drift.card, accept, { reason: 'fine by me' }), { user: ALEX, conversation: drift.conversation, replyToId: drift.messageId });
    expect(allText(byAlex.card)).toMatch(/Admins only/);

    const reason = 'Federation stays off until the partner migration ends (CHG-1042)';
    const ok = await h.click(accept.verb, clickData(drift.card, accept, { reason }), { user: DANA, conversation: drift.conversation, replyToId: drift.messageId });
    expect(allText(ok.card)).toMatch(/Accepted as the new baseline/);
    expect(allText(ok.card)).toContain(reason);
    expect(buttons(ok.card)).toEqual([]);
    const audited = (await h.server.deps.audit.list()).filter((r) => r.action === 'drift.accepted');
    expect(audited).toHaveLength(1);
    expect(audited[0]!.detail).toMatchObject({ target: 'pool-eu', reason });
    expect(audited[0]!.actor).toBe(DANA.aadObjectId.toLowerCase());

    expect(await driftCommand(h)).toMatch(/pool-eu: no drift\./);
    expect(driftCardsSent(h)).toHaveLength(1);
    const status = await sayForCard(h, 'status pool-eu', { user: DANA }, /pool-eu: drift watch/);
    expect(allText(status)).toMatch(/Last drift check: .*, clean/);
    expect(allText(status)).toMatch(/Baseline: \d+ watched settings, set .* by /);
  });

  it('an offline runner: the check says "not checked" and posts no drift card', async () => {
    h = await start();
    const { sim } = await appliedPlan(h);
    await killRunners();
    editSim(sim, handEdit);
    expect(await driftCommand(h)).toMatch(/pool-eu: not checked \(no runner for pool-eu picked the check up within 5 s/);
    expect(driftCardsSent(h)).toHaveLength(0);
    const status = await sayForCard(h, 'status pool-eu', { user: DANA }, /pool-eu: drift watch/);
    expect(allText(status)).toMatch(/Last drift check: .*, not checked/);
    expect(h.server.deps.metrics.snapshot()['picbot_drift_checks_total{result="not-checked"}']).toBe(1);
  });

  it('the drift card shows the DNS view when the request has preflight results; Snooze keeps it quiet', async () => {
    h = await start();
    const { sim } = await appliedPlan(h);
    await createPreflightRunStore(h.server.deps.db).saveLatest(REQ, {
      ranAt: h.server.deps.clock.now().toISOString(),
      results: [
        { check: 'federation-srv', subject: 'contoso.com', status: 'fail', detail: 'no _sipfederationtls._tcp.contoso.com SRV record' },
        { check: 'edge-certificate', subject: 'sip.contoso.com', status: 'warn', detail: 'the certificate expires in 12 days' },
        { check: 'client-srv', subject: 'contoso.com', status: 'pass', detail: 'ok' },
      ],
    });
    editSim(sim, (s) => {
      s.accessEdge.allowFederatedUsers = false;
    });
    await driftCommand(h);
    const text = allText((await postedDriftCard(h)).card);
    expect(text).toMatch(/DNS and certificate \(preflight of/);
    expect(text).toContain('no _sipfederationtls._tcp.contoso.com SRV record');
    expect(text).toContain('the certificate expires in 12 days');
    expect(text).not.toContain('Client sign-in SRV record');
    const drift = await postedDriftCard(h);
    expect(inputs(drift.card)).toEqual({ reason: '' });

    // An approver snoozes it: the card says until when, and the next check leaves it alone.
    const snooze = button(drift.card, 'Snooze for 24 h');
    const snoozed = await h.click(snooze.verb, clickData(drift.card, snooze), { user: ALEX, conversation: drift.conversation, replyToId: drift.messageId });
    expect(allText(snoozed.card)).toMatch(/Snoozed until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await watchOf(h).idle();
    const updatesBefore = h.connector.calls.filter((c) => c.kind === 'update' && c.activityId === drift.messageId).length;
    expect(await driftCommand(h)).toMatch(/pool-eu: drift in 1 setting\(s\)/);
    expect(driftCardsSent(h)).toHaveLength(1);
    expect(h.connector.calls.filter((c) => c.kind === 'update' && c.activityId === drift.messageId).length).toBe(updatesBefore);
    expect((await h.server.deps.audit.list()).filter((r) => r.action === 'drift.snoozed').map((r) => r.actor)).toEqual([ALEX.aadObjectId.toLowerCase()]);
  });

  it('drift without a baseline, and by a non-admin, is refused', async () => {
    h = await start();
    expect(allText(await sayForCard(h, 'drift pool-eu', { user: DANA }, /Not watched/))).toMatch(/watches no target pool-eu/);
    expect(allText(await sayForCard(h, 'drift', { user: ALEX, conversation: APPROVALS }, /Admins only/))).toMatch(/Only picbot admins/);
  });
});

/** A baseline of two keys for pool-eu, as an applied plan would have left it (for the CLI's tests). */
async function seedBaseline(harness: Harness): Promise<void> {
  const configured = configuredState('lync2013');
  const keys: DriftKey[] = [{ kind: 'accessEdge', param: 'allowFederatedUsers' }, { kind: 'policy', identity: 'Global', param: 'enablePublicCloudAccess' }];
  const at = harness.server.deps.clock.now().toISOString();
  await createDriftStore(harness.server.deps.db).save({
    baseline: {
      target: 'pool-eu', profile: 'lync2013', requestId: REQ, planId: 'plan_0123456789abcdef', conversationId: APPROVALS.id,
      scope: { users: [], clientPolicyIdentities: [] }, entries: keys.map((key) => ({ key, value: readKey(configured, key), provider: null })), since: at, setBy: 'plan_0123456789abcdef',
    },
    lastCheck: null,
    alert: null,
    updatedAt: at,
  });
}

describe('picbot drift check', () => {
  it('queues the check in the server\'s database; the running server compares it and posts the card; --json prints the result (exit 3)', async () => {
    h = await start();
    const runner = await httpRunner(h);
    await seedBaseline(h);
    const cli = runPicbot(['drift', 'check', '--label', 'pool-eu', '--json', '--db', h.dbPath], { cwd: dir });
    const drifted = configuredState('lync2013');
    drifted.accessEdge.allowFederatedUsers = false;
    // The CLI queued it from another process: the runner takes it at its next lease call.
    await eventually(async () => (await h!.server.deps.jobs.list({ purpose: 'drift-check', statuses: ['queued'] }))[0]);
    await runner.discover(drifted);
    const r = await cli;
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { checks: Record<string, unknown>[] };
    expect(out.checks).toEqual([{
      target: 'pool-eu', result: 'drift', checkedAt: expect.any(String), jobId: expect.stringMatching(/^job_/), reason: null,
      differences: [{ key: 'accessEdge.allowFederatedUsers', parameter: 'AllowFederatedUsers', object: 'Access Edge configuration (Set-CsAccessEdgeConfiguration)', baseline: 'True', now: 'False' }],
    }]);
    expect(r.stderr).toMatch(/pool-eu: check queued \(job_/);
    const card = await postedDriftCard(h);
    expect(allText(card.card)).toContain('AllowFederatedUsers');
  });

  it('says "not checked" (exit 4) when no runner serves the label, and refuses bad flags (exit 1)', async () => {
    h = await start();
    await seedBaseline(h);
    const r = await runPicbot(['drift', 'check', '--db', h.dbPath], { cwd: dir });
    expect(r).toMatchObject({ code: 4, stdout: 'pool-eu: not checked: no runner is enrolled for pool-eu\n' });
    expect(driftCardsSent(h)).toHaveLength(0);
    const unknown = await runPicbot(['drift', 'check', '--label', 'pool-us', '--db', h.dbPath], { cwd: dir });
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/watches no target pool-us/);
    const bad = await runPicbot(['drift', 'verify', '--db', h.dbPath], { cwd: dir });
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/unknown subcommand verify/);
  });
});
