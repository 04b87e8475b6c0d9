/**
 * One card scheduler per conversation: three areas (intake's answers, preflight's results,
 * discovery's card updates) write into one conversation at once, and the Bot Connector never sees
 * more than Teams' per-conversation limits. The answers inside a turn go out at once and are
 * counted; the proactive cards wait for the room they leave. Real server, real HTTP, the loopback
 * connector, and preflight's loopback DNS and TLS lab.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPreflight } from '../../src/bot/preflight/run-preflight';
import { TEAMS_CONVERSATION_LIMITS } from '../../src/bot/teams';
import { cardOf, type ConnectorCall } from '../fakes/connector';
import { allText } from './card-query';
import { startHarness, type Harness } from './harness';
import { fillSteps, press, type Shown } from './intake-flow';
import { makeCa, makeLeaf, startDnsServer, startTlsServer, type Running } from './preflight-lab';
import { ALEX, DANA, personalChat } from './teams-activities';

jest.setTimeout(60_000);

let h: Harness;
let review: Shown;
const lab: Running[] = [];

beforeAll(async () => {
  const ca = await makeCa('picbot Limits Test CA');
  const sip = await startTlsServer(await makeLeaf(ca, { cn: 'sip.contoso.com', sans: ['sip.contoso.com'] }));
  const dns = await startDnsServer({
    '_sipfederationtls._tcp.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    '_sipfederationtls._tcp.fabrikam.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    'sip.contoso.com': { a: ['127.0.0.1'] },
  });
  lab.push(sip, dns);
  const preflight = createPreflight({
    timeoutMs: 5000,
    dnsServers: [{ host: '127.0.0.1', port: dns.port }],
    trustedCa: [ca.cert],
    tlsRoute: (_fqdn, address) => ({ host: address, port: sip.port }),
  });
  h = await startHarness({ preflight: preflight, env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
  review = await fillSteps(h, 6);
});

afterAll(async () => {
  await h?.close();
  await Promise.all(lab.map((r) => r.close()));
});

/** The most calls in any window of `windowMs` (sliding over every call time). */
function busiest(calls: ConnectorCall[], windowMs: number): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let max = 0;
  for (const start of times) max = Math.max(max, times.filter((t) => t >= start && t < start + windowMs).length);
  return max;
}

describe('three areas writing into one conversation at once', () => {
  it('never push the conversation past Teams\' limits, and every card still arrives', async () => {
    const conversation = personalChat(DANA);
    // Past the longest short window, so the intake before does not count in what is measured.
    await sleep(2_100);
    const from = h.connector.calls.length;

    // Seven answers inside turns (the 1-second budget), all at once: three "status" replies and
    // four preflight clicks (each updates the clicked card for everyone); then proactive cards
    // from three areas: four preflight results and the discovery card's updates.
    const turns = await Promise.all([
      ...Array.from({ length: 3 }, () => h.say('status')),
      ...Array.from({ length: 4 }, () => press(h, review, 'Run preflight')),
      press(h, review, 'Discover current state'),
    ]);
    expect(turns.map((t) => t.status)).toEqual(Array.from({ length: 8 }, () => 200));

    const results = () => h.connector.calls.slice(from).filter((c) => c.kind !== 'update' && allText(cardOf(c)).includes('Preflight: DNS and the Access Edge certificate'));
    await h.connector.waitFor(() => results().length === 4, { what: 'four preflight result cards' });
    await h.connector.waitFor((c) => c.kind === 'update' && c.activityId === review.messageId && /pool-eu/.test(allText(cardOf(c))) && /runner/i.test(allText(cardOf(c))), { what: 'the discovery card update' });
    await h.server.deps.cards.idle();

    const seen = h.connector.calls.slice(from).filter((c) => c.conversationId === conversation.id);
    expect(seen.length).toBeGreaterThanOrEqual(7 + 4 + 1);
    for (const [windowMs, max] of TEAMS_CONVERSATION_LIMITS) {
      expect({ windowMs, calls: busiest(seen, windowMs) }).toEqual({ windowMs, calls: Math.min(busiest(seen, windowMs), max) });
    }
    // The answers went out first and at once; the proactive cards waited for room (8 per 2 s).
    const span = Math.max(...seen.map((c) => c.at)) - Math.min(...seen.map((c) => c.at));
    expect(span).toBeGreaterThanOrEqual(1_000);
  });
});
