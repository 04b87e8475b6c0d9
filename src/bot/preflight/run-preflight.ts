/**
 * Runs every preflight check of a request concurrently under one deadline and implements the
 * Preflight port. Result order is stable: per SIP domain federation-srv, federation-srv-suffix,
 * client-srv; then per Access Edge FQDN edge-address, edge-certificate.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { edgeCertificateRule } from './certificate-rules';
import { createDnsLookups, type DnsServerAddress } from './dns-lookup';
import {
  addressToProbe, clientSrvName, clientSrvRule, edgeAddressRule, federationSrvName, federationSrvRule, federationSrvSuffixRule,
} from './dns-rules';
import type { Preflight, PreflightCheck, PreflightRequest, PreflightResult } from './port';
import { nonPublicAddress } from './private-address';
import { defaultTlsRoute, probeTls, type TlsRoute } from './tls-probe';

export interface PreflightOptions {
  /** DNS servers to ask (PICBOT_DNS_SERVERS); empty or absent = the system's resolver. */
  dnsServers?: readonly DnsServerAddress[];
  /** The whole run's budget (PICBOT_PREFLIGHT_TIMEOUT_MS); every check ends by then. */
  timeoutMs: number;
  /** Where the TLS check connects; default port 5061 of the looked-up address. Tests route to loopback. */
  tlsRoute?: TlsRoute;
  /** Replaces Node's CA store for the TLS check (tests); absent = Node's store, NODE_EXTRA_CA_CERTS honoured. */
  trustedCa?: string[];
  /**
   * The production server's preflight: no TLS connection to an Access Edge address that is
   * loopback, link-local or private (private-address.ts), unless PICBOT_PREFLIGHT_ALLOW_PRIVATE=1.
   * `picbot preflight` on the command line leaves it off.
   */
  refusePrivateAddresses?: boolean;
  clock?: Clock;
  logger?: Logger;
}

/** Resolves with `late()` when the signal fires first: the hard bound on one check. */
export function bounded<T>(work: Promise<T>, signal: AbortSignal, late: () => T): Promise<T> {
  if (signal.aborted) return Promise.resolve(late());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(late());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/**
 * The run's hard deadline is timeoutMs plus this margin: every network step has its own
 * timeoutMs budget and normally ends on it, with its own reason; the deadline is the backstop
 * that ends the run whatever the network (or c-ares' retry timing) does.
 */
export const DEADLINE_MARGIN_MS = 250;

/** Runs the DNS and TLS checks for a request; network trouble becomes `fail`/`warn` lines, never an exception. */
export async function runPreflight(request: PreflightRequest, options: PreflightOptions): Promise<PreflightResult[]> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs;
  const route = options.tlsRoute ?? defaultTlsRoute;
  const fqdns = request.accessEdgeFqdns;
  // Budgets use the monotonic clock; the injected Clock only dates the certificate check.
  const started = performance.now();
  const deadline = new AbortController();
  // One listener per check and per TLS probe: more than the default 10 is expected, not a leak.
  setMaxListeners(0, deadline.signal);
  const dns = createDnsLookups(options.dnsServers ?? [], timeoutMs);
  const onDeadline = () => dns.cancel();
  deadline.signal.addEventListener('abort', onDeadline, { once: true });
  const timer = setTimeout(() => deadline.abort(), timeoutMs + DEADLINE_MARGIN_MS);
  const bound = (check: PreflightCheck, subject: string, work: Promise<PreflightResult>) =>
    bounded(work, deadline.signal, (): PreflightResult => ({
      check, subject, status: check === 'client-srv' ? 'warn' : 'fail',
      detail: `Not checked: no answer within ${timeoutMs} ms (PICBOT_PREFLIGHT_TIMEOUT_MS).`,
    }));

  const lines = request.sipDomains.flatMap((domain) => {
    const fed = dns.srv(federationSrvName(domain));
    return [
      bound('federation-srv', domain, fed.then((l) => federationSrvRule(domain, fqdns, l))),
      bound('federation-srv-suffix', domain, fed.then((l) => federationSrvSuffixRule(domain, fqdns, l))),
      bound('client-srv', domain, dns.srv(clientSrvName(domain)).then((l) => clientSrvRule(domain, fqdns, l))),
    ];
  });
  for (const fqdn of fqdns) {
    const addresses = Promise.all([dns.a(fqdn), dns.aaaa(fqdn)]);
    const certificate = addresses.then(async ([a, aaaa]) => {
      const address = addressToProbe(a, aaaa);
      if (address === null) return edgeCertificateRule(fqdn, { kind: 'no-address' }, clock.now());
      const refused = options.refusePrivateAddresses ? nonPublicAddress(address) : null;
      if (refused) {
        return {
          check: 'edge-certificate', subject: fqdn, status: 'fail',
          detail: `Not checked: ${refused}; the server does not connect there (an Access Edge is reached from the internet). For a lab, PICBOT_PREFLIGHT_ALLOW_PRIVATE=1 allows it; picbot preflight on the command line checks it too.`,
        } satisfies PreflightResult;
      }
      const target = route(fqdn, address);
      // What is left of the budget, so DNS time plus TLS time stays within timeoutMs.
      const left = Math.max(1, timeoutMs - (performance.now() - started));
      const outcome = await probeTls(fqdn, target.host, target.port, { ca: options.trustedCa, signal: deadline.signal, waitMs: left, timeoutMs });
      return edgeCertificateRule(fqdn, outcome, clock.now());
    });
    lines.push(
      bound('edge-address', fqdn, addresses.then(([a, aaaa]) => edgeAddressRule(fqdn, a, aaaa))),
      bound('edge-certificate', fqdn, certificate),
    );
  }

  try {
    const results = await Promise.all(lines);
    options.logger?.info({ checks: results.length, failed: results.filter((r) => r.status === 'fail').length, ms: Math.round(performance.now() - started) }, 'preflight finished');
    return results;
  } finally {
    clearTimeout(timer);
    deadline.signal.removeEventListener('abort', onDeadline);
    dns.cancel();
  }
}

/** The Preflight port over runPreflight with fixed options (servers, timeout, routing). */
export function createPreflight(options: PreflightOptions): Preflight {
  return { run: (request) => runPreflight(request, options) };
}
