/**
 * `picbot doctor` as a real process on a SQLite database: one line per check, exit 1 only when a
 * check fails. The Bot Framework token request goes to a loopback fake of Entra ID's token
 * endpoint (PICBOT_DOCTOR_TOKEN_URL), never to the internet.
 */
import Database from 'better-sqlite3';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import { runPicbot, type Ran } from './cli-process';

const AUDIT_KEY = Buffer.alloc(32, 9);
const APP_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const PERSON = '99999999-8888-7777-6666-555555555555';
const SECRET = 'the-app-secret-s3cret';

let dir: string;
let dbPath: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-doctor-'));
  dbPath = join(dir, 'data', 'picbot.db');
  const db = sqliteSql(openDatabase(dbPath), dbPath);
  writeFileSync(join(dir, 'data', 'audit.key'), `${AUDIT_KEY.toString('hex')}\n`, { mode: 0o600 });
  const audit = createAuditLog(db, { now: () => new Date() }, AUDIT_KEY);
  await audit.append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: 'req_0000000000000001', detail: { n: 1 } });
  await audit.append({ action: 'plan.computed', actor: 'system', subjectId: 'plan_0000000000000001', detail: { n: 2 } });
  await db.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Line { status: string; name: string; detail: string }

/** The checks of a text run, by name. */
function checks(r: Ran): Record<string, Line> {
  const out: Record<string, Line> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const m = /^(ok|warn|fail|skip)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`not a check line: ${line}`);
    out[m[2]!] = { status: m[1]!, name: m[2]!, detail: m[3]! };
  }
  return out;
}

const doctor = (args: string[] = [], env: Record<string, string> = {}) => runPicbot(['doctor', ...args], { cwd: dir, env });

