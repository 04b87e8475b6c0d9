/**
 * `picbot db migrate|status|copy` as a real process (bin/picbot.js → dist/, so `npm run build`
 * first) on a real PostgreSQL, a fresh schema per test (test/engines.ts): migrate twice, status
 * before and after, and the move of a SQLite install that the stores filled (requests, a plan and
 * its votes, runners, jobs with events, a key rotation, the audit chain) into PostgreSQL: every
 * row equal, the chain verifies there with `picbot audit verify`, and the stores keep going on it.
 * PostgreSQL down: the test fails (test/engines.ts says where it looked), it never skips.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopeHash, PROTOCOL_VERSION, type JobEnvelope } from '../../src/contracts/runner-api';
import { generateSigningKeys } from '../../src/contracts/signing';
import { jobAudit } from '../../src/bot/runner-gateway/job-queue';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openDatabase } from '../../src/bot/stores/db';
import { schemaTables } from '../../src/bot/stores/db-copy';
import { createJobStore } from '../../src/bot/stores/jobs';
import { createKeyRotationStore } from '../../src/bot/stores/key-rotations';
import { MIGRATIONS } from '../../src/bot/stores/migrations';
import { PG_MIGRATIONS } from '../../src/bot/stores/migrations-pg';
import { openPostgres } from '../../src/bot/stores/pg-connect';
import { createPlanStore, createVoteStore } from '../../src/bot/stores/plans';
import { createRequestStore } from '../../src/bot/stores/requests';
import { createRunnerStore } from '../../src/bot/stores/runners';
import { sqliteSql, type Sql } from '../../src/bot/stores/sql';
import { discoveryScope } from '../../src/core/discovery-scope';
import { plan } from '../../src/core/planner';
import { freshSchema } from '../engines';
import { fakeClock } from '../fakes/clock';
import { freshState, requestFixture } from '../fixtures/load';
import { runPicbot, type Ran } from '../integration/cli-process';
import { pgRows, verifyAuditPg } from './pg-helpers';

/** The PostgreSQL migrations, and the schema version both engines end at (the last id). */
const PG_IDS = PG_MIGRATIONS.map((m) => m.id);
const LATEST = MIGRATIONS.at(-1)!.id;

jest.setTimeout(120_000);

const PASSWORD = 'pw-s3cret-9f2c';
const AUDIT_KEY = Buffer.alloc(32, 11);

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-db-cli-'));
  schema = await freshSchema();
});
afterEach(async () => {
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The schema's URL with a password in it (trust auth ignores it), to check it is never shown. */
const withPassword = (url: string) => {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
};
const picbot = (args: string[], env: Record<string, string> = {}) => runPicbot(args, { cwd: dir, env });
const noPassword = (r: Ran) => expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);

describe('picbot db migrate and status on PostgreSQL', () => {
  it('status says pending (exit 1), migrate applies, a second migrate applies nothing, then status is up to date (exit 0)', async () => {
    const env = { PICBOT_DATABASE_URL: withPassword(schema.url) };
    const before = await picbot(['db', 'status', '--json'], env);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout)).toMatchObject({ engine: 'postgres', applied: [], pending: PG_IDS, upToDate: false, rows: { requests: null } });

    const first = await picbot(['db', 'migrate', '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ engine: 'postgres', where: expect.stringContaining('postgres://postgres:***@127.0.0.1'), applied: PG_IDS, schemaVersion: LATEST });
    const second = await picbot(['db', 'migrate'], env);
    expect(second).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`is up to date \\(schema ${LATEST}\\): nothing to apply\n$`)) });

    const after = await picbot(['db', 'status'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^engine +postgres$/m);
    expect(after.stdout).toMatch(new RegExp(`^schema +up to date \\(${LATEST}\\)$`, 'm'));
    expect(after.stdout).toMatch(/^pending +\(none\)$/m);
    expect(after.stdout).toMatch(/^audit_log +0$/m);
    for (const r of [before, first, second, after]) noPassword(r);
    expect(await pgRows(schema.url, 'SELECT id FROM schema_migrations ORDER BY id')).toEqual(PG_IDS.map((id) => ({ id })));
  });

  it('an unreachable database: exit 1, one line naming PICBOT_DATABASE_URL, no password', async () => {
    for (const sub of ['status', 'migrate']) {
      const r = await picbot(['db', sub], { PICBOT_DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:1/test` });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^picbot db: PICBOT_DATABASE_URL: cannot reach postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: .+\n$/);
      expect(r.stdout).toBe('');
      noPassword(r);
    }
  });
});

describe('picbot db on SQLite', () => {
  it('status refuses a missing file, migrate creates it, status is then up to date', async () => {
    const path = join(dir, 'data', 'picbot.db');
    const missing = await picbot(['db', 'status']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining(`no picbot database at ${path}: run this command in the picbot server's folder`) });
    const migrated = await picbot(['db', 'migrate', '--json']);
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({ engine: 'sqlite', where: path, schemaVersion: LATEST, applied: expect.arrayContaining(['0001-audit', LATEST]) });
    expect(JSON.parse((await picbot(['db', 'migrate', '--json'])).stdout)).toMatchObject({ applied: [] });
    const status = await picbot(['db', 'status', '--json', '--db', path]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ engine: 'sqlite', upToDate: true, pending: [], rows: { requests: 0, jobs: {}, audit_log: 0 }, auditTip: null });
  });
});

