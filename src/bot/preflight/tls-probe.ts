/**
 * Connects to the Access Edge with TLS and reports the certificate it presents. Verification is
 * not delegated to the handshake (rejectUnauthorized is off) so that a wrong name, an expired
 * certificate and an untrusted chain each get their own plain-words reason; certificate-rules.ts
 * judges, with OpenSSL's chain verdict from the same handshake.
 */
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { PresentedCertificate, TlsOutcome } from './certificate-rules';

/** Where to connect for an FQDN and the address its A/AAAA lookup returned. */
export type TlsRoute = (fqdn: string, address: string) => { host: string; port: number };

/** Production routing: port 5061 of the looked-up address. */
export const defaultTlsRoute: TlsRoute = (_fqdn, address) => ({ host: address, port: 5061 });

export interface TlsProbeOptions {
  /** Replaces Node's CA store (tests pass their own CA); undefined = Node's store, NODE_EXTRA_CA_CERTS included. */
  ca?: string[];
  /** Aborting destroys the connection; the outcome is then a timeout error. */
  signal: AbortSignal;
  /** How long to wait for the handshake (what is left of the run's budget). */
  waitMs: number;
  /** The configured timeout, for the words of a timeout. */
  timeoutMs: number;
}

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens on that port, or a firewall rejects it)',
  ECONNRESET: 'the server closed the connection during the TLS handshake',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EADDRNOTAVAIL: 'the address is not available from here',
  EPIPE: 'the server closed the connection during the TLS handshake',
};

const endpointText = (host: string, port: number) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);

/** SAN string as Node prints it: `DNS:a, DNS:"b,c", IP Address:…` (quoted when unusual characters appear). */
export function sanDnsNames(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  const out: string[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (let m = entry.exec(subjectaltname); m !== null && m[0] !== ''; m = entry.exec(subjectaltname)) {
    if (m[1] !== 'DNS') continue;
    const raw = m[2]!;
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function presented(peer: DetailedPeerCertificate, chainError: string | null): PresentedCertificate {
  const issuer = asList(peer.issuer?.CN)[0] ?? asList(peer.issuer?.O)[0] ?? 'an unnamed issuer';
  return {
    subjectCommonNames: asList(peer.subject?.CN),
    sanDnsNames: sanDnsNames(peer.subjectaltname),
    validFrom: new Date(peer.valid_from),
    validTo: new Date(peer.valid_to),
    issuer,
    chainError,
  };
}

/** One TLS handshake to `host:port` with `servername` as SNI; resolves, never rejects. */
export function probeTls(servername: string, host: string, port: number, options: TlsProbeOptions): Promise<TlsOutcome> {
  const endpoint = endpointText(host, port);
  return new Promise<TlsOutcome>((resolve) => {
    let socket: TLSSocket | null = null;
    const finish = (outcome: TlsOutcome) => {
      options.signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      socket?.destroy();
      resolve(outcome);
    };
    const timedOut = () => finish({ kind: 'error', endpoint, reason: `no TLS answer within ${options.timeoutMs} ms (a firewall may drop the traffic, or the server does not speak TLS on that port)` });
    const onAbort = () => timedOut();
    const timer = setTimeout(timedOut, options.waitMs);
    if (options.signal.aborted) return timedOut();
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket = connect({
      host,
      port,
      servername,
      ca: options.ca,
      rejectUnauthorized: false,
      // We judge the name ourselves (exact match, no wildcard), see certificate-rules.ts.
      checkServerIdentity: () => undefined,
    });
    socket.once('secureConnect', () => {
      const peer = socket!.getPeerCertificate(true);
      if (!peer || Object.keys(peer).length === 0) return finish({ kind: 'error', endpoint, reason: 'the server presented no certificate' });
      const chainError = socket!.authorized ? null : String(socket!.authorizationError ?? 'UNKNOWN');
      finish({ kind: 'handshake', endpoint, certificate: presented(peer, chainError) });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const words = (err.code && SOCKET_WORDS[err.code]) ?? `the TLS handshake failed (${err.code ?? err.message})`;
      finish({ kind: 'error', endpoint, reason: words });
    });
    socket.once('close', () => finish({ kind: 'error', endpoint, reason: 'the server closed the connection during the TLS handshake' }));
  });
}
