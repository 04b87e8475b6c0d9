/**
 * "Run preflight" on the review card, through the real server and the loopback Bot Connector:
 * the click answers at once with the review card and a notice, the checks run against the loopback
 * DNS and TLS lab, the result card arrives as a new message, and the run is stored with the
 * request and audited.
 */
import { RUNNING_NOTICE } from '../../src/bot/handlers/preflight';
import type { Preflight } from '../../src/bot/preflight/port';
import { createPreflight } from '../../src/bot/preflight/run-preflight';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import { createPreflightRunStore } from '../../src/bot/stores/preflight-runs';
import { cardOf } from '../fakes/connector';
import { allText, buttons, texts } from './card-query';
import { startHarness, type Harness } from './harness';
import { draftIdOf, fillSteps, press, VALID, type Shown } from './intake-flow';
import { makeCa, makeLeaf, startDnsServer, startTlsServer, type Running } from './preflight-lab';
import { ALEX, DANA, personalChat, type TeamsUser } from './teams-activities';

const SAM: TeamsUser = { aadObjectId: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', teamsUserId: '29:1sam-Zx9vB3nM1', name: 'Sam Nobody' };

let h: Harness;
let review: Shown;
let requestId: string;
/** How many runs the checks were asked for (counted when asked, so no waiting is needed). */
let runs = 0;
const lab: Running[] = [];

beforeAll(async () => {
  const ca = await makeCa('picbot Review Test CA');
  const sip = await startTlsServer(await makeLeaf(ca, { cn: 'sip.contoso.com', sans: ['sip.contoso.com'] }));
  const access = await startTlsServer(await makeLeaf(ca, { cn: '*.contoso.com', sans: ['*.contoso.com'] }));
  const dns = await startDnsServer({
    '_sipfederationtls._tcp.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    '_sipfederationtls._tcp.fabrikam.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    'sip.contoso.com': { a: ['127.0.0.1'] },
    'access.contoso.com': { a: ['127.0.0.1'] },
  });
  lab.push(sip, access, dns);
  const ports: Record<string, number> = { 'sip.contoso.com': sip.port, 'access.contoso.com': access.port };
  const preflight = createPreflight({
    timeoutMs: 5000,
    dnsServers: [{ host: '127.0.0.1', port: dns.port }],
    trustedCa: [ca.cert],
    tlsRoute: (fqdn, address) => ({ host: address, port: ports[fqdn]! }),
  });
  const counted: Preflight = { run: (request) => { runs += 1; return preflight.run(request); } };
  h = await startHarness({ preflight: counted, env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
  review = await fillSteps(h, VALID.length);
  requestId = draftIdOf(review);
});

afterAll(async () => {
  await h?.close();
  await Promise.all(lab.map((r) => r.close()));
});

describe('Run preflight from the review card', () => {
  it('answers with the review card and a notice, then posts the results, stores them and audits the run', async () => {
    expect(buttons(review.card).find((b) => b.title === 'Run preflight')).toMatchObject({ verb: 'preflight.run', data: { requestId } });

    const clicked = await press(h, review, 'Run preflight');
    expect(allText(clicked.card)).toContain(RUNNING_NOTICE);
    expect(buttons(clicked.card).map((b) => b.title)).toContain('Finish');

    // A new message (a send, or a reply in the thread of the conversation reference), not an update.
    const posted = await h.connector.waitFor((c) => c.kind !== 'update' && allText(cardOf(c)).includes('Preflight: DNS and the Access Edge certificate'));
    const card = cardOf(posted);
    const text = texts(card);
    expect(text).toContain(`pool-eu · ${requestId}`);
    expect(text).toContain('2 of 10 checks failed. Planning can go ahead, and approvers will see these results.');
    expect(text).toContain('SRV target sip.contoso.com is not a top-level name of fabrikam.com: Skype federation needs e.g. sip.fabrikam.com.');
    expect(text.some((t) => /access\.contoso\.com only through the wildcard \*\.contoso\.com/.test(t))).toBe(true);

    // Stored with the request: the latest run, with its time.
    const db = sqliteSql(openDatabase(h.dbPath), h.dbPath);
    try {
      const stored = await createPreflightRunStore(db).latest(requestId);
      expect(stored?.results.map((r) => `${r.check} ${r.subject} ${r.status}`)).toEqual([
        'federation-srv contoso.com pass', 'federation-srv-suffix contoso.com pass', 'client-srv contoso.com warn',
        'federation-srv fabrikam.com pass', 'federation-srv-suffix fabrikam.com fail', 'client-srv fabrikam.com warn',
        'edge-address sip.contoso.com pass', 'edge-certificate sip.contoso.com pass',
        'edge-address access.contoso.com pass', 'edge-certificate access.contoso.com fail',
      ]);
      expect(Number.isNaN(Date.parse(stored!.ranAt))).toBe(false);
    } finally {
      await db.close();
    }
    const audit = (await h.server.deps.audit.list({ subjectId: requestId })).filter((a) => a.action === 'preflight.ran');
    expect(audit.map((a) => [a.actor, a.detail])).toEqual([[
      DANA.aadObjectId,
      { pass: 6, fail: 2, warn: 2, failed: ['federation-srv-suffix fabrikam.com', 'edge-certificate access.contoso.com'] },
    ]]);
  });

  it.each([
    { name: 'someone who is neither admin nor approver', who: SAM, data: (id: string) => ({ requestId: id }), want: /Only picbot admins and approvers may run preflight/ },
    { name: 'an unknown request', who: DANA, data: () => ({ requestId: 'req_0000000000000000' }), want: /There is no provisioning request req_0000000000000000/ },
    { name: 'card data without a request id', who: DANA, data: () => ({}), want: /can't be used/ },
  ])('refuses $name, for the clicker only, and runs nothing', async ({ who, data, want }) => {
    const [before, runsBefore] = [h.connector.calls.length, runs];
    const r = await h.click('preflight.run', data(requestId), { user: who, replyToId: review.messageId });
    expect(allText(r.card)).toMatch(want);
    expect(runs).toBe(runsBefore);
    // For the clicker only: the review message is not replaced for everyone.
    expect(h.connector.calls.slice(before).filter((c) => c.kind === 'update')).toEqual([]);
  });

  it('an approver may run it too (it changes nothing outside picbot)', async () => {
    const runsBefore = runs;
    const r = await h.click('preflight.run', { requestId }, { user: ALEX, replyToId: review.messageId });
    expect(allText(r.card)).toContain(RUNNING_NOTICE);
    expect(runs).toBe(runsBefore + 1);
    // The results go to the conversation the click came from.
    const alexChat = personalChat(ALEX).id;
    await h.connector.waitFor((c) => c.kind !== 'update' && c.conversationId === alexChat && allText(cardOf(c)).includes('Preflight: DNS'));
    const audit = (await h.server.deps.audit.list({ subjectId: requestId })).filter((a) => a.action === 'preflight.ran');
    expect(audit.map((a) => a.actor)).toEqual([DANA.aadObjectId, ALEX.aadObjectId]);
  });
});