// ── copy ─────────────────────────────────────────────────────────────────────────────────

/** A SQLite install filled through the stores, its audit key beside it (the default), and a signing key file. */
async function seededInstall(): Promise<{ path: string; env: Record<string, string> }> {
  const path = join(dir, 'old', 'picbot.db');
  const sql = sqliteSql(openDatabase(path), path);
  writeFileSync(join(dir, 'old', 'audit.key'), `${AUDIT_KEY.toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'old', 'signing.key'), generateSigningKeys().privateKeyPem, { mode: 0o600 });
  try {
    await fill(sql);
  } finally {
    await sql.close();
  }
  return { path, env: { PICBOT_AUDIT_KEY_FILE: join(dir, 'old', 'audit.key'), PICBOT_SIGNING_KEY_FILE: join(dir, 'old', 'signing.key') } };
}

const clock = fakeClock('2026-12-01T10:00:00.000Z');
const tick = () => {
  clock.set(new Date(clock.now().getTime() + 1000).toISOString());
  return clock.now().toISOString();
};

function envelope(jobId: string): JobEnvelope {
  return {
    protocolVersion: PROTOCOL_VERSION, jobId, kind: 'apply', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: ['Global'] },
    steps: [{ id: 's1', title: 'step 1', op: 'accessEdge.set', params: { allowFederatedUsers: true }, rollback: [{ op: 'accessEdge.set', params: { allowFederatedUsers: false } }] }],
    expectedFingerprint: 'a'.repeat(64), planHash: 'b'.repeat(64), approvals: [], issuedAt: clock.now().toISOString(),
  };
}

/** What a small install holds after a few days: requests, a voted plan, two runners, jobs with events. */
async function fill(sql: Sql): Promise<void> {
  const audit = createAuditLog(sql, clock, AUDIT_KEY);
  const request = requestFixture('global');
  const requests = createRequestStore(sql);
  for (const n of [1, 2]) {
    await requests.save({ id: `req_000000000000000${n}`, ownerId: 'dana', ownerName: 'Dana', request, status: 'submitted', submittedOn: tick(), activeOn: null, createdAt: tick(), updatedAt: tick() });
  }
  await audit.append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: 'req_0000000000000001', detail: { n: 1 } });
  const plans = createPlanStore(sql, tick, audit.inTransaction);
  const computed = plan(request, freshState('lync2013'), 'lync2013');
  await plans.create({
    id: 'plan_0000000000000001', kind: 'apply', requestId: 'req_0000000000000001', revision: 1, targetLabel: request.target.label, request,
    plan: computed, discovery: discoveryScope(request), requesterId: 'dana', requesterName: 'Dana', requestedIn: 'conv-1', status: 'pending-approval',
    createdAt: tick(), updatedAt: tick(), expiresAt: '2026-12-04T00:00:00.000Z', remindedAt: null, card: null, jobId: null, rollbackOf: null, cardShows: null, follows: null,
  });
  const votes = createVoteStore(sql, audit.inTransaction);
  for (const voter of ['alex', 'sam']) await votes.add('plan_0000000000000001', { voterId: voter, voterName: voter, planHash: 'h1', decision: 'approve', reason: null, at: tick() });

  const runners = createRunnerStore(sql, clock);
  const enrolled: string[] = [];
  for (const name of ['fe01', 'fe02']) {
    const { token } = await runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const r = await runners.enroll({ enrollmentToken: token, name, labels: ['pool-eu'] });
    if (!r.ok) throw new Error(r.reason);
    enrolled.push(r.runner.id);
  }
  const jobs = createJobStore(sql, clock, audit.inTransaction, jobAudit);
  const envelopes = ['job_0000000000000001', 'job_0000000000000002'].map(envelope);
  for (const env of envelopes) {
    await jobs.insert({ envelope: env, signature: 'sig', context: { purpose: 'plan-apply', requestId: 'req_0000000000000001', planId: null, card: null }, createdBy: 'dana', pickupDeadline: null });
  }
  const lease = (await jobs.lease({ id: enrolled[0]!, labels: ['pool-eu'] }, 60_000))!;
  const hash = envelopeHash(envelopes.find((e) => e.jobId === lease.jobId)!);
  const at = tick();
  const events = [{ type: 'step-started' as const, stepId: 's1', at }, { type: 'step-finished' as const, stepId: 's1', at, status: 'done' as const, durationMs: 5 }];
  const appended = await jobs.appendEvents(lease.jobId, enrolled[0]!, lease.leaseId, 0, events, hash);
  if (!appended.ok) throw new Error(`events refused: ${appended.code}`);
  await jobs.finish(lease.jobId, enrolled[0]!, lease.leaseId, { status: 'failed', observed: null, after: null, replication: null, error: { code: 'x', message: 'x' } }, hash);
  await createKeyRotationStore(sql).add({ previousKey: 'old', nextKey: 'new', at: tick(), signature: 'sig' });
  await sql.run('INSERT INTO conversation_refs (conversation_id, reference, updated_at) VALUES (?, ?, ?)', ['conv-1', '{"conversation":{"id":"conv-1"}}', tick()]);
}

/** Every row of every table, values as text, sorted: the same columns read from both engines. */
async function allRows(source: Database.Database, url: string): Promise<{ source: Record<string, string[]>; target: Record<string, string[]> }> {
  const out = { source: {} as Record<string, string[]>, target: {} as Record<string, string[]> };
  const asText = (row: Record<string, unknown>) => JSON.stringify(Object.values(row).map((v) => (v === null ? null : String(v))));
  for (const table of schemaTables()) {
    const columns = (await pgRows<{ column_name: string }>(url, 'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position', [table])).map((c) => c.column_name);
    const list = columns.map((c) => `"${c}"`).join(', ');
    out.source[table] = (source.prepare(`SELECT ${list} FROM ${table}`).all() as Record<string, unknown>[]).map(asText).sort();
    out.target[table] = (await pgRows<Record<string, unknown>>(url, `SELECT ${list} FROM ${table}`)).map(asText).sort();
  }
  return out;
}

describe('picbot db copy: a SQLite install into PostgreSQL', () => {
  it('copies every row, the chain verifies on the target, the stores carry on there, and a second copy is refused', async () => {
    const { path, env } = await seededInstall();
    const to = withPassword(schema.url);
    const r = await picbot(['db', 'copy', '--from', `sqlite:${path}`, '--to', to, '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    noPassword(r);
    const summary = JSON.parse(r.stdout) as { from: string; to: string; tables: Record<string, number>; audit: { count: number; tip: { seq: number } } };
    expect(summary).toMatchObject({ from: path, to: expect.stringContaining(':***@'), tables: { requests: 2, plans: 1, plan_votes: 2, runners: 2, jobs: 2, job_events: 2, audit_tip: 1, audit_meta: 1 } });
    expect(summary.audit.count).toBeGreaterThanOrEqual(3);
    expect(Object.keys(summary.tables).sort()).toEqual(schemaTables().sort());

    const source = new Database(path, { readonly: true });
    try {
      const rows = await allRows(source, schema.url);
      expect(rows.target).toEqual(rows.source);
      expect(rows.source.audit_log!.length).toBe(summary.audit.count);
    } finally {
      source.close();
    }

    const onTarget = { PICBOT_DATABASE_URL: to, ...env };
    const verify = await picbot(['audit', 'verify', '--json'], onTarget);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, count: summary.audit.count });
    const status = await picbot(['db', 'status', '--json'], onTarget);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ upToDate: true, rows: { requests: 2, plans: 1, jobs: { failed: 1, queued: 1 }, runners: 2, audit_log: summary.audit.count }, auditTip: { seq: summary.audit.tip.seq } });

    await keepsGoing(schema.url, summary.audit.count);

    const again = await picbot(['db', 'copy', '--from', `sqlite:${path}`, '--to', to], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^picbot db: the target already holds picbot data \(audit_log: \d+, .*requests: 2.*\): copy only into an empty database\n$/);
    noPassword(again);
    expect((await verifyAuditPg(schema.url, AUDIT_KEY)).ok).toBe(true);
  });

  it('refuses a source whose audit chain is not keyed yet, and copies nothing', async () => {
    const { path, env } = await seededInstall();
    const legacy = join(dir, 'old', 'legacy.db');
    copyFileSync(path, legacy);
    const raw = new Database(legacy);
    raw.exec("UPDATE audit_meta SET scheme = 'sha256'");
    raw.close();
    const r = await picbot(['db', 'copy', '--from', `sqlite:${legacy}`, '--to', schema.url], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not keyed yet: start the picbot server on it once/);
    expect(await pgRows(schema.url, "SELECT to_regclass('audit_log')::text AS t")).toEqual([{ t: null }]);
  });

  it.each([
    { name: 'an unreachable --to', to: `postgres://postgres:${PASSWORD}@127.0.0.1:1/test`, want: /^picbot db: --to: cannot reach postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: / },
    { name: 'a --to that is not a PostgreSQL URL', to: `mysql://root:${PASSWORD}@127.0.0.1/picbot`, want: /^picbot db: --to: expected a postgres:\/\/ or postgresql:\/\/ URL\n/ },
  ])('$name: exit 1, the flag named, no password', async ({ to, want }) => {
    const { path, env } = await seededInstall();
    const r = await picbot(['db', 'copy', '--from', `sqlite:${path}`, '--to', to], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(want);
    expect(r.stdout).toBe('');
    noPassword(r);
  });
});

