/**
 * Asks DNS through one node:dns/promises Resolver per preflight run: the configured servers
 * (PICBOT_DNS_SERVERS) or, when none are given, the system's. Outcomes become `Lookup` values;
 * nothing here throws for DNS trouble.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Lookup, SrvAnswer } from './dns-rules';

/** A DNS server to ask, as config.ts parses PICBOT_DNS_SERVERS. */
export interface DnsServerAddress {
  host: string;
  port: number;
}

export interface DnsLookups {
  srv(name: string): Promise<Lookup<SrvAnswer>>;
  a(name: string): Promise<Lookup<string>>;
  aaaa(name: string): Promise<Lookup<string>>;
  /** Abandons every pending question (they end as `error` lookups). */
  cancel(): void;
}

/** `host:port` in the form Resolver.setServers takes (IPv6 in brackets). */
export function resolverServer(s: DnsServerAddress): string {
  return isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

const NONE: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA']);

const DNS_WORDS: Record<string, string> = {
  ETIMEOUT: 'the DNS server did not answer in time',
  ECANCELLED: 'the DNS server did not answer in time',
  ESERVFAIL: 'the DNS server answered SERVFAIL (it could not resolve the name)',
  EREFUSED: 'the DNS server refused the query',
  ECONNREFUSED: 'could not reach the DNS server',
  EBADRESP: 'the DNS server sent a malformed answer',
  ENOTIMP: 'the DNS server does not support this query',
  EFORMERR: 'the DNS server says the query was malformed',
};

function toLookup<T>(err: unknown): Lookup<T> {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && NONE.has(code)) return { kind: 'none' };
  if (typeof code === 'string') return { kind: 'error', reason: DNS_WORDS[code] ?? `DNS lookup failed (${code})` };
  return { kind: 'error', reason: `DNS lookup failed (${err instanceof Error ? err.message : String(err)})` };
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * Makes the lookups of one run. `timeoutMs` bounds each question inside c-ares as well; the run's
 * own deadline calls cancel(), which is the real bound.
 */
export function createDnsLookups(servers: readonly DnsServerAddress[], timeoutMs: number): DnsLookups {
  // Two tries so one lost UDP datagram does not fail a check; c-ares doubles the wait on the
  // second try, hence a third of the budget for the first.
  const resolver = new Resolver({ timeout: Math.max(50, Math.floor(timeoutMs / 3)), tries: 2 });
  if (servers.length > 0) resolver.setServers(servers.map(resolverServer));
  const answer = async <T>(question: () => Promise<T[]>): Promise<Lookup<T>> => {
    try {
      const records = await question();
      return records.length > 0 ? { kind: 'found', records } : { kind: 'none' };
    } catch (err) {
      return toLookup<T>(err);
    }
  };
  // c-ares' own retry timing can run past timeoutMs; each question also ends on its own timer.
  const ask = <T>(question: () => Promise<T[]>): Promise<Lookup<T>> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Lookup<T>>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'error', reason: `the DNS server did not answer within ${timeoutMs} ms` }), timeoutMs);
    });
    return Promise.race([answer(question), late]).finally(() => clearTimeout(timer));
  };
  return {
    srv: (name) => ask(async () => (await resolver.resolveSrv(name)).map((r) => ({ target: bare(r.name), port: r.port, priority: r.priority, weight: r.weight }))),
    a: (name) => ask(() => resolver.resolve4(name)),
    aaaa: (name) => ask(() => resolver.resolve6(name)),
    cancel: () => resolver.cancel(),
  };
}
