/**
 * PostgreSQL for the `scale.out` scenario: a fresh schema per configuration (dropped after), and
 * the key files every instance of one deployment shares (docs/deploy.md, Keys). The server is
 * PICBOT_BENCH_PG_URL, by default the loopback one the PostgreSQL tests use.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** The PostgreSQL server the bench uses: PICBOT_BENCH_PG_URL or the loopback default. */
export function benchPgUrl(): string {
  return process.env.PICBOT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** The URL with its password (if any) left out, for messages. */
export function shownUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** A URL whose connections use `schema` (the search_path is set at connection start). */
export function urlWithSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Runs `fn` on one connection to `base`; a server that does not answer throws naming PICBOT_BENCH_PG_URL. */
async function onServer<T>(base: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL does not answer at ${shownUrl(base)} (${(err as Error).message}): start it or set PICBOT_BENCH_PG_URL to one that does`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchSchema {
  schema: string;
  /** The server's URL with `?options=-c search_path=<schema>`. */
  url: string;
  /** Drops the schema with everything in it. */
  drop(): Promise<void>;
}

/** A fresh, empty schema `picbot_bench_<random>` on the bench's PostgreSQL. */
export async function freshBenchSchema(base = benchPgUrl()): Promise<BenchSchema> {
  const schema = `picbot_bench_${randomBytes(6).toString('hex')}`;
  await onServer(base, (c) => c.query(`CREATE SCHEMA ${schema}`));
  return {
    schema,
    url: urlWithSchema(base, schema),
    drop: () => onServer(base, async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }),
  };
}

/**
 * Writes an audit key (32 random bytes, hex) and an Ed25519 signing key (PKCS#8 PEM) into `dir`;
 * returns the environment naming them, as PICBOT_DATABASE_URL requires.
 */
export function sharedKeyFiles(dir: string): Record<string, string> {
  const auditPath = join(dir, 'audit.key');
  const signingPath = join(dir, 'signing.key');
  writeFileSync(auditPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(signingPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  return { PICBOT_AUDIT_KEY_FILE: auditPath, PICBOT_SIGNING_KEY_FILE: signingPath };
}
