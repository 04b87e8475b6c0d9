import {
  addressToProbe, clientSrvRule, edgeAddressRule, federationSrvRule, federationSrvSuffixRule, type Lookup, type SrvAnswer,
} from '../../../../src/bot/preflight/dns-rules';

const srv = (target: string, port: number): SrvAnswer => ({ target, port, priority: 0, weight: 0 });
const found = <T>(...records: T[]): Lookup<T> => ({ kind: 'found', records });
const none: Lookup<never> = { kind: 'none' };
const error: Lookup<never> = { kind: 'error', reason: 'the DNS server did not answer in time' };

const EDGES = ['sip.contoso.com', 'sip.fabrikam.com', 'sip.it.contoso.com'];

describe('federation-srv: exists, port 5061, target is a request FQDN', () => {
  it.each([
    { name: 'one right record', lookup: found(srv('sip.contoso.com', 5061)), want: 'pass', detail: /points at sip\.contoso\.com:5061/ },
    { name: 'two right records', lookup: found(srv('sip.contoso.com', 5061), srv('sip.fabrikam.com', 5061)), want: 'pass', detail: /sip\.contoso\.com:5061, sip\.fabrikam\.com:5061/ },
    { name: 'no record', lookup: none, want: 'fail', detail: /no _sipfederationtls\._tcp\.contoso\.com SRV record.*port 5061 pointing at sip\.contoso\.com/ },
    { name: 'lookup error', lookup: error, want: 'fail', detail: /Could not look up .*did not answer in time/ },
    { name: 'wrong port', lookup: found(srv('sip.contoso.com', 5062)), want: 'fail', detail: /port 5062, not 5061/ },
    { name: 'target not in the request', lookup: found(srv('edge.contoso.com', 5061)), want: 'fail', detail: /edge\.contoso\.com, which is not one of the request's Access Edge FQDNs/ },
    { name: 'one bad record among good ones', lookup: found(srv('sip.contoso.com', 5061), srv('old.contoso.com', 5061)), want: 'fail', detail: /old\.contoso\.com/ },
    { name: 'the "." target', lookup: found(srv('', 0)), want: 'fail', detail: /target "\."/ },
  ])('$name → $want', ({ lookup, want, detail }) => {
    const got = federationSrvRule('contoso.com', EDGES, lookup);
    expect(got).toMatchObject({ check: 'federation-srv', subject: 'contoso.com', status: want });
    expect(got.detail).toMatch(detail);
  });
});

describe('federation-srv-suffix: the SRV target is <one label>.<domain>', () => {
  it.each([
    { target: 'sip.contoso.com', want: 'pass' },
    { target: 'sipfed.contoso.com', want: 'pass' },
    { target: 'access.contoso.com', want: 'pass' },
    { target: 'sip.it.contoso.com', want: 'fail' },
    { target: 'sip.contoso-edge.com', want: 'fail' },
    { target: 'contoso.com', want: 'fail' },
    { target: 'sip.notcontoso.com', want: 'fail' },
  ])('$target for contoso.com → $want', ({ target, want }) => {
    const got = federationSrvSuffixRule('contoso.com', EDGES, found(srv(target, 5061)));
    expect(got).toMatchObject({ check: 'federation-srv-suffix', subject: 'contoso.com', status: want });
  });

  it('says why in plain words, suggesting a request FQDN that obeys the rule', () => {
    const got = federationSrvSuffixRule('contoso.com', EDGES, found(srv('sip.it.contoso.com', 5061)));
    expect(got.detail).toBe('SRV target sip.it.contoso.com is not a top-level name of contoso.com: Skype federation needs e.g. sip.contoso.com.');
  });

  it('suggests sip.<domain> when no request FQDN obeys the rule', () => {
    const got = federationSrvSuffixRule('example.org', ['edge.example.net'], found(srv('edge.example.net', 5061)));
    expect(got.detail).toMatch(/needs e\.g\. sip\.example\.org/);
  });

  it.each([
    { name: 'no record', lookup: none, detail: /Not checked: there is no/ },
    { name: 'lookup error', lookup: error, detail: /Not checked: .*lookup failed/ },
    { name: 'only the "." target', lookup: found(srv('', 0)), detail: /names no target/ },
  ])('$name → fail, not checked', ({ lookup, detail }) => {
    const got = federationSrvSuffixRule('contoso.com', EDGES, lookup);
    expect(got.status).toBe('fail');
    expect(got.detail).toMatch(detail);
  });
});

describe('client-srv: _sip._tls on 443, a warning at worst', () => {
  it.each([
    { name: 'right record', lookup: found(srv('sip.contoso.com', 443)), want: 'pass' },
    { name: 'no record', lookup: none, want: 'warn' },
    { name: 'lookup error', lookup: error, want: 'warn' },
    { name: 'wrong port', lookup: found(srv('sip.contoso.com', 5061)), want: 'warn' },
    { name: 'target not in the request', lookup: found(srv('other.contoso.com', 443)), want: 'warn' },
  ])('$name → $want', ({ lookup, want }) => {
    expect(clientSrvRule('contoso.com', EDGES, lookup)).toMatchObject({ check: 'client-srv', subject: 'contoso.com', status: want });
  });
});

describe('edge-address: an A or AAAA record', () => {
  it.each([
    { name: 'A only', a: found('203.0.113.10'), aaaa: none, want: 'pass', detail: /A 203\.0\.113\.10/, probe: '203.0.113.10' },
    { name: 'AAAA only', a: none, aaaa: found('2001:db8::10'), want: 'pass', detail: /AAAA 2001:db8::10/, probe: '2001:db8::10' },
    { name: 'both (IPv4 is probed)', a: found('203.0.113.10'), aaaa: found('2001:db8::10'), want: 'pass', detail: /A 203\.0\.113\.10 and AAAA/, probe: '203.0.113.10' },
    { name: 'AAAA and an A error', a: error, aaaa: found('2001:db8::10'), want: 'pass', detail: /AAAA/, probe: '2001:db8::10' },
    { name: 'neither', a: none, aaaa: none, want: 'fail', detail: /has no A or AAAA record/, probe: null },
    { name: 'errors', a: error, aaaa: none, want: 'fail', detail: /Could not look up the address .*in time/, probe: null },
  ])('$name → $want', ({ a, aaaa, want, detail, probe }) => {
    const got = edgeAddressRule('sip.contoso.com', a, aaaa);
    expect(got).toMatchObject({ check: 'edge-address', subject: 'sip.contoso.com', status: want });
    expect(got.detail).toMatch(detail);
    expect(addressToProbe(a, aaaa)).toBe(probe);
  });
});
