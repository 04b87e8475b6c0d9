/**
 * A loopback lab for preflight tests: a real DNS server (dns2, UDP on a random 127.0.0.1 port)
 * serving a zone table, a DNS "black hole", real TLS servers with certificates from a test CA,
 * a TCP server that never answers, and a closed port. Nothing here talks to the internet.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import dns2 from 'dns2';
import { generate } from 'selfsigned';

// dns2's bundled typings miss RCODE and the per-type record fields; the wire format is what we test.
const Packet: any = dns2.Packet;

export interface ZoneSrv { target: string; port: number; priority?: number; weight?: number }
/** Records per owner name (lower case, no trailing dot). A name absent from the table is NXDOMAIN. */
export type Zone = Record<string, { srv?: ZoneSrv[]; a?: string[]; aaaa?: string[] }>;

export interface Running {
  port: number;
  close(): Promise<void>;
}

/** A dns2 UDP server on 127.0.0.1:<random> answering from `zone` (mutable between runs). */
export async function startDnsServer(zone: Zone): Promise<Running> {
  const server = dns2.createServer({
    udp: true,
    handle: (request: any, send: (r: any) => void) => {
      const response: any = Packet.createResponseFromRequest(request);
      const [q] = request.questions;
      const name = String(q.name).toLowerCase().replace(/\.$/, '');
      const entry = zone[name];
      if (!entry) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
        return send(response);
      }
      const base = { name: q.name, class: Packet.CLASS.IN, ttl: 60 };
      if (q.type === Packet.TYPE.SRV) {
        for (const r of entry.srv ?? []) response.answers.push({ ...base, type: Packet.TYPE.SRV, priority: r.priority ?? 0, weight: r.weight ?? 0, port: r.port, target: r.target });
      } else if (q.type === Packet.TYPE.A) {
        for (const address of entry.a ?? []) response.answers.push({ ...base, type: Packet.TYPE.A, address });
      } else if (q.type === Packet.TYPE.AAAA) {
        for (const address of entry.aaaa ?? []) response.answers.push({ ...base, type: Packet.TYPE.AAAA, address });
      }
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return { port: addresses.udp!.port, close: () => server.close() };
}

/** A UDP socket on 127.0.0.1 that reads DNS questions and never answers. */
export async function startDnsBlackHole(): Promise<Running> {
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

export interface Pem { key: string; cert: string }

/** A CA certificate (self-signed, cA=true) for signing test leaves. */
export async function makeCa(cn: string): Promise<Pem> {
  const ca = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { key: ca.private, cert: ca.cert };
}

/** A TLS server certificate signed by `ca` (or self-signed when ca is null). */
export async function makeLeaf(ca: Pem | null, o: { cn: string; sans: string[]; notBefore?: Date; notAfter?: Date }): Promise<Pem> {
  const leaf = await generate([{ name: 'commonName', value: o.cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: o.notBefore,
    notAfterDate: o.notAfter,
    ...(ca ? { ca } : {}),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: o.sans.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { key: leaf.private, cert: leaf.cert };
}

function closeTcp(server: TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

function track(server: TcpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

/** A real TLS server on 127.0.0.1:<random> presenting `pem`; it completes handshakes and says nothing. */
export async function startTlsServer(pem: Pem): Promise<Running> {
  const server = createTlsServer({ key: pem.key, cert: pem.cert });
  server.on('tlsClientError', () => undefined);
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => closeTcp(server, sockets) };
}

/** Accepts TCP connections and never writes a byte (a TLS client waits forever). */
export async function startSilentServer(): Promise<Running> {
  const server = createTcpServer(() => undefined);
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => closeTcp(server, sockets) };
}

/** A loopback port that was just free and is closed again (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
