import { edgeCertificateRule, type PresentedCertificate, type TlsOutcome } from '../../../../src/bot/preflight/certificate-rules';
import { sanDnsNames } from '../../../../src/bot/preflight/tls-probe';

const NOW = new Date('2026-06-01T00:00:00Z');
const FQDN = 'sip.contoso.com';

const cert = (o: Partial<PresentedCertificate> = {}): TlsOutcome => ({
  kind: 'handshake',
  endpoint: '203.0.113.10:5061',
  certificate: {
    subjectCommonNames: [FQDN],
    sanDnsNames: [FQDN, 'webcon.contoso.com'],
    validFrom: new Date('2026-01-01T00:00:00Z'),
    validTo: new Date('2027-01-01T00:00:00Z'),
    issuer: 'Public CA',
    chainError: null,
    ...o,
  },
});

describe('edge-certificate', () => {
  it.each([
    { name: 'SAN names the FQDN', outcome: cert(), want: 'pass', detail: /names sip\.contoso\.com \(SAN\).*valid until 2027-01-01 and its chain is trusted/ },
    { name: 'only the subject CN names it', outcome: cert({ sanDnsNames: ['webcon.contoso.com'] }), want: 'pass', detail: /\(subject\)/ },
    { name: 'names differ only in case', outcome: cert({ subjectCommonNames: ['SIP.Contoso.com'], sanDnsNames: [] }), want: 'pass', detail: /\(subject\)/ },
    { name: 'wrong name', outcome: cert({ subjectCommonNames: ['edge.contoso.com'], sanDnsNames: ['edge.contoso.com'] }), want: 'fail', detail: /does not name sip\.contoso\.com \(it names edge\.contoso\.com\)/ },
    { name: 'wildcard only', outcome: cert({ subjectCommonNames: ['*.contoso.com'], sanDnsNames: ['*.contoso.com'] }), want: 'fail', detail: /only through the wildcard \*\.contoso\.com/ },
    { name: 'names nothing', outcome: cert({ subjectCommonNames: [], sanDnsNames: [] }), want: 'fail', detail: /it names nothing/ },
    { name: 'expired by date', outcome: cert({ validTo: new Date('2026-05-31T00:00:00Z') }), want: 'fail', detail: /expired on 2026-05-31/ },
    { name: 'expired per OpenSSL', outcome: cert({ chainError: 'CERT_HAS_EXPIRED' }), want: 'fail', detail: /expired on 2027-01-01.*trusted shows once the dates are right/ },
    { name: 'not yet valid', outcome: cert({ validFrom: new Date('2026-07-01T00:00:00Z') }), want: 'fail', detail: /not valid before 2026-07-01/ },
    { name: 'self-signed', outcome: cert({ chainError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), want: 'fail', detail: /not trusted: the certificate is self-signed; Lync federation needs a certificate from a public CA/ },
    { name: 'unknown issuer', outcome: cert({ chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), want: 'fail', detail: /issuing CA is not trusted/ },
    { name: 'other chain error', outcome: cert({ chainError: 'CERT_CHAIN_TOO_LONG' }), want: 'fail', detail: /does not verify \(CERT_CHAIN_TOO_LONG\)/ },
    { name: 'several problems at once', outcome: cert({ sanDnsNames: ['*.contoso.com'], subjectCommonNames: [], chainError: 'SELF_SIGNED_CERT_IN_CHAIN' }), want: 'fail', detail: /wildcard.*; its chain is not trusted/ },
    { name: 'no address', outcome: { kind: 'no-address' } as TlsOutcome, want: 'fail', detail: /Not checked: sip\.contoso\.com has no address/ },
    { name: 'connection error', outcome: { kind: 'error', endpoint: '203.0.113.10:5061', reason: 'the connection was refused' } as TlsOutcome, want: 'fail', detail: /No certificate from 203\.0\.113\.10:5061: the connection was refused/ },
  ])('$name → $want', ({ outcome, want, detail }) => {
    const got = edgeCertificateRule(FQDN, outcome, NOW);
    expect(got).toMatchObject({ check: 'edge-certificate', subject: FQDN, status: want });
    expect(got.detail).toMatch(detail);
  });
});

describe('reading the SAN string Node prints', () => {
  it.each([
    { raw: undefined, want: [] },
    { raw: 'DNS:sip.contoso.com', want: ['sip.contoso.com'] },
    { raw: 'DNS:sip.contoso.com, DNS:*.contoso.com, IP Address:127.0.0.1', want: ['sip.contoso.com', '*.contoso.com'] },
    { raw: 'email:a@contoso.com, DNS:"odd,name.contoso.com", DNS:b.contoso.com', want: ['odd,name.contoso.com', 'b.contoso.com'] },
  ])('$raw', ({ raw, want }) => {
    expect(sanDnsNames(raw)).toEqual(want);
  });
});
