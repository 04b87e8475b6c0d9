/**
 * What federation partners on the internet would see for contoso.com, on loopback: a DNS server
 * (dns2) with the _sipfederationtls._tcp and _sip._tls SRV records and the Access Edge's A
 * record, pointing at a random 127.x.y.z address where a TLS server presents a certificate for
 * sip.contoso.com from a test CA. The bot trusts that CA through NODE_EXTRA_CA_CERTS, and finds
 * the DNS server through PICBOT_DNS_SERVERS, so its preflight passes without the internet.
 */
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { makeCa, makeLeaf, startDnsServer, type Running } from '../integration/preflight-lab';

export const DOMAIN = 'contoso.com';
export const EDGE = 'sip.contoso.com';

export interface FederationLab {
  /** For PICBOT_DNS_SERVERS. */
  dnsServer: string;
  /** For NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** The Access Edge's loopback address (its A record); the TLS server listens on :5061. */
  edgeAddress: string;
  /** How many connections the Access Edge had (the preflight really connected to it). */
  connections(): number;
  close(): Promise<void>;
}

async function listenTls(server: TlsServer, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err));
    server.once('error', onError);
    server.listen(5061, host, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

/** Starts the lab; `dir` receives the CA certificate file. */
export async function startFederationLab(dir: string): Promise<FederationLab> {
  const ca = await makeCa('picbot e2e test CA');
  const leaf = await makeLeaf(ca, { cn: EDGE, sans: [EDGE] });
  const caFile = join(dir, 'e2e-ca.pem');
  writeFileSync(caFile, ca.cert);

  let connections = 0;
  const sockets = new Set<Socket>();
  const tls = createTlsServer({ key: leaf.key, cert: leaf.cert }, (socket) => socket.on('error', () => undefined));
  // Counted on TCP accept: the probe may hang up as soon as it has read the certificate.
  tls.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  tls.on('tlsClientError', () => undefined);
  // The bot checks port 5061 of the A record's address: a random loopback address keeps it free.
  let edgeAddress = '';
  for (let tries = 0; !edgeAddress; tries += 1) {
    const candidate = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (await listenTls(tls, candidate)) edgeAddress = candidate;
    else if (tries > 20) throw new Error('no free 127.x.y.z:5061 for the Access Edge');
  }

  let dns: Running;
  try {
    dns = await startDnsServer({
      [`_sipfederationtls._tcp.${DOMAIN}`]: { srv: [{ target: EDGE, port: 5061 }] },
      [`_sip._tls.${DOMAIN}`]: { srv: [{ target: EDGE, port: 443 }] },
      [EDGE]: { a: [edgeAddress] },
    });
  } catch (err) {
    tls.close();
    throw err;
  }
  return {
    dnsServer: `127.0.0.1:${dns.port}`,
    caFile,
    edgeAddress,
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
      await dns.close();
    },
  };
}
