/**
 * runPreflight against a real DNS server and real TLS servers on loopback (preflight-lab.ts).
 */
import { runPreflight, type PreflightOptions } from '../../src/bot/preflight/run-preflight';
import type { PreflightResult } from '../../src/bot/preflight/port';
import {
  closedPort, makeCa, makeLeaf, startDnsBlackHole, startDnsServer, startSilentServer, startTlsServer, type Pem, type Running, type Zone,
} from './preflight-lab';

const DAY = 24 * 3600 * 1000;
const zone: Zone = {};
const ports: Record<string, number> = {};
const routed: string[] = [];
const running: Running[] = [];
let dns: Running;
let ca: Pem;

/** Options pointing at the lab: its DNS server, its CA only, every FQDN routed to its TLS server. */
const lab = (o: Partial<PreflightOptions> = {}): PreflightOptions => ({
  timeoutMs: 5000,
  dnsServers: [{ host: '127.0.0.1', port: dns.port }],
  trustedCa: [ca.cert],
  tlsRoute: (fqdn, address) => {
    routed.push(`${fqdn}@${address}`);
    return { host: '127.0.0.1', port: ports[fqdn] ?? 1 };
  },
  ...o,
});

const line = (results: PreflightResult[], check: string, subject: string) => {
  const found = results.find((r) => r.check === check && r.subject === subject);
  if (!found) throw new Error(`no ${check} line for ${subject} in ${JSON.stringify(results)}`);
  return found;
};

beforeAll(async () => {
  ca = await makeCa('picbot Test CA');
  const otherCa = await makeCa('Somebody Else CA');
  const now = Date.now();
  const servers: Record<string, Pem> = {
    'sip.good.test': await makeLeaf(ca, { cn: 'sip.good.test', sans: ['sip.good.test', 'webcon.good.test'] }),
    'sip.cn-only.test': await makeLeaf(ca, { cn: 'sip.cn-only.test', sans: ['other.cn-only.test'] }),
    'sip.wrong-san.test': await makeLeaf(ca, { cn: 'edge.wrong-san.test', sans: ['edge.wrong-san.test'] }),
    'sip.wildcard.test': await makeLeaf(ca, { cn: '*.wildcard.test', sans: ['*.wildcard.test'] }),
    'sip.expired.test': await makeLeaf(ca, { cn: 'sip.expired.test', sans: ['sip.expired.test'], notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 35 * DAY) }),
    'sip.untrusted.test': await makeLeaf(otherCa, { cn: 'sip.untrusted.test', sans: ['sip.untrusted.test'] }),
    'sip.selfsigned.test': await makeLeaf(null, { cn: 'sip.selfsigned.test', sans: ['sip.selfsigned.test'] }),
  };
  for (const [fqdn, pem] of Object.entries(servers)) {
    const s = await startTlsServer(pem);
    running.push(s);
    ports[fqdn] = s.port;
    zone[fqdn] = { a: ['127.0.0.1'] };
  }
  const silent = await startSilentServer();
  running.push(silent);
  ports['sip.silent.test'] = silent.port;
  zone['sip.silent.test'] = { a: ['127.0.0.1'] };
  ports['sip.closed.test'] = await closedPort();
  zone['sip.closed.test'] = { a: ['127.0.0.1'] };
  // Access Edge answers the production server's preflight does not connect to, and one it does.
  zone['sip.private.test'] = { a: ['10.20.30.40'] };
  zone['sip.linklocal.test'] = { a: ['169.254.169.254'] };
  zone['sip.ula.test'] = { aaaa: ['fd00::5'] };
  ports['sip.public.test'] = ports['sip.good.test']!;
  zone['sip.public.test'] = { a: ['203.0.113.7'] };
  ports['sip.v6only.test'] = ports['sip.good.test']!;
  zone['sip.v6only.test'] = { aaaa: ['::1'] };

  Object.assign(zone, {
    '_sipfederationtls._tcp.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    '_sip._tls.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 443 }] },
    '_sipfederationtls._tcp.deep.test': { srv: [{ target: 'sip.it.deep.test', port: 5061 }] },
    '_sipfederationtls._tcp.elsewhere.test': { srv: [{ target: 'sip.elsewhere-edge.test', port: 5061 }] },
    '_sipfederationtls._tcp.port.test': { srv: [{ target: 'sip.port.test', port: 5062 }] },
    '_sipfederationtls._tcp.stranger.test': { srv: [{ target: 'sip.stranger.test', port: 5061 }] },
    // The name exists (it has an A record) but there is no SRV record: NODATA rather than NXDOMAIN.
    '_sipfederationtls._tcp.nodata.test': { a: ['192.0.2.1'] },
  } satisfies Zone);
  dns = await startDnsServer(zone);
});