/** Raw SQL on the database file (what a test breaks on purpose). */
function raw(sql: string, ...params: unknown[]): void {
  const db = new Database(dbPath);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

const addRunner = (id: string, labels: string[], lastSeenAt: string) =>
  raw('INSERT INTO runners (id, name, labels, token_hash, enrolled_at, enrolled_by, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)', id, `fe-${id}`, JSON.stringify(labels), `hash-${id}`, lastSeenAt, 'cli', lastSeenAt);

describe('picbot doctor (SQLite)', () => {
  it('a healthy local install: every check ok or skipped with its reason, a warning for no runner; exit 0', async () => {
    const r = await doctor();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = checks(r);
    expect(Object.keys(c)).toEqual(['configuration', 'database', 'clock', 'runners', 'bot-framework', 'audit']);
    expect(c.configuration).toMatchObject({ status: 'ok', detail: 'local mode; SQLite' });
    expect(c.database).toMatchObject({ status: 'ok', detail: `sqlite ${dbPath} answers; schema current` });
    expect(c.clock).toMatchObject({ status: 'skip', detail: expect.stringMatching(/one process/) });
    expect(c.runners).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no active runner is enrolled/) });
    expect(c['bot-framework']).toMatchObject({ status: 'skip', detail: expect.stringMatching(/local mode/) });
    expect(c.audit).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^the audit chain is intact: 2 records; tip 2:[0-9a-f]{64}$/) });
  });

  it('--json: the same checks as JSON with ok', async () => {
    const r = await doctor(['--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { ok: boolean; checks: Line[] };
    expect(body.ok).toBe(true);
    expect(body.checks.map((x) => `${x.name}:${x.status}`)).toEqual(['configuration:ok', 'database:ok', 'clock:skip', 'runners:warn', 'bot-framework:skip', 'audit:ok']);
  });

  it('a bad variable: the configuration check names it, the others are skipped; exit 1', async () => {
    const r = await doctor([], { PICBOT_LOG_LEVEL: 'loud' });
    expect(r.code).toBe(1);
    const c = checks(r);
    expect(c.configuration).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^PICBOT_LOG_LEVEL: must be one of/) });
    expect(Object.values(c).filter((x) => x.name !== 'configuration').every((x) => x.status === 'skip')).toBe(true);
  });

  it('no database: the database check says where it looked; exit 1', async () => {
    const r = await doctor(['--db', join(dir, 'nowhere.db')]);
    expect(r.code).toBe(1);
    const c = checks(r);
    expect(c.database).toMatchObject({ status: 'fail', detail: expect.stringContaining(`no picbot database at ${join(dir, 'nowhere.db')}`) });
    expect(c.audit!.status).toBe('skip');
  });

  it('a migration not applied: fail with "run picbot db migrate"', async () => {
    raw("DELETE FROM schema_migrations WHERE id = '0013-intake-cards'");
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(checks(r).database).toMatchObject({ status: 'fail', detail: expect.stringMatching(/1 migration pending \(first 0013-intake-cards\): run picbot db migrate$/) });
  });

  it('a tampered audit row: fail naming the row', async () => {
    const db = new Database(dbPath);
    db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'aad:mallory' WHERE seq = 2");
    db.close();
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(checks(r).audit).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the audit chain is broken at row 2: /) });
  });

  it('runners: ok when every label has a runner seen lately, warn listing the labels whose runners are quiet', async () => {
    const now = Date.now();
    addRunner('run_0000000000000001', ['pool-eu'], new Date(now - 60_000).toISOString());
    expect(checks(await doctor()).runners).toMatchObject({ status: 'ok', detail: '1 active runner seen in the last 10 minutes (labels: pool-eu)' });
    const old = new Date(now - 3 * 3600_000).toISOString();
    addRunner('run_0000000000000002', ['pool-us'], old);
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(checks(r).runners).toMatchObject({ status: 'warn', detail: `no runner seen in the last 10 minutes for pool-us (last seen ${old})` });
  });

  describe('Bot Framework credentials (production mode, a loopback token endpoint)', () => {
    let fake: Server;
    let answer: { status: number; body: unknown };
    let asked: { path: string; form: URLSearchParams }[];

    beforeEach(async () => {
      asked = [];
      fake = createServer((req: IncomingMessage, res) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
          asked.push({ path: req.url ?? '', form: new URLSearchParams(text) });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((ok) => fake.listen(0, '127.0.0.1', ok));
    });
    afterEach(async () => {
      await new Promise<void>((ok) => fake.close(() => ok()));
    });

    const production = () => ({
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: SECRET,
      MicrosoftAppTenantId: TENANT,
      MicrosoftAppType: 'SingleTenant',
      PICBOT_ADMINS: PERSON,
      PICBOT_APPROVERS: PERSON,
      PICBOT_DOCTOR_TOKEN_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
    });

    it('a token: ok, asked with client credentials for the Bot Framework scope in the app\'s tenant', async () => {
      answer = { status: 200, body: { token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ.fake.token' } };
      const r = await doctor([], production());
      expect(r.code).toBe(0);
      expect(checks(r)['bot-framework']).toMatchObject({ status: 'ok', detail: expect.stringContaining(`app ${APP_ID} (SingleTenant) got a Bot Framework token`) });
      expect(asked).toHaveLength(1);
      expect(asked[0]!.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
      expect(Object.fromEntries(asked[0]!.form)).toEqual({ grant_type: 'client_credentials', client_id: APP_ID, client_secret: SECRET, scope: 'https://api.botframework.com/.default' });
    });

    it('refused (401 invalid_client): fail with Entra\'s reason and never the secret; exit 1', async () => {
      answer = { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1' } };
      const r = await doctor([], production());
      expect(r.code).toBe(1);
      expect(checks(r)['bot-framework']).toMatchObject({ status: 'fail', detail: expect.stringContaining('got no token (HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided.)') });
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    });

    it('a token endpoint that does not answer: fail saying it cannot be reached', async () => {
      const env = { ...production(), PICBOT_DOCTOR_TOKEN_URL: 'http://127.0.0.1:1' };
      const r = await doctor([], env);
      expect(r.code).toBe(1);
      expect(checks(r)['bot-framework']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the token endpoint http:\/\/127\.0\.0\.1:1 cannot be reached: /) });
    });
  });
});
