/**
 * Helpers of the scale-out tests (npm run test:pg): shared key files, reading a schema with a
 * plain pg client, the audit chain as `picbot audit verify` checks it, and a loopback TCP proxy
 * the tests cut and restore (in front of PostgreSQL, or of a server instance).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateSigningKeys } from '../../src/contracts/signing';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openPostgres } from '../../src/bot/stores/pg-connect';
import { RUNNER_API_BASE } from '../../src/contracts/runner-api';

/** The key files every instance mounts (as a deployment mounts one secret), and the env naming them. */
export function sharedKeys(dir: string): { auditKey: Buffer; env: Record<string, string> } {
  const auditKey = randomBytes(32);
  const auditPath = join(dir, 'audit.key');
  const signingPath = join(dir, 'signing.key');
  writeFileSync(auditPath, `${auditKey.toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(signingPath, generateSigningKeys().privateKeyPem, { mode: 0o600 });
  return { auditKey, env: { PICBOT_AUDIT_KEY_FILE: auditPath, PICBOT_SIGNING_KEY_FILE: signingPath } };
}

/** Rows of one query on the schema the URL names. */
export async function pgRows<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The audit chain of the schema, verified under the key. */
export async function verifyAuditPg(url: string, key: Buffer) {
  const sql = await openPostgres(url, { migrate: false, max: 1 });
  try {
    return await createAuditLog(sql, { now: () => new Date() }, key).verify();
  } finally {
    await sql.close();
  }
}

/** A POST to the runner API of a server, as a runner makes it (real HTTP); the answer's status and JSON. */
export async function runnerCall(base: string, path: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const res = await fetch(`${base}${RUNNER_API_BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

export interface TcpProxy {
  port: number;
  /** Sends new connections to this port from now on. */
  retarget(port: number): void;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy (127.0.0.1, an ephemeral port) to `targetPort`. */
export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const state = { target: targetPort, down: false };
  const open = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    if (state.down) {
      inbound.destroy();
      return;
    }
    const outbound = connect(state.target, '127.0.0.1');
    open.add(inbound);
    open.add(outbound);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    retarget(port) {
      state.target = port;
    },
    cut() {
      state.down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      state.down = false;
    },
    async close() {
      state.down = true;
      for (const s of open) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