afterAll(async () => {
  await dns.close();
  await Promise.all(running.map((r) => r.close()));
});

describe('SRV rules through a real DNS server', () => {
  const EDGES = ['sip.contoso.com', 'sip.it.deep.test', 'sip.elsewhere-edge.test', 'sip.port.test'];
  it.each([
    { domain: 'contoso.com', srv: 'pass', suffix: 'pass', client: 'pass' },
    { domain: 'deep.test', srv: 'pass', suffix: 'fail', client: 'warn', suffixDetail: 'SRV target sip.it.deep.test is not a top-level name of deep.test: Skype federation needs e.g. sip.deep.test.' },
    { domain: 'elsewhere.test', srv: 'pass', suffix: 'fail', client: 'warn', suffixDetail: 'SRV target sip.elsewhere-edge.test is not a top-level name of elsewhere.test: Skype federation needs e.g. sip.elsewhere.test.' },
    { domain: 'port.test', srv: 'fail', suffix: 'pass', client: 'warn', srvDetail: /port 5062, not 5061/ },
    { domain: 'stranger.test', srv: 'fail', suffix: 'pass', client: 'warn', srvDetail: /sip\.stranger\.test, which is not one of the request's Access Edge FQDNs/ },
    { domain: 'missing.test', srv: 'fail', suffix: 'fail', client: 'warn', srvDetail: /There is no _sipfederationtls\._tcp\.missing\.test SRV record/ },
    { domain: 'nodata.test', srv: 'fail', suffix: 'fail', client: 'warn', srvDetail: /There is no _sipfederationtls\._tcp\.nodata\.test SRV record/ },
  ])('$domain: federation-srv $srv, suffix $suffix, client-srv $client', async ({ domain, srv, suffix, client, srvDetail, suffixDetail }) => {
    const results = await runPreflight({ accessEdgeFqdns: EDGES, sipDomains: [domain] }, lab({ tlsRoute: () => ({ host: '127.0.0.1', port: ports['sip.closed.test']! }) }));
    expect(results.filter((r) => r.subject === domain).map((r) => [r.check, r.status])).toEqual([
      ['federation-srv', srv], ['federation-srv-suffix', suffix], ['client-srv', client],
    ]);
    if (srvDetail) expect(line(results, 'federation-srv', domain).detail).toMatch(srvDetail);
    if (suffixDetail) expect(line(results, 'federation-srv-suffix', domain).detail).toBe(suffixDetail);
  });
});

describe('Access Edge address and certificate through real TLS servers', () => {
  it.each([
    { fqdn: 'sip.good.test', address: 'pass', cert: 'pass', detail: /names sip\.good\.test \(SAN\), was issued by picbot Test CA.*chain is trusted/ },
    { fqdn: 'sip.cn-only.test', address: 'pass', cert: 'pass', detail: /names sip\.cn-only\.test \(subject\)/ },
    { fqdn: 'sip.v6only.test', address: 'pass', cert: 'fail', detail: /does not name sip\.v6only\.test/ },
    { fqdn: 'sip.wrong-san.test', address: 'pass', cert: 'fail', detail: /does not name sip\.wrong-san\.test \(it names edge\.wrong-san\.test\)/ },
    { fqdn: 'sip.wildcard.test', address: 'pass', cert: 'fail', detail: /only through the wildcard \*\.wildcard\.test/ },
    { fqdn: 'sip.expired.test', address: 'pass', cert: 'fail', detail: /it expired on \d{4}-\d\d-\d\d/ },
    { fqdn: 'sip.untrusted.test', address: 'pass', cert: 'fail', detail: /chain is not trusted: the issuing CA is not trusted/ },
    { fqdn: 'sip.selfsigned.test', address: 'pass', cert: 'fail', detail: /chain is not trusted: the certificate is self-signed/ },
    { fqdn: 'sip.closed.test', address: 'pass', cert: 'fail', detail: /No certificate from 127\.0\.0\.1:\d+: the connection was refused/ },
    { fqdn: 'sip.nowhere.test', address: 'fail', cert: 'fail', detail: /Not checked: sip\.nowhere\.test has no address/ },
  ])('$fqdn: edge-address $address, edge-certificate $cert', async ({ fqdn, address, cert, detail }) => {
    const results = await runPreflight({ accessEdgeFqdns: [fqdn], sipDomains: ['contoso.com'] }, lab());
    expect(line(results, 'edge-address', fqdn).status).toBe(address);
    const got = line(results, 'edge-certificate', fqdn);
    expect(got.status).toBe(cert);
    expect(got.detail).toMatch(detail);
  });

  it('connects to the address the AAAA lookup returned when there is no A record', async () => {
    routed.length = 0;
    await runPreflight({ accessEdgeFqdns: ['sip.v6only.test'], sipDomains: ['contoso.com'] }, lab());
    expect(routed).toEqual(['sip.v6only.test@::1']);
  });

  it('uses Node\'s CA store when no CA is injected, so the test CA is not trusted', async () => {
    const results = await runPreflight({ accessEdgeFqdns: ['sip.good.test'], sipDomains: ['contoso.com'] }, lab({ trustedCa: undefined }));
    expect(line(results, 'edge-certificate', 'sip.good.test')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/chain is not trusted/) });
  });
});

