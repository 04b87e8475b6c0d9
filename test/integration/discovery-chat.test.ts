/**
 * Discovery in chat, as a transcript over the harness (real HTTP, the loopback connector) with the
 * REAL runner process and simulator: the review card offers "Discover current state"; the click
 * answers "waiting for a runner"; the card message is then updated in place to the observed
 * state. Also: no runner seen / none picked it up, admins only, and the runner commands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDraftStore } from '../../src/bot/stores/drafts';
import { createRequestStore } from '../../src/bot/stores/requests';
import { VERBS } from '../../src/bot/verbs';
import { unescapeMarkdown } from '../../src/bot/views/markdown';
import { cardOf, type ConnectorCall } from '../fakes/connector';
import { fakeClock } from '../fakes/clock';
import { requestFixture } from '../fixtures/load';
import { startHarness, type Harness } from './harness';
import { enrolledRunner, killRunners, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

type Json = Record<string, unknown>;

/** Every TextBlock text and fact ("title: value") of a card, in order, as a reader sees it (markdown escapes undone). */
function texts(card: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n !== 'object' || n === null) return;
    const o = n as Json;
    if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(unescapeMarkdown(o.text));
    if (o.type === 'FactSet' && Array.isArray(o.facts)) for (const f of o.facts as Json[]) out.push(`${unescapeMarkdown(String(f.title))}: ${unescapeMarkdown(String(f.value))}`);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}
const text = (card: unknown) => texts(card).join('\n');

/** The Action.Execute titled `title` anywhere on the card. */
function button(card: unknown, title: string): { verb: string; data: Json } {
  let found: { verb: string; data: Json } | null = null;
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n !== 'object' || n === null) return;
    const o = n as Json;
    if (o.type === 'Action.Execute' && o.title === title) found = { verb: o.verb as string, data: (o.data ?? {}) as Json };
    Object.values(o).forEach(walk);
  };
  walk(card);
  if (!found) throw new Error(`no button "${title}" on the card: ${text(card)}`);
  return found;
}

let h: Harness;
let dir: string;
const requestId = 'req_0123456789abcdef';
const request = requestFixture('user');

/** Dana's finished intake, standing at the review (what the intake cards leave behind). */
async function seedReview(): Promise<void> {
  const at = new Date().toISOString();
  const owner = { ownerId: DANA.aadObjectId.toLowerCase(), ownerName: DANA.name };
  const draft = await createDraftStore(h.server.deps.db).create({ id: requestId, ...owner, targetLabel: 'pool-eu', position: 'review', data: request, createdAt: at, updatedAt: at });
  expect(draft.ok).toBe(true);
  await createRequestStore(h.server.deps.db).save({ id: requestId, ...owner, request, status: 'draft', submittedOn: null, activeOn: null, createdAt: at, updatedAt: at });
}

/** The review card, brought back with "resume" as Dana would. */
async function reviewCard(): Promise<{ card: Json; messageId: string }> {
  const r = await h.say('resume');
  const call = r.calls.find((c) => c.kind === 'reply' || c.kind === 'send')!;
  const card = cardOf(call)!;
  expect(text(card)).toMatch(/Review the provisioning request/);
  return { card, messageId: call.activityId };
}

const updateOf = (messageId: string, pattern: RegExp) => (c: ConnectorCall) => c.kind === 'update' && c.activityId === messageId && pattern.test(text(cardOf(c)));