/** The stores on the copied database: the audit chain continues, and new rows get new sequence values. */
async function keepsGoing(url: string, auditCount: number): Promise<void> {
  const sql = await openPostgres(url, { max: 2 });
  try {
    const audit = createAuditLog(sql, clock, AUDIT_KEY);
    expect((await audit.append({ action: 'test.after-copy', actor: 'cli', subjectId: null, detail: {} })).seq).toBe(auditCount + 1);
    const maxRowid = async () => (await sql.get<{ m: number }>('SELECT MAX(rowid) AS m FROM jobs'))!.m;
    const before = await maxRowid();
    const jobs = createJobStore(sql, clock, audit.inTransaction, jobAudit);
    await jobs.insert({ envelope: envelope('job_0000000000000003'), signature: 'sig', context: { purpose: 'plan-apply', requestId: null, planId: null, card: null }, createdBy: 'dana', pickupDeadline: null });
    expect(await maxRowid()).toBe(before + 1);
    await createVoteStore(sql, audit.inTransaction).add('plan_0000000000000001', { voterId: 'kim', voterName: 'kim', planHash: 'h1', decision: 'approve', reason: null, at: tick() });
    await createKeyRotationStore(sql).add({ previousKey: 'new', nextKey: 'newer', at: tick(), signature: 'sig' });
    expect(await sql.all('SELECT seq FROM signing_key_rotations ORDER BY seq')).toEqual([{ seq: 1 }, { seq: 2 }]);
    expect((await sql.all('SELECT seq FROM plan_votes ORDER BY seq')).map((r) => (r as { seq: number }).seq)).toEqual([1, 2, 3]);
    expect(await audit.verify()).toMatchObject({ ok: true });
  } finally {
    await sql.close();
  }
}
