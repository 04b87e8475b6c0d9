/**
 * The real `picbot` process (bin/picbot.js → dist/bot/cli.js, built by `npm test`'s pretest):
 * audit verify/export against a real SQLite file, and serve refusing a bad configuration with
 * one line naming the variable. Each child runs in a temp dir with a minimal environment, so a
 * developer's .env or MicrosoftAppId cannot leak in.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import type { Clock } from '../../src/shared/clock';
import { PICBOT_BIN, runNode, runPicbot as picbot } from './cli-process';

const AUDIT_KEY = Buffer.alloc(32, 7);
let dir: string;
let dbPath: string;
const ids = { request: 'req_0000000000000001', plan: 'plan_0000000000000001' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-cli-'));
  dbPath = join(dir, 'picbot.db');
  let t = Date.parse('2026-03-01T10:00:00.000Z');
  const clock: Clock = { now: () => new Date((t += 60_000)) };
  const db = sqliteSql(openDatabase(dbPath), dbPath);
  // The audit key lives in a file beside the database (the default PICBOT_AUDIT_KEY_FILE).
  writeFileSync(join(dir, 'audit.key'), `${AUDIT_KEY.toString('hex')}\n`, { mode: 0o600 });
  const audit = createAuditLog(db, clock, AUDIT_KEY);
  await audit.append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: ids.request, detail: { n: 1 } });
  await audit.append({ action: 'plan.computed', actor: 'system', subjectId: ids.plan, detail: { n: 2 } });
  await audit.append({ action: 'plan.vote', actor: 'aad:alex', subjectId: ids.plan, detail: { n: 3 } });
  await db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('picbot audit', () => {
  it('verify: exit 0 and the record count on an intact chain', async () => {
    const r = await picbot(['audit', 'verify', '--db', dbPath], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit chain intact: 3 records; tip 3:[0-9a-f]{64}\n$/) });
  });

  it('verify: finds the database through PICBOT_DB', async () => {
    const r = await picbot(['audit', 'verify', '--json'], { cwd: dir, env: { PICBOT_DB: dbPath } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, count: 3, tip: { seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  it('export: JSON Lines on stdout, oldest first', async () => {
    const r = await picbot(['audit', 'export', '--db', dbPath], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines[1]!.prevHash).toBe(lines[0]!.hash);
    expect(r.stderr).toBe('');
  });

  it.each([
    { args: ['--id', ids.plan], want: [2, 3] },
    { args: ['--since', '2026-03-01T10:02:00Z'], want: [2, 3] },
    { args: ['--since', '2026-03-01T10:02:30Z', '--id', ids.plan], want: [3] },
    { args: ['--since', '2026-03-01'], want: [1, 2, 3] },
    { args: ['--since', '2026-03-02'], want: [] },
    { args: ['--since', '2026-03-01T11:02+01:00'], want: [2, 3] },
    { args: ['--since', '2026-03-01T10:02:59.5Z'], want: [3] },
    { args: ['--id', 'job_0000000000000009'], want: [] },
  ])('export $args', async ({ args, want }) => {
    const r = await picbot(['audit', 'export', '--db', dbPath, ...args], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(want);
  });

  it.each([
    { name: 'a bad --since', args: ['audit', 'export', '--since', 'yesterday'], want: /--since yesterday is not an ISO time/ },
    { name: 'February 30th', args: ['audit', 'export', '--since', '2026-02-30'], want: /--since 2026-02-30 is not a calendar date/ },
    { name: 'month 13', args: ['audit', 'export', '--since', '2026-13-01'], want: /--since 2026-13-01 is not a calendar date/ },
    { name: 'February 29th of a common year, with a time', args: ['audit', 'export', '--since', '2026-02-29T10:00:00Z'], want: /is not a calendar date/ },
    { name: 'hour 24', args: ['audit', 'export', '--since', '2026-03-01T24:00:00Z'], want: /is not a time of day/ },
    { name: 'a time without zone', args: ['audit', 'export', '--since', '2026-03-01T10:00:00'], want: /has no time zone/ },
    { name: 'a loose date', args: ['audit', 'export', '--since', '2026-3-1'], want: /is not an ISO time/ },
    { name: 'a bad --id', args: ['audit', 'export', '--id', 'plan-7'], want: /not a picbot id/ },
    { name: 'an unknown flag', args: ['audit', 'verify', '--fast'], want: /Unknown option '--fast'/ },
    { name: 'no subcommand', args: ['audit'], want: /missing subcommand/ },
    { name: 'an unknown subcommand', args: ['audit', 'repair'], want: /unknown subcommand repair/ },
    { name: 'a missing database', args: ['audit', 'verify', '--db', '/nonexistent/picbot.db'], want: /no picbot database at \/nonexistent\/picbot\.db/ },
  ])('exit 1 on $name, message on stderr', async ({ args, want }) => {
    const withDb = args.includes('--db') ? args : [...args, '--db', dbPath];
    const r = await picbot(withDb, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(want);
    expect(r.stdout).toBe('');
  });

  it('verify: exit 1 and the edited row after tampering', async () => {
    const copy = join(dir, 'tampered.db');
    const src = new Database(dbPath);
    await src.backup(copy);
    src.close();
    const raw = new Database(copy);
    raw.exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'aad:mallory' WHERE seq = 2`);
    raw.close();
    const r = await picbot(['audit', 'verify', '--db', copy], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit chain broken at row 2: /);
  });

  it('verify: exit 1 and the first missing row after the last rows were removed', async () => {
    const copy = join(dir, 'truncated.db');
    const src = new Database(dbPath);
    await src.backup(copy);
    src.close();
    const raw = new Database(copy);
    raw.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 2');
    raw.close();
    const r = await picbot(['audit', 'verify', '--db', copy], { cwd: dir });
    expect(r).toMatchObject({ code: 1, stdout: 'audit chain broken at row 2: the last 2 rows are missing: the chain ends at row 1, it should end at row 3\n' });
  });
});

describe('picbot audit: the key, checkpoints and read-only', () => {
  /** A copy of the database (and its key) in a folder of its own. */
  async function copyOf(name: string): Promise<{ folder: string; db: string }> {
    const folder = mkdtempSync(join(dir, `${name}-`));
    const copy = join(folder, 'picbot.db');
    const src = new Database(dbPath);
    await src.backup(copy);
    src.close();
    copyFileSync(join(dir, 'audit.key'), join(folder, 'audit.key'));
    return { folder, db: copy };
  }

  it('verify needs the audit key: a missing key file fails naming PICBOT_AUDIT_KEY_FILE (export does not need it)', async () => {
    const { folder, db } = await copyOf('nokey');
    rmSync(join(folder, 'audit.key'));
    const r = await picbot(['audit', 'verify', '--db', db], { cwd: folder });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PICBOT_AUDIT_KEY_FILE: the key file .*audit\.key.* does not exist/);
    // Export only reads the records: it needs no key.
    const exported = await picbot(['audit', 'export', '--db', db], { cwd: folder });
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('verify with another key reports the first row as not matching its keyed hash', async () => {
    const other = join(dir, 'other.key');
    writeFileSync(other, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const r = await picbot(['audit', 'verify', '--db', dbPath], { cwd: dir, env: { PICBOT_AUDIT_KEY_FILE: other } });
    expect(r).toMatchObject({ code: 1, stdout: expect.stringMatching(/^audit chain broken at row 1: content does not match its keyed hash/) });
  });

  it('verify --checkpoint SEQ:HASH: exit 0 on a matching tip, 1 after the tail was removed with the tip moved back', async () => {
    const ok = await picbot(['audit', 'verify', '--db', dbPath, '--json'], { cwd: dir });
    const tip = (JSON.parse(ok.stdout) as { tip: { seq: number; hash: string } }).tip;
    expect((await picbot(['audit', 'verify', '--db', dbPath, '--checkpoint', `${tip.seq}:${tip.hash}`], { cwd: dir })).stdout).toMatch(/matches checkpoint 3/);
    const { folder, db } = await copyOf('cut');
    const raw = new Database(db);
    const row2 = raw.prepare('SELECT hash FROM audit_log WHERE seq = 2').get() as { hash: string };
    raw.exec(`DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_tip_forward_only; DELETE FROM audit_log WHERE seq = 3; UPDATE audit_tip SET seq = 2, hash = '${row2.hash}'`);
    raw.close();
    expect((await picbot(['audit', 'verify', '--db', db], { cwd: folder })).code).toBe(0);
    const r = await picbot(['audit', 'verify', '--db', db, '--checkpoint', `${tip.seq}:${tip.hash}`], { cwd: folder });
    expect(r).toMatchObject({ code: 1, stdout: expect.stringMatching(/^audit chain broken at row 3: the chain ends at row 2, before the checkpoint's row 3/) });
  });

  it('verify --checkpoint refuses what is not SEQ:HASH', async () => {
    const r = await picbot(['audit', 'verify', '--db', dbPath, '--checkpoint', '3:abc'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--checkpoint 3:abc is not SEQ:HASH/);
  });

  it('verify fails on an empty chain in a database that holds requests', async () => {
    const { folder, db } = await copyOf('wiped');
    const raw = new Database(db);
    raw.exec(`DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_tip_no_delete; DELETE FROM audit_log; DELETE FROM audit_tip;
      INSERT INTO requests (id, owner_id, owner_name, target_label, body, status, created_at, updated_at) VALUES ('req_0000000000000001', 'aad:dana', 'Dana', 'pool-eu', '{}', 'submitted', 'x', 'x')`);
    raw.close();
    const r = await picbot(['audit', 'verify', '--db', db], { cwd: folder });
    expect(r).toMatchObject({ code: 1, stdout: expect.stringMatching(/chain is empty but the database holds requests/) });
  });

  it('verify and export open the database read-only: they work on a 0444 copy and change nothing', async () => {
    const { folder, db } = await copyOf('readonly');
    // The copy is a single file (backup() leaves no -wal beside it), 0444 like an archived copy.
    chmodSync(db, 0o444);
    const before = { bytes: readFileSync(db), mode: statSync(db).mode & 0o777, files: readdirSync(folder).sort() };
    const verify = await picbot(['audit', 'verify', '--db', db], { cwd: folder });
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit chain intact: 3 records/) });
    const exported = await picbot(['audit', 'export', '--db', db], { cwd: folder });
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(3);
    expect(readFileSync(db).equals(before.bytes)).toBe(true);
    expect(statSync(db).mode & 0o777).toBe(before.mode);
    expect(readdirSync(folder).sort()).toEqual(before.files);
  });
});

describe('picbot serve', () => {
  it('starts in local mode on loopback, answers health checks, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(process.execPath, [PICBOT_BIN, 'serve'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', PICBOT_DB: join(dir, 'serve-live.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.on('close', done));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((done, fail) => {
      let buffered = '';
      child.stderr.on('data', (d: Buffer) => {
        buffered += d.toString();
        const line = buffered.split('\n').find((l) => l.includes('"picbot listening"'));
        if (line) done((JSON.parse(line) as { url: string }).url);
      });
      child.on('close', (code) => fail(new Error(`serve exited ${code} before listening: ${buffered}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toBe('');
  });

  it('node dist/bot/main.js without "serve" prints its usage and exits 1', async () => {
    const r = await runNode(resolve(__dirname, '../../dist/bot/main.js'), [], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Usage: node dist\/bot\/main\.js serve/);
  });
});

describe('picbot (dispatcher, help, serve refusals)', () => {
  it.each([
    { args: ['--help'], want: /Usage: picbot <command>/ },
    { args: ['audit', '--help'], want: /Usage: picbot audit verify/ },
    { args: ['serve', '--help'], want: /Usage: picbot serve/ },
  ])('$args → usage on stdout, exit 0', async ({ args, want }) => {
    const r = await picbot(args, { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(want);
  });

  it('an unknown command → exit 1', async () => {
    const r = await picbot(['frobnicate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command frobnicate/);
  });

  it.each<{ env: Record<string, string>; variable: string }>([
    { env: { PORT: 'abc' }, variable: 'PORT' },
    { env: { HOST: '0.0.0.0' }, variable: 'HOST' },
    { env: { MicrosoftAppId: '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10', MicrosoftAppType: 'MultiTenant', MicrosoftAppPassword: 'top-secret', MicrosoftAppTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }, variable: 'PICBOT_ADMINS' },
  ])('serve refuses $variable with one line and exit 1', async ({ env, variable }) => {
    const r = await picbot(['serve'], { cwd: dir, env: { PICBOT_DB: join(dir, 'serve.db'), ...env } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^picbot: configuration error: ${variable}: `));
    expect(r.stderr).not.toContain('top-secret');
  });
});
