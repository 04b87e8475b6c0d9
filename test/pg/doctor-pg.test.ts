/**
 * `picbot doctor` as a real process on PostgreSQL (PICBOT_DATABASE_URL): the database and its
 * migrations, the clock against the database's, the runners and the audit chain; a database
 * that does not answer fails the database check without showing the password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openPostgres } from '../../src/bot/stores/pg-connect';
import { freshSchema } from '../engines';
import { runPicbot, type Ran } from '../integration/cli-process';
import { pgRows, sharedKeys } from './pg-helpers';

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
let keys: ReturnType<typeof sharedKeys>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-pg-doctor-'));
  schema = await freshSchema();
  keys = sharedKeys(dir);
  const sql = await openPostgres(schema.url);
  try {
    await createAuditLog(sql, { now: () => new Date() }, keys.auditKey).append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: 'req_0000000000000001', detail: {} });
    const seen = new Date().toISOString();
    await sql.run('INSERT INTO runners (id, name, labels, token_hash, enrolled_at, enrolled_by, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)', ['run_0000000000000001', 'fe01', '["pool-eu"]', 'hash-1', seen, 'cli', seen]);
  } finally {
    await sql.close();
  }
});
afterEach(async () => {
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

const doctor = (databaseUrl: string, args: string[] = []) => runPicbot(['doctor', ...args], { cwd: dir, env: { ...keys.env, PICBOT_DATABASE_URL: databaseUrl } });
const statuses = (r: Ran) => Object.fromEntries((JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks.map((c) => [c.name, c]));

describe('picbot doctor (PostgreSQL)', () => {
  it('a healthy database: ok for the database, the clock, the runners and the audit chain; exit 0', async () => {
    const r = await doctor(schema.url, ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = statuses(r);
    expect(c.configuration).toMatchObject({ status: 'ok', detail: 'local mode; PostgreSQL' });
    expect(c.database).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^postgres postgres:\/\/postgres@127\.0\.0\.1:5432\/test.* answers; schema current$/) });
    expect(c.clock).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^the database's clock is \d+ ms (ahead of|behind) this machine's \(round trip \d+ ms\)$/) });
    expect(c.runners).toMatchObject({ status: 'ok', detail: '1 active runner seen in the last 10 minutes (labels: pool-eu)' });
    expect(c['bot-framework']).toMatchObject({ status: 'skip' });
    expect(c.audit).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^the audit chain is intact: 1 record; tip 1:[0-9a-f]{64}$/) });
  });

  it('a database behind: the database check fails with "run picbot db migrate", and nothing is migrated', async () => {
    const [last] = await pgRows<{ id: string }>(schema.url, 'SELECT id FROM schema_migrations ORDER BY id DESC LIMIT 1');
    await pgRows(schema.url, 'DELETE FROM schema_migrations WHERE id = $1', [last!.id]);
    const r = await doctor(schema.url);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^fail +database +postgres .*1 migration pending \\(first ${last!.id}\\): run picbot db migrate$`, 'm'));
    expect(await pgRows(schema.url, 'SELECT id FROM schema_migrations WHERE id = $1', [last!.id])).toEqual([]);
  });

  it('a database that does not answer: the database check fails naming PICBOT_DATABASE_URL, never the password; exit 1', async () => {
    const r = await doctor('postgres://picbot:s3cret-pw@127.0.0.1:1/db', ['--json']);
    expect(r.code).toBe(1);
    const c = statuses(r);
    expect(c.database).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^PICBOT_DATABASE_URL: cannot reach postgres:\/\/picbot:\*\*\*@127\.0\.0\.1:1\/db: /) });
    expect(c.clock!.status).toBe('skip');
    expect(c.audit!.status).toBe('skip');
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
  });
});