const testServer = (): TestServer => ({ server: h.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-discovery-'));
});
afterEach(async () => {
  await killRunners();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('review card → discover → observed state card', () => {
  it('shows waiting, then the observed state on the same message, and keeps it with the request', async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
    await seedReview();
    const review = await reviewCard();
    const discover = button(review.card, 'Discover current state');
    expect(discover).toEqual({ verb: VERBS.requestDiscover, data: { requestId } });

    // No runner yet: the click answers at once with "waiting", and says none has been seen.
    const click = await h.click(discover.verb, discover.data, { replyToId: review.messageId });
    expect(click.status).toBe(200);
    expect(text(click.card)).toMatch(/Waiting for a runner with label pool-eu to pick the job up/);
    expect(text(click.card)).toMatch(/No runner with label pool-eu has been seen yet/);
    await h.connector.waitFor(updateOf(review.messageId, /Waiting for a runner with label pool-eu/));

    // A runner with the simulator starts and picks the job up; the card follows.
    const sim = writeState(dir, 'lync2013', (s) => {
      s.externalAccessPolicies.push({ identity: 'tag:EnablePublicUsers', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
      s.userPolicies = s.userPolicies.map((u) => (u.user === 'sip:alice@contoso.com' ? { ...u, externalAccessPolicy: 'EnablePublicUsers' } : u));
    });
    await enrolledRunner(testServer(), { simState: sim, name: 'fe01' });
    const done = await h.connector.waitFor(updateOf(review.messageId, /Current state of pool-eu/));
    const card = cardOf(done);
    const shown = texts(card);
    expect(shown).toEqual(expect.arrayContaining([
      'Product: Lync Server 2013 (5.0.8308.0)',
      'Routing: DNS SRV (partner discovery possible)',
      'Federation: off · AllowFederatedUsers',
      'Partner discovery: off',
      'contoso.com: default',
      'Messenger: disabled · federation.messenger.msn.com · verification AlwaysVerifiable',
      'Yahoo: disabled · lcs.yahoo.com · verification AlwaysVerifiable',
      'Global: federation off · public providers off · public A/V off · remote access off',
      'tag:EnablePublicUsers: federation on · public providers on · public A/V off · remote access off · held by 1 user',
      'sip:alice@contoso.com: EnablePublicUsers',
      'sip.contoso.com: EdgeServer:edge01.contoso.com · external SIP port 5061 · federation (port 5061) enabled in the topology',
      'Redmond: site:Redmond',
      'sip:bob@contoso.com: none assigned (site or global applies)',
      'Global: DisablePICPromptDisplayName: not set',
    ]));
    expect(text(card)).toMatch(/Read by fe01, id run_[0-9a-z]{16}, on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(button(card, 'Discover again')).toEqual({ verb: VERBS.requestDiscover, data: { requestId } });
    expect(button(card, 'Back to the review')).toEqual({ verb: VERBS.intakeResume, data: { draftId: requestId } });

    // Stored with the request for the planner; audited.
    const latest = await h.server.deps.jobs.latestObserved(requestId);
    expect(latest?.observed.serverVersion.product).toBe('Lync Server 2013');
    expect(latest?.discovery).toEqual({ users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'], clientPolicyIdentities: ['Global'] });
    const audit = await h.server.deps.audit.list({ subjectId: latest!.jobId });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['job.created', DANA.aadObjectId.toLowerCase()],
      ['job.leased', latest!.runnerId],
      ['job.step', latest!.runnerId],
      ['job.result', latest!.runnerId],
    ]);
  });

  it('does not queue a second job for a double click', async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId } });
    await seedReview();
    const review = await reviewCard();
    const discover = button(review.card, 'Discover current state');
    await h.click(discover.verb, discover.data, { replyToId: review.messageId });
    await h.click(discover.verb, discover.data, { replyToId: review.messageId });
    expect(await h.server.deps.jobs.list({ requestId })).toHaveLength(1);
  });

  it('refuses a discovery to someone who is not an admin, for the clicker only', async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
    await seedReview();
    const review = await reviewCard();
    const discover = button(review.card, 'Discover current state');
    const before = h.connector.calls.length;
    const click = await h.click(discover.verb, discover.data, { user: ALEX, replyToId: review.messageId });
    expect(text(click.card)).toMatch(/Admins only[\s\S]*Only picbot admins may start a discovery/);
    expect(h.connector.calls.slice(before).filter((c) => c.kind === 'update')).toEqual([]);
    expect(await h.server.deps.jobs.list({ requestId })).toEqual([]);
  });

  it.each([
    { name: 'no runner with the label has been seen', enroll: false, want: /No runner with label pool-eu has been seen\./ },
    { name: 'a runner is enrolled but none picked the job up', enroll: true, want: /No runner picked the job up within 5 s/ },
  ])('says so when $name by the timeout', async ({ enroll, want }) => {
    const clock = fakeClock('2026-11-28T14:00:00.000Z');
    h = await startHarness({ clock, env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_DISCOVERY_TIMEOUT_SECONDS: '5' } });
    await seedReview();
    if (enroll) {
      const { token } = await h.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
      const res = await fetch(`${h.url}/api/runner/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] }) });
      expect(res.status).toBe(200);
    }
    const review = await reviewCard();
    const discover = button(review.card, 'Discover current state');
    await h.click(discover.verb, discover.data, { replyToId: review.messageId });
    clock.set('2026-11-28T14:00:06.000Z');
    await (h.server.deps.jobs as unknown as { sweep(): Promise<void> }).sweep();
    const updated = await h.connector.waitFor(updateOf(review.messageId, /did not start/));
    expect(text(cardOf(updated))).toMatch(want);
    expect(button(cardOf(updated), 'Discover again').verb).toBe(VERBS.requestDiscover);
    const [job] = await h.server.deps.jobs.list({ requestId });
    expect(job?.status).toBe('expired');
  });
});

describe('runner commands', () => {
  beforeEach(async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
  });

  it('gives an admin a one-time token in personal chat that enrolls a runner, listed by "runners"', async () => {
    const r = await h.say('runner token pool-eu');
    const card = cardOf(r.calls[0]);
    const token = texts(card).find((t) => t.startsWith('pbe_'))!;
    expect(token).toMatch(/^pbe_[A-Za-z0-9_-]{43}$/);
    // The token goes in on stdin, never on the runner's command line (which the process list shows).
    expect(text(card)).toMatch(new RegExp(`'${token}' \\| npx picbot-runner --server \\S+ --enroll - --labels pool-eu`));
    // The harness starts the server with PORT=0: the card names the port it was given, where the runner reaches it.
    expect(h.server.config.port).toBe(0);
    expect(text(card)).toContain(`--server ${h.url} --enroll -`);
    expect(h.url).not.toMatch(/:0$/);
    const res = await fetch(`${h.url}/api/runner/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollmentToken: token, name: 'fe01', labels: ['pool-eu'] }) });
    const { runnerId } = await res.json() as { runnerId: string };
    const list = await h.say('runners', { user: ALEX });
    expect(text(cardOf(list.calls[0]))).toMatch(new RegExp(`fe01 · pool-eu[\\s\\S]*${runnerId} · active`));
    const revoked = await h.say(`runners revoke ${runnerId}`);
    expect(text(cardOf(revoked.calls[0]))).toMatch(/Revoked fe01/);
    expect(text(cardOf(revoked.calls[0]))).toMatch(new RegExp(`${runnerId} · revoked on`));
  });

  it.each([
    { name: 'a token in a channel', say: 'runner token pool-eu', who: { conversation: channel() }, want: /Personal chat only/ },
    { name: 'a token for a non-admin', say: 'runner token pool-eu', who: { user: ALEX }, want: /Admins only/ },
    { name: 'a token without labels', say: 'runner token', who: {}, want: /Which labels\?/ },
    { name: 'a bad label', say: 'runner token pool/eu', who: {}, want: /"pool\/eu" is not a runner label/ },
    { name: 'a revoke by a non-admin', say: 'runner revoke run_0123456789abcdef', who: { user: ALEX }, want: /Admins only/ },
    { name: 'a revoke of an unknown runner', say: 'runner revoke run_0123456789abcdef', who: {}, want: /No such runner/ },
    { name: 'a revoke without an id', say: 'runners revoke', who: {}, want: /Which runner\?/ },
  ])('refuses $name', async ({ say, who, want }) => {
    const r = await h.say(say, who);
    expect(text(cardOf(r.calls[0]))).toMatch(want);
    expect((await h.server.deps.audit.list()).filter((a) => a.action === 'runner.token.created')).toEqual([]);
  });
});
