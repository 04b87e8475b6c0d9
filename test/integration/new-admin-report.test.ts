/**
 * The approval card and the report as a new admin meets them, over real HTTP through the harness,
 * with the REAL runner process on the simulated Lync Server 2013 and preflight against a loopback
 * DNS server: a preflight run before the request changed says so on both cards; a long problem
 * list names ten problems and counts the rest; and the report's warnings box says each fact once,
 * in the card's time format, with information under "Notes".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPreflight } from '../../src/bot/preflight/run-preflight';
import { createPreflightRunStore } from '../../src/bot/stores/preflight-runs';
import { VERBS } from '../../src/bot/verbs';
import type { ProvisioningRequest } from '../../src/core/request';
import { cardOf } from '../fakes/connector';
import { requestFixture } from '../fixtures/load';
import { allText, texts, type Json } from './card-query';
import { appOf, startHarness, type Harness } from './harness';
import { press, sayForCard } from './intake-flow';
import { approveAndWait, cardShows, nextJobChange, requestApproval, seedRequest, type PostedCard } from './plan-helpers';
import { makeCa, startDnsServer, type Running, type Zone } from './preflight-lab';
import { enrolledRunner, killRunners, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

// A real runner process on a shared machine: room for the journey (nothing asserts on time).
jest.setTimeout(120_000);

const APPROVALS = channel('approvals');
const REQ = 'req_5a6b7c8d9e0f1a2b';
const STALE = /: run before the request changed, run it again$/;

let dir: string;
let h: Harness | null = null;
const lab: Running[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-new-admin-report-'));
});
afterEach(async () => {
  await killRunners();
  if (h) {
    await appOf(h).plans.idle();
    await h.close();
  }
  h = null;
  await Promise.all(lab.splice(0).map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** The bot with preflight against a loopback DNS server serving `zone` (no Access Edge answers TLS). */
async function start(zone: Zone): Promise<Harness> {
  const dns = await startDnsServer(zone);
  lab.push(dns);
  const ca = await makeCa('picbot Report Test CA');
  const preflight = createPreflight({ timeoutMs: 5000, dnsServers: [{ host: '127.0.0.1', port: dns.port }], trustedCa: [ca.cert] });
  const harness = await startHarness({
    preflight: preflight,
    env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id },
  });
  await harness.say('help', { user: ALEX, conversation: APPROVALS });
  await harness.say('help', { user: DANA });
  return harness;
}

/** "Run preflight" on the request's review card; resolves once its result card is posted. */
async function runPreflight(harness: Harness): Promise<void> {
  const review = await sayForCard(harness, `resume ${REQ}`, { user: DANA });
  const before = harness.connector.calls.length;
  await press(harness, review, 'Run preflight', {}, { user: DANA });
  await harness.connector.waitFor((c) => harness.connector.calls.indexOf(c) >= before && c.kind !== 'update' && /Preflight: DNS and the Access Edge certificate/.test(allText(cardOf(c))));
}

/** Discovery through the review card, answered by a real runner on a simulated server with `sipDomains`. */
async function discover(harness: Harness, sipDomains: string[]): Promise<void> {
  const sim = writeState(dir, 'lync2013', (s) => {
    s.sipDomains = sipDomains.map((name, i) => ({ name, isDefault: i === 0 }));
  });
  await enrolledRunner({ server: harness.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined } as TestServer, { simState: sim, name: 'fe01' });
  const discovered = nextJobChange(harness, (c) => c.type === 'finished' && c.job.kind === 'discover');
  const review = await sayForCard(harness, `resume ${REQ}`, { user: DANA });
  await press(harness, review, 'Discover current state', {}, { user: DANA });
  expect((await discovered).job.status).toBe('succeeded');
}

/** Approves the posted plan and returns the report the card message ends with. */
async function applied(harness: Harness, posted: PostedCard): Promise<Json> {
  expect(await approveAndWait(harness, posted, ALEX)).toBe('succeeded');
  return cardShows(harness, posted, /Plan applied/);
}

/** The texts of the card's section headed `heading` (a Container whose first TextBlock is the heading). */
function section(card: Json, heading: string): string[] {
  const found: string[][] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Json;
    const items = o.items as Json[] | undefined;
    if (o.type === 'Container' && Array.isArray(items) && items[0]?.type === 'TextBlock' && texts({ body: [items[0]] })[0] === heading) {
      found.push(texts({ body: items.slice(1) }));
    }
    Object.values(o).forEach(walk);
  };
  walk(card);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The preflight section of an approval or report card: its title, summary and listed problems. */
function preflightOf(card: Json) {
  const all = texts(card);
  const at = all.findIndex((t) => t.startsWith('Preflight ('));
  expect(at).toBeGreaterThanOrEqual(0);
  const rest = all.slice(at + 2);
  const end = rest.findIndex((t) => !/^([✗!] |and \d+ more)/.test(t));
  return { title: all[at]!, summary: all[at + 1]!, lines: end < 0 ? rest : rest.slice(0, end) };
}

