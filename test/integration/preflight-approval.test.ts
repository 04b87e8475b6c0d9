/**
 * Preflight results reach the approvers, end to end over real HTTP: "Run preflight" on the review
 * card checks the loopback DNS and TLS lab (a wrong SRV port, an Access Edge certificate naming
 * another host, no client SRV record), the REAL runner process discovers the simulated Lync
 * 2013 server, "Request approval" posts the approval card — and that card lists each failed
 * check with ✗ (and the warning with !) under the time of the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPreflight } from '../../src/bot/preflight/run-preflight';
import { cardOf } from '../fakes/connector';
import { requestFixture } from '../fixtures/load';
import { allText, texts } from './card-query';
import { startHarness, type Harness, appOf } from './harness';
import { press, sayForCard } from './intake-flow';
import { makeCa, makeLeaf, startDnsServer, startTlsServer, type Running } from './preflight-lab';
import { nextJobChange, requestApproval, seedRequest } from './plan-helpers';
import { enrolledRunner, killRunners, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

// A real runner process on a shared machine: room for the journey (nothing asserts on time).
jest.setTimeout(90_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0a1b2c3d4e5f6a7b';

let dir: string;
let h: Harness | null = null;
const lab: Running[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-preflight-approval-'));
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

it('the approval card shows the latest preflight run: each failed check ✗, the warning !', async () => {
  const ca = await makeCa('picbot Approval Test CA');
  // The Access Edge presents a certificate for another name; the SRV record names the right host on the wrong port.
  const edge = await startTlsServer(await makeLeaf(ca, { cn: 'edge.fabrikam.com', sans: ['edge.fabrikam.com'] }));
  const dns = await startDnsServer({
    '_sipfederationtls._tcp.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 5062 }] },
    'sip.contoso.com': { a: ['127.0.0.1'] },
  });
  lab.push(edge, dns);
  const preflight = createPreflight({
    timeoutMs: 5000,
    dnsServers: [{ host: '127.0.0.1', port: dns.port }],
    trustedCa: [ca.cert],
    tlsRoute: (_fqdn, address) => ({ host: address, port: edge.port }),
  });
  h = await startHarness({
    preflight: preflight,
    env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id },
  });
  await h.say('help', { user: ALEX, conversation: APPROVALS });
  await seedRequest(h, REQ, requestFixture('global'), DANA);

  // Preflight from the review card; its result card arrives as a new message.
  const review = await sayForCard(h, `resume ${REQ}`, { user: DANA });
  await press(h, review, 'Run preflight', {}, { user: DANA });
  const result = await h.connector.waitFor((c) => c.kind !== 'update' && allText(cardOf(c)).includes('Preflight: DNS and the Access Edge certificate'));
  expect(allText(cardOf(result))).toMatch(/2 of 5 checks failed/);

  // Discovery by the real runner on the simulated Lync 2013 server.
  await enrolledRunner({ server: h.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined } as TestServer, { simState: writeState(dir, 'lync2013'), name: 'fe01' });
  const discovered = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'discover');
  const again = await sayForCard(h, `resume ${REQ}`, { user: DANA });
  await press(h, again, 'Discover current state', {}, { user: DANA });
  expect((await discovered).job.status).toBe('succeeded');

  // The approval card the approvers see.
  const posted = await requestApproval(h, REQ, DANA, APPROVALS);
  const shown = texts(posted.card);
  expect(allText(posted.card)).toMatch(/Approve this plan\?/);
  expect(shown).toEqual(expect.arrayContaining([
    expect.stringMatching(/^Preflight \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/),
    '2 passed · 2 failed · 1 warning',
  ]));
  const problems = shown.filter((t) => /^[✗!] /.test(t));
  expect(problems).toEqual([
    expect.stringMatching(/^✗ contoso\.com: .*port 5062.*5061/),
    expect.stringMatching(/^! contoso\.com: .*_sip\._tls\.contoso\.com/),
    expect.stringMatching(/^✗ sip\.contoso\.com: .*edge\.fabrikam\.com/),
  ]);
});
