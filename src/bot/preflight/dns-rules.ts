/**
 * The DNS rules of preflight (docs/lync-reference.md, DNS and certificate) as pure functions from lookup outcomes to result
 * lines, so each rule is tested as a table; dns-lookup.ts does the asking.
 */
import { isTopLevelSuffixMatch } from '../../core/request';
import type { PreflightResult } from './port';

/** What one DNS question came back with. `none` = the name or the record type does not exist. */
export type Lookup<T> = { kind: 'found'; records: T[] } | { kind: 'none' } | { kind: 'error'; reason: string };

/** An SRV answer; `target` is lower-cased without the trailing dot ('' for the "." no-service target). */
export interface SrvAnswer {
  target: string;
  port: number;
  priority: number;
  weight: number;
}

export const FEDERATION_PORT = 5061;
export const CLIENT_PORT = 443;

export const federationSrvName = (domain: string) => `_sipfederationtls._tcp.${domain}`;
export const clientSrvName = (domain: string) => `_sip._tls.${domain}`;

/** The name to suggest for a domain: a request FQDN that obeys the suffix rule, else sip.<domain>. */
export function suggestedEdge(domain: string, fqdns: readonly string[]): string {
  return fqdns.find((f) => isTopLevelSuffixMatch(f, domain)) ?? `sip.${domain}`;
}

const list = (names: readonly string[]) => names.join(', ');
const endpoint = (r: SrvAnswer) => `${r.target}:${r.port}`;

/** Problems of one SRV answer against the expected port and the request's FQDNs. */
function srvProblems(r: SrvAnswer, port: number, fqdns: readonly string[]): string[] {
  if (r.target === '') return ['has the target "." (the domain says it offers no such service)'];
  const problems: string[] = [];
  if (r.port !== port) problems.push(`points at port ${r.port}, not ${port}`);
  if (!fqdns.includes(r.target)) problems.push(`points at ${r.target}, which is not one of the request's Access Edge FQDNs (${list(fqdns)})`);
  return problems;
}

/** federation-srv: `_sipfederationtls._tcp.<domain>` exists, every answer is port 5061 and a request FQDN. */
export function federationSrvRule(domain: string, fqdns: readonly string[], lookup: Lookup<SrvAnswer>): PreflightResult {
  const name = federationSrvName(domain);
  const line = (status: PreflightResult['status'], detail: string): PreflightResult => ({ check: 'federation-srv', subject: domain, status, detail });
  if (lookup.kind === 'none') {
    return line('fail', `There is no ${name} SRV record, so federation partners (and Skype) cannot find your Access Edge. Publish one for port ${FEDERATION_PORT} pointing at ${suggestedEdge(domain, fqdns)}.`);
  }
  if (lookup.kind === 'error') return line('fail', `Could not look up the ${name} SRV record: ${lookup.reason}.`);
  // A partner may pick any of the answers, so every one of them has to be right.
  const bad = lookup.records.flatMap((r) => srvProblems(r, FEDERATION_PORT, fqdns).map((p) => `${name} ${r.target === '' ? '' : `→ ${endpoint(r)} `}${p}`));
  if (bad.length > 0) return line('fail', `${bad.join('; ')}.`);
  return line('pass', `${name} points at ${list(lookup.records.map(endpoint))}.`);
}

/** federation-srv-suffix: every SRV target is `<one label>.<domain>` (partner discovery, Skype). */
export function federationSrvSuffixRule(domain: string, fqdns: readonly string[], lookup: Lookup<SrvAnswer>): PreflightResult {
  const name = federationSrvName(domain);
  const line = (status: PreflightResult['status'], detail: string): PreflightResult => ({ check: 'federation-srv-suffix', subject: domain, status, detail });
  if (lookup.kind === 'none') return line('fail', `Not checked: there is no ${name} SRV record to check.`);
  if (lookup.kind === 'error') return line('fail', `Not checked: the ${name} SRV lookup failed (${lookup.reason}).`);
  const targets = [...new Set(lookup.records.map((r) => r.target).filter((t) => t !== ''))];
  if (targets.length === 0) return line('fail', `Not checked: ${name} names no target.`);
  const example = suggestedEdge(domain, fqdns);
  const bad = targets.filter((t) => !isTopLevelSuffixMatch(t, domain));
  if (bad.length > 0) {
    return line('fail', `${bad.map((t) => `SRV target ${t} is not a top-level name of ${domain}`).join('; ')}: Skype federation needs e.g. ${example}.`);
  }
  return line('pass', `SRV target ${list(targets)} ${targets.length === 1 ? 'is a top-level name' : 'are top-level names'} of ${domain}.`);
}

/** client-srv: `_sip._tls.<domain>` on 443 to a request FQDN; only ever a warning (federation does not need it). */
export function clientSrvRule(domain: string, fqdns: readonly string[], lookup: Lookup<SrvAnswer>): PreflightResult {
  const name = clientSrvName(domain);
  const line = (status: PreflightResult['status'], detail: string): PreflightResult => ({ check: 'client-srv', subject: domain, status, detail });
  const why = 'Lync and Skype for Business clients outside your network use it to find where to sign in; federation does not need it';
  if (lookup.kind === 'none') return line('warn', `There is no ${name} SRV record (port ${CLIENT_PORT}): ${why}.`);
  if (lookup.kind === 'error') return line('warn', `Could not look up the ${name} SRV record: ${lookup.reason}.`);
  const bad = lookup.records.flatMap((r) => srvProblems(r, CLIENT_PORT, fqdns).map((p) => `${name} ${r.target === '' ? '' : `→ ${endpoint(r)} `}${p}`));
  if (bad.length > 0) return line('warn', `${bad.join('; ')} (${why}).`);
  return line('pass', `${name} points at ${list(lookup.records.map(endpoint))}.`);
}

/** edge-address: the FQDN has an A or AAAA record. */
export function edgeAddressRule(fqdn: string, a: Lookup<string>, aaaa: Lookup<string>): PreflightResult {
  const line = (status: PreflightResult['status'], detail: string): PreflightResult => ({ check: 'edge-address', subject: fqdn, status, detail });
  const found = [
    ...(a.kind === 'found' ? [`A ${list(a.records)}`] : []),
    ...(aaaa.kind === 'found' ? [`AAAA ${list(aaaa.records)}`] : []),
  ];
  if (found.length > 0) return line('pass', `${fqdn} has ${found.join(' and ')}.`);
  const errors = [a, aaaa].flatMap((l) => (l.kind === 'error' ? [l.reason] : []));
  if (errors.length > 0) return line('fail', `Could not look up the address of ${fqdn}: ${[...new Set(errors)].join('; ')}.`);
  return line('fail', `${fqdn} has no A or AAAA record, so federation partners cannot connect to it.`);
}

/** The address the TLS check connects to: the first IPv4 answer, else the first IPv6 one. */
export function addressToProbe(a: Lookup<string>, aaaa: Lookup<string>): string | null {
  if (a.kind === 'found' && a.records.length > 0) return a.records[0]!;
  if (aaaa.kind === 'found' && aaaa.records.length > 0) return aaaa.records[0]!;
  return null;
}
