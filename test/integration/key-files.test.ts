/**
 * The server's keys at start: the audit key and the job-signing key live in files beside (or,
 * configured, away from) the database, owner-only; an older database's signing key is moved out
 * and its unkeyed audit chain re-keyed, both recorded; a missing or unreadable key file stops the
 * start naming its variable.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Env } from '../../src/bot/config';
import { startServer } from '../../src/bot/main';
import { GENESIS_HASH } from '../../src/bot/stores/audit-log';
import { openDatabase } from '../../src/bot/stores/db';
import { MIGRATIONS } from '../../src/bot/stores/migrations';
import { LEGACY_SIGNING_KEY, publicKeyId } from '../../src/bot/stores/server-secrets';
import { canonicalJson, sha256Hex } from '../../src/contracts/canonical';
import { generateSigningKeys } from '../../src/contracts/signing';
import { echoArea } from '../fakes/echo-area';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts and stops a server on `env`; returns its log lines (warn and above) and what it exposed. */
async function startOnce(env: Env) {
  const lines: { level: number; msg: string }[] = [];
  const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, 'picbot.db'), ...env });
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as never) });
  const server = await startServer({ config, areas: [echoArea], logger });
  const records = await server.deps.audit.list();
  const keys = server.deps.signingKeys;
  const verified = await server.deps.audit.verify();
  await server.close();
  return { lines, records, keys, verified };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('key files', () => {
  it('creates audit.key and signing.key beside the database at first start, 0600, and keeps them', async () => {
    const first = await startOnce({});
    const auditKey = join(dir, 'audit.key');
    const signingKey = join(dir, 'signing.key');
    expect(readFileSync(auditKey, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(signingKey, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    if (process.platform !== 'win32') {
      expect(mode(auditKey)).toBe(0o600);
      expect(mode(signingKey)).toBe(0o600);
    }
    expect(first.records.map((r) => r.action)).toEqual(['signing-key.created']);
    const again = await startOnce({});
    expect(again.keys).toEqual(first.keys);
    expect(again.verified).toMatchObject({ ok: true, count: 1 });
    // The database holds no private key.
    const db = new Database(join(dir, 'picbot.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM server_keys').get()).toEqual({ n: 0 });
    db.close();
  });

  it('moves the signing key of an older database out of it, and records the move', async () => {
    const legacy = generateSigningKeys();
    const old = openDatabase(join(dir, 'picbot.db'));
    old.prepare('INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)').run(LEGACY_SIGNING_KEY, JSON.stringify(legacy), '2026-01-01T00:00:00.000Z');
    old.close();
    const started = await startOnce({});
    expect(started.keys.publicKeyPem).toBe(legacy.publicKeyPem);
    expect(readFileSync(join(dir, 'signing.key'), 'utf8')).toBe(legacy.privateKeyPem);
    expect(started.records).toEqual([expect.objectContaining({ action: 'signing-key.moved', detail: expect.objectContaining({ publicKeySha256: publicKeyId(legacy.publicKeyPem) }) })]);
    const db = new Database(join(dir, 'picbot.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM server_keys').get()).toEqual({ n: 0 });
    db.close();
  });

  it('re-keys an unkeyed audit chain written by an older picbot from its first record, and records it', async () => {
    const old = openDatabase(join(dir, 'picbot.db'), MIGRATIONS.filter((m) => m.id !== '0009-audit-keyed'));
    let prev = GENESIS_HASH;
    for (const seq of [1, 2, 3]) {
      const content = { seq, at: `2026-01-0${seq}T00:00:00.000Z`, action: 'intake.submitted', actor: 'aad:dana', subjectId: null, detail: { n: seq } };
      const hash = sha256Hex(prev + canonicalJson(content));
      old.prepare('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)').run(seq, content.at, content.action, content.actor, canonicalJson(content.detail), prev, hash);
      prev = hash;
    }
    old.prepare('INSERT INTO audit_tip (id, seq, hash) VALUES (1, 3, ?)').run(prev);
    old.close();
    const started = await startOnce({});
    expect(started.records.map((r) => r.action)).toEqual(['intake.submitted', 'intake.submitted', 'intake.submitted', 'audit.rekeyed', 'signing-key.created']);
    expect(started.records[3]!.detail).toEqual({ records: 3, from: 'sha256', to: 'hmac-sha256' });
    expect(started.records[0]!.hash).not.toBe(sha256Hex(GENESIS_HASH + canonicalJson({ seq: 1, at: '2026-01-01T00:00:00.000Z', action: 'intake.submitted', actor: 'aad:dana', subjectId: null, detail: { n: 1 } })));
    expect(started.verified).toMatchObject({ ok: true, count: 5 });
  });

  it.each([
    { name: 'a configured audit key file that does not exist', env: () => ({ PICBOT_AUDIT_KEY_FILE: join(dir, 'nope.key') }), want: /PICBOT_AUDIT_KEY_FILE: the key file .*nope\.key does not exist/ },
    { name: 'an audit key file that holds no key', env: () => (writeFileSync(join(dir, 'bad.key'), 'hello\n'), { PICBOT_AUDIT_KEY_FILE: join(dir, 'bad.key') }), want: /PICBOT_AUDIT_KEY_FILE: .*does not hold an audit key/ },
    { name: 'a configured signing key file that does not exist', env: () => ({ PICBOT_SIGNING_KEY_FILE: join(dir, 'nope.pem') }), want: /PICBOT_SIGNING_KEY_FILE: the key file .*nope\.pem does not exist/ },
    { name: 'a signing key file that holds no Ed25519 key', env: () => (writeFileSync(join(dir, 'bad.pem'), 'not a key'), { PICBOT_SIGNING_KEY_FILE: join(dir, 'bad.pem') }), want: /PICBOT_SIGNING_KEY_FILE: .*does not hold an Ed25519 private key/ },
  ])('refuses to start with $name, naming the variable', async ({ env, want }) => {
    await expect(startOnce(env())).rejects.toThrow(want);
  });

  it('refuses to start when the audit key of a keyed chain has gone (a fresh key would hide the loss)', async () => {
    await startOnce({});
    rmSync(join(dir, 'audit.key'));
    await expect(startOnce({})).rejects.toThrow(/PICBOT_AUDIT_KEY_FILE: the key file the default .*audit\.key \(beside the database\) does not exist/);
    expect(existsSync(join(dir, 'audit.key'))).toBe(false);
  });

  it('refuses an audit key file that cannot be read, naming the variable', async () => {
    // A folder where the file should be: unreadable as a file for every account, root included.
    mkdirSync(join(dir, 'audit.key'));
    await expect(startOnce({})).rejects.toThrow(/PICBOT_AUDIT_KEY_FILE: the key file .*audit\.key.* cannot be read \(EISDIR\)/);
  });

  it('warns in production when the audit key is the default one beside the database', async () => {
    const production = { MicrosoftAppId: '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10', MicrosoftAppPassword: 'x', MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT, PICBOT_ADMINS: TENANT, PICBOT_APPROVERS: TENANT };
    const defaulted = await startOnce(production);
    expect(defaulted.lines.some((l) => l.level === 40 && /PICBOT_AUDIT_KEY_FILE is not set/.test(l.msg))).toBe(true);
    const set = await startOnce({ ...production, PICBOT_AUDIT_KEY_FILE: join(dir, 'audit.key') });
    expect(set.lines.some((l) => /PICBOT_AUDIT_KEY_FILE is not set/.test(l.msg))).toBe(false);
  });
});