describe('a preflight run before the request changed', () => {
  it('says so on the approval card and on the report', async () => {
    h = await start({});
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    await runPreflight(h);
    // On the approval card of the request as preflight checked it, the run is current.
    const checked = createPreflightRunStore(h.server.deps.db);
    expect(new Set((await checked.latest(REQ))!.results.map((r) => r.subject))).toEqual(new Set(['contoso.com', 'sip.contoso.com']));

    // Dana adds an Access Edge FQDN from the review: the run did not check everything the request holds.
    const review = await sayForCard(h, `resume ${REQ}`, { user: DANA });
    const edit = await h.click(VERBS.intakeEdit, { draftId: REQ, section: 'edge' }, { user: DANA, replyToId: review.messageId });
    const saved = await press(h, { card: edit.card, messageId: review.messageId }, 'Save and review', { edge_1: 'access.contoso.com' }, { user: DANA });
    expect(allText(saved.card)).toMatch(/Additional: access\.contoso\.com/);
    await discover(h, ['contoso.com']);

    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const approval = preflightOf(posted.card);
    expect(approval.title).toMatch(/^Preflight \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): run before the request changed, run it again$/);
    // The problems it found are still listed under the warning; the new FQDN is in none of them.
    expect(approval.lines.some((l) => l.startsWith('✗ sip.contoso.com: '))).toBe(true);
    expect(approval.lines.join('\n')).not.toMatch(/access\.contoso\.com/);

    const report = preflightOf(await applied(h, posted));
    expect(report.title).toBe(approval.title);
    expect(report.summary).toBe(approval.summary);
  });

  it('a run that checked what the request still holds is not called stale', async () => {
    h = await start({});
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    await runPreflight(h);
    await discover(h, ['contoso.com']);
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const approval = preflightOf(posted.card);
    expect(approval.title).toMatch(/^Preflight \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
    expect(preflightOf(await applied(h, posted)).title).not.toMatch(STALE);
  });
});

describe('a preflight with more problems than the card lists', () => {
  /** Six SIP domains and two Access Edge FQDNs, none of them in DNS: more than ten problems. */
  function manyNames(): ProvisioningRequest {
    const base = requestFixture('global');
    const domains = ['contoso.com', 'fabrikam.com', 'northwind.com', 'litware.com', 'tailspin.com', 'adatum.com'];
    return {
      ...base,
      accessEdgeFqdns: ['sip.contoso.com', 'access.contoso.com'],
      sipDomains: domains,
      contacts: { ...base.contacts, domainAdmins: Object.fromEntries(domains.map((d) => [d, `admin@${d}`])) },
    };
  }

  it('lists ten problems on the approval card and the report, then "and N more" with where to see them', async () => {
    h = await start({});
    const request = manyNames();
    await seedRequest(h, REQ, request, DANA);
    await runPreflight(h);
    const run = (await createPreflightRunStore(h.server.deps.db).latest(REQ))!;
    const problems = run.results.filter((r) => r.status !== 'pass');
    expect(problems.length).toBeGreaterThan(10);
    const fails = problems.filter((r) => r.status === 'fail').length;
    const warns = problems.length - fails;
    await discover(h, request.sipDomains);

    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const report = await applied(h, posted);
    for (const card of [posted.card, report]) {
      const shown = preflightOf(card);
      // Every count is on the card, the run is current, and the list names the first ten problems in order.
      expect(shown.title).not.toMatch(STALE);
      expect(shown.summary).toBe(`${run.results.length - problems.length} passed · ${fails} failed · ${warns} warning${warns === 1 ? '' : 's'}`);
      expect(shown.lines).toHaveLength(11);
      expect(shown.lines.slice(0, 10)).toEqual(problems.slice(0, 10).map((r) => `${r.status === 'fail' ? '✗' : '!'} ${r.subject}: ${r.detail}`));
      expect(shown.lines[10]).toBe(`and ${problems.length - 10} more: "Run preflight" on the request's review card lists every check`);
    }
  });
});

describe('the report\'s warnings box', () => {
  it('says the replica lag once, in the card\'s time format, and files what the server resolved under "Notes"', async () => {
    h = await start({});
    await seedRequest(h, REQ, requestFixture('global', { skypeProvider: true }), DANA);
    await discover(h, ['contoso.com']);
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const report = await applied(h, posted);

    const warnings = section(report, 'Warnings');
    // The simulated replicas lag one look behind a write, so the job's end finds both behind.
    const lag = warnings.filter((w) => /replica|replication/i.test(w));
    expect(lag).toEqual([
      expect.stringMatching(/^Replica fe01\.contoso\.com had not taken the change yet \(its last update: \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\. Replication can take minutes; this is not a failure\.$/),
      expect.stringMatching(/^Replica edge01\.contoso\.com had not taken the change yet \(its last update: \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\./),
    ]);
    // The runner's own log line about the same replicas is not said again.
    expect(allText(report)).not.toMatch(/replicas not yet up to date/);
    // One time format on the whole card: no raw ISO time anywhere a person reads.
    expect(allText(report)).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(allText(report).match(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g)!.length).toBeGreaterThanOrEqual(4);
    // Information is not a warning.
    expect(warnings.join('\n')).not.toMatch(/VerificationLevel/);
    expect(section(report, 'Notes')).toEqual([expect.stringMatching(/^The server resolved VerificationLevel 2 of the Skype provider to UseSourceVerification\.$/)]);
  });
});