describe('bounded time', () => {
  it('a TLS server that accepts and never answers ends as a timeout failure', async () => {
    const results = await runPreflight({ accessEdgeFqdns: ['sip.silent.test', 'sip.good.test'], sipDomains: ['contoso.com'] }, lab({ timeoutMs: 400 }));
    expect(line(results, 'edge-certificate', 'sip.silent.test')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/no TLS answer within \d+ ms/) });
    // The other checks of the same run are unaffected.
    expect(line(results, 'edge-certificate', 'sip.good.test').status).toBe('pass');
    expect(line(results, 'federation-srv-suffix', 'contoso.com').status).toBe('pass');
  });

  it('a DNS server that never answers turns every line into a timeout, and the run still ends', async () => {
    const hole = await startDnsBlackHole();
    try {
      const results = await runPreflight(
        { accessEdgeFqdns: ['sip.contoso.com'], sipDomains: ['contoso.com', 'fabrikam.com'] },
        lab({ timeoutMs: 300, dnsServers: [{ host: '127.0.0.1', port: hole.port }] }),
      );
      expect(results.map((r) => [r.check, r.subject, r.status])).toEqual([
        ['federation-srv', 'contoso.com', 'fail'], ['federation-srv-suffix', 'contoso.com', 'fail'], ['client-srv', 'contoso.com', 'warn'],
        ['federation-srv', 'fabrikam.com', 'fail'], ['federation-srv-suffix', 'fabrikam.com', 'fail'], ['client-srv', 'fabrikam.com', 'warn'],
        ['edge-address', 'sip.contoso.com', 'fail'], ['edge-certificate', 'sip.contoso.com', 'fail'],
      ]);
      for (const r of results.filter((x) => x.check !== 'edge-certificate' && x.check !== 'federation-srv-suffix')) {
        expect(r.detail).toMatch(/the DNS server did not answer (within 300 ms|in time)/);
      }
    } finally {
      await hole.close();
    }
  });
});

describe('inside the production server: no connection to private Access Edge addresses', () => {
  it.each([
    { fqdn: 'sip.good.test', address: '127.0.0.1' },
    { fqdn: 'sip.private.test', address: '10.20.30.40' },
    { fqdn: 'sip.linklocal.test', address: '169.254.169.254' },
    { fqdn: 'sip.ula.test', address: 'fd00::5' },
  ])('refuses $address ($fqdn) without connecting, while the loopback DNS resolver is still asked', async ({ fqdn, address }) => {
    routed.length = 0;
    const results = await runPreflight({ accessEdgeFqdns: [fqdn], sipDomains: [] }, lab({ refusePrivateAddresses: true }));
    // The DNS answer came from the lab's resolver on 127.0.0.1: the resolver itself is never refused.
    expect(line(results, 'edge-address', fqdn).status).not.toBe('fail');
    expect(line(results, 'edge-certificate', fqdn)).toMatchObject({ status: 'fail', detail: expect.stringMatching(new RegExp(`Not checked: ${address.replace(/\./g, '\\.')} is a loopback, link-local, private or reserved address.*PICBOT_PREFLIGHT_ALLOW_PRIVATE=1`)) });
    expect(routed).toEqual([]);
  });

  it('still connects to a public address', async () => {
    routed.length = 0;
    const results = await runPreflight({ accessEdgeFqdns: ['sip.public.test'], sipDomains: [] }, lab({ refusePrivateAddresses: true }));
    expect(routed).toEqual(['sip.public.test@203.0.113.7']);
    expect(line(results, 'edge-certificate', 'sip.public.test').detail).not.toMatch(/Not checked/);
  });

  it('connects to private addresses when the option is off (picbot preflight on the command line, PICBOT_PREFLIGHT_ALLOW_PRIVATE=1)', async () => {
    routed.length = 0;
    await runPreflight({ accessEdgeFqdns: ['sip.private.test'], sipDomains: [] }, lab());
    expect(routed).toEqual(['sip.private.test@10.20.30.40']);
  });
});
