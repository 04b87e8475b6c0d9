/**
 * The Access Edge certificate rules (docs/lync-reference.md, DNS and certificate) as a pure function from what the TLS
 * handshake showed to a result line; tls-probe.ts does the connecting.
 */
import type { PreflightResult } from './port';

/** What the TLS handshake on the Access Edge showed. */
export interface PresentedCertificate {
  /** Subject common names (a certificate may carry several). */
  subjectCommonNames: string[];
  /** SAN entries of type DNS. */
  sanDnsNames: string[];
  validFrom: Date;
  validTo: Date;
  /** A readable issuer, e.g. its CN. */
  issuer: string;
  /** OpenSSL's verdict on the chain against the trusted CAs: null = trusted, else its code. */
  chainError: string | null;
}

/** How the TLS check ended. `endpoint` is where it connected (`203.0.113.10:5061`). */
export type TlsOutcome =
  | { kind: 'handshake'; endpoint: string; certificate: PresentedCertificate }
  | { kind: 'no-address' }
  | { kind: 'error'; endpoint: string; reason: string };

// OpenSSL reports the LAST problem it met while it kept verifying (rejectUnauthorized is off so
// we see the certificate), and the date checks come after chain building: on an expired
// certificate a broken chain is masked, so we do not claim "trusted" then.
const TIME_ERRORS: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

const CHAIN_WORDS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends at a self-signed CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuing CA is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuing CA is not trusted (or the server does not send the intermediate certificates)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the issuing CA is not trusted (or the server does not send the intermediate certificates)',
  CERT_UNTRUSTED: 'the root CA is not trusted for this purpose',
  CERT_SIGNATURE_FAILURE: 'a signature in the chain is invalid',
  CERT_REVOKED: 'the certificate has been revoked',
  INVALID_CA: 'a certificate in the chain is not a valid CA',
  INVALID_PURPOSE: 'the certificate is not meant for TLS servers',
};

const day = (d: Date) => d.toISOString().slice(0, 10);

/** True when `pattern` is a wildcard entry that would cover `fqdn` (which the rule does not accept). */
function wildcardCovers(pattern: string, fqdn: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const rest = pattern.slice(1);
  return fqdn.endsWith(rest) && !fqdn.slice(0, -rest.length).includes('.');
}

/** edge-certificate: names the FQDN exactly (CN or SAN DNS, no wildcard), is in date, and its chain is trusted. */
export function edgeCertificateRule(fqdn: string, outcome: TlsOutcome, now: Date): PreflightResult {
  const line = (status: PreflightResult['status'], detail: string): PreflightResult => ({ check: 'edge-certificate', subject: fqdn, status, detail });
  if (outcome.kind === 'no-address') return line('fail', `Not checked: ${fqdn} has no address to connect to.`);
  if (outcome.kind === 'error') return line('fail', `No certificate from ${outcome.endpoint}: ${outcome.reason}.`);

  const cert = outcome.certificate;
  const problems: string[] = [];
  const name = fqdn.toLowerCase();
  const cns = cert.subjectCommonNames.map((n) => n.toLowerCase());
  const sans = cert.sanDnsNames.map((n) => n.toLowerCase());
  const where = sans.includes(name) ? 'SAN' : cns.includes(name) ? 'subject' : null;
  if (where === null) {
    const all = [...new Set([...cns, ...sans])];
    const wildcard = all.find((n) => wildcardCovers(n, name));
    problems.push(wildcard
      ? `it names ${fqdn} only through the wildcard ${wildcard}, and the Access Edge certificate must list ${fqdn} itself`
      : `it does not name ${fqdn} (it names ${all.length > 0 ? all.join(', ') : 'nothing'}); the subject or a SAN entry must be exactly ${fqdn}`);
  }
  const expired = now.getTime() > cert.validTo.getTime() || cert.chainError === 'CERT_HAS_EXPIRED';
  const early = now.getTime() < cert.validFrom.getTime() || cert.chainError === 'CERT_NOT_YET_VALID';
  if (expired) problems.push(`it expired on ${day(cert.validTo)}`);
  else if (early) problems.push(`it is not valid before ${day(cert.validFrom)}`);
  if (cert.chainError !== null && !TIME_ERRORS.has(cert.chainError)) {
    const words = CHAIN_WORDS[cert.chainError] ?? `the chain does not verify (${cert.chainError})`;
    problems.push(`its chain is not trusted: ${words}; Lync federation needs a certificate from a public CA`);
  }
  if (problems.length > 0) {
    const masked = cert.chainError !== null && TIME_ERRORS.has(cert.chainError) ? ' (whether its chain is trusted shows once the dates are right)' : '';
    return line('fail', `The certificate on ${outcome.endpoint} (issued by ${cert.issuer}): ${problems.join('; ')}${masked}.`);
  }
  return line('pass', `The certificate on ${outcome.endpoint} names ${fqdn} (${where}), was issued by ${cert.issuer}, is valid until ${day(cert.validTo)} and its chain is trusted.`);
}
