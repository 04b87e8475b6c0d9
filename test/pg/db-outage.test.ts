/**
 * The database lost while the server runs (docs/deploy.md, When the database is away): a server
 * process reaches PostgreSQL through a loopback proxy the test cuts and restores.
 *
 * - Cut: /readyz is 503 naming the database, a chat message and a vote click are answered "picbot
 *   cannot reach its database right now", and the vote leaves neither a vote nor an audit row.
 * - Restored: /readyz is 200 again by itself, the same message and the same click work, the vote
 *   counts once, and the audit chain verifies.
 * - A start on an unreachable or bad PICBOT_DATABASE_URL exits 1 with one line on stderr that
 *   names the variable and the reason, never the password.
 *
 * Nothing here asserts on time: waits are on conditions, with generous limits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERBS } from '../../src/bot/verbs';
import { openPostgres } from '../../src/bot/stores/pg-connect';
import { cardOf } from '../fakes/connector';
import { freshSchema } from '../engines';
import { allText } from '../integration/card-query';
import { runNode } from '../integration/cli-process';
import { freePort } from '../integration/demo-process';
import { requestApproval, vote } from '../integration/plan-helpers';
import { killRunners, spawnRunner } from '../integration/runner-helpers';
import { CLI, seedUserRequestIn, serverProcess, until, type ServerProcess } from '../integration/server-process';
import { writeState } from '../integration/sim-helpers';
import { ALEX, channel, DANA } from '../integration/teams-activities';
import { pgRows, sharedKeys, tcpProxy, verifyAuditPg, type TcpProxy } from './pg-helpers';

jest.setTimeout(240_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';
const AWAY = /picbot cannot reach its database right now/;

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
let server: ServerProcess | null = null;
let proxy: TcpProxy | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-pg-outage-'));
  schema = await freshSchema();
  const sql = await openPostgres(schema.url);
  await seedUserRequestIn(sql, REQ, DANA);
  await sql.close();
});
afterEach(async () => {
  await killRunners();
  await server?.close();
  server = null;
  await proxy?.close();
  proxy = null;
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The schema's URL, through `port` instead of PostgreSQL's own. */
function through(port: number): string {
  const u = new URL(schema.url);
  u.port = String(port);
  return u.toString();
}

async function readyz(s: ServerProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const votes = (planId: string) => pgRows<{ voter_id: string }>(schema.url, 'SELECT voter_id FROM plan_votes WHERE plan_id = $1', [planId]);
const voteAudits = (planId: string) => pgRows<{ seq: number }>(schema.url, "SELECT seq FROM audit_log WHERE subject_id = $1 AND action = 'plan.vote'", [planId]);

describe('the database lost while the server runs (PostgreSQL through a proxy)', () => {
  it('cut: 503, chat answers that the database is away, a vote writes nothing; restored: ready again, the vote counts once, the audit verifies', async () => {
    const { auditKey, env } = sharedKeys(dir);
    proxy = await tcpProxy(5432);
    const databaseUrl = through(proxy.port);
    server = await serverProcess({
      dir, port: await freePort(), databaseUrl,
      // Quorum 2 with one approver: the vote is stored and the plan stays up for approval.
      env: { ...env, PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id, PICBOT_APPROVAL_QUORUM: '2' },
    });
    await server.start();
    const s = server;
    const ready = await readyz(s);
    expect(ready).toEqual({ status: 200, body: { status: 'ready', database: { engine: 'postgres', migrations: 'current' } } });

    // Not s.runnerToken (spawnSync): it would block this process, and the proxy with it.
    const token = await runNode(CLI, ['runner-token', '--labels', 'pool-eu'], { cwd: dir, env: { HOME: dir, ...env, PICBOT_DATABASE_URL: schema.url } });
    expect(token.code).toBe(0);
    const runner = spawnRunner(['--server', s.url, '--enroll', token.stdout.trim(), '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', writeState(dir, 'lync2013'), '--config', join(dir, 'runner.json'), '--name', 'fe01']);
    await runner.waitForLog(/waiting for jobs/);
    await s.say('help', { user: ALEX, conversation: APPROVALS });
    await s.say('help', { user: DANA });
    expect((await s.click(VERBS.requestDiscover, { requestId: REQ }, { user: DANA })).status).toBe(200);
    await until(async () => (await pgRows<{ id: string }>(schema.url, "SELECT id FROM jobs WHERE kind = 'discover' AND status = 'succeeded'")).length > 0, 'the discovery to succeed');
    const posted = await requestApproval(s, REQ, DANA, APPROVALS);
    const [plan] = await pgRows<{ id: string }>(schema.url, 'SELECT id FROM plans');

    // ── the database goes away ────────────────────────────────────────────────────────────
    proxy.cut();
    const down = await readyz(s);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: { code: 'store_failed', message: expect.stringMatching(/^the database postgres:\/\/.*127\.0\.0\.1:\d+.* cannot be reached$/) }, database: { engine: 'postgres' } });

    const said = await s.say('help', { user: DANA });
    expect(said.status).toBe(200);
    const reply = said.calls.find((c) => c.kind === 'reply');
    expect(allText(cardOf(reply!))).toMatch(AWAY);
    expect(allText(cardOf(reply!))).not.toMatch(/postgres:|Error|at /);

    const clicked = await vote(s, posted, ALEX, 'Approve');
    expect(clicked.status).toBe(200);
    expect(allText(clicked.card)).toMatch(AWAY);
    expect(await votes(plan!.id)).toEqual([]);
    expect(await voteAudits(plan!.id)).toEqual([]);

    // ── it comes back ────────────────────────────────────────────────────────────────────
    proxy.restore();
    await until(async () => (await readyz(s)).status === 200, '/readyz to be 200 again');
    const again = await s.say('help', { user: DANA });
    expect(allText(cardOf(again.calls.find((c) => c.kind === 'reply')!))).not.toMatch(AWAY);

    const counted = await vote(s, posted, ALEX, 'Approve');
    expect(allText(counted.card)).not.toMatch(AWAY);
    expect(await votes(plan!.id)).toEqual([{ voter_id: ALEX.aadObjectId.toLowerCase() }]);
    expect(await voteAudits(plan!.id)).toHaveLength(1);
    // The same click once more: still one vote.
    await vote(s, posted, ALEX, 'Approve');
    expect(await votes(plan!.id)).toHaveLength(1);
    expect(await voteAudits(plan!.id)).toHaveLength(1);
    expect(await verifyAuditPg(schema.url, auditKey)).toMatchObject({ ok: true });
    expect(s.logs()).toMatch(/the database answers again: ready/);
    // The LISTEN connection (wake-ups across instances) reconnects by itself too.
    await until(() => s.logs().includes('the LISTEN connection to PostgreSQL is back'), 'the LISTEN connection to come back');
  });
});

describe('a start without its database', () => {
  const start = (databaseUrl: string, keys: Record<string, string>) =>
    runNode(CLI, ['serve'], { cwd: dir, env: { HOME: dir, HOST: '127.0.0.1', PORT: '0', PICBOT_DATABASE_URL: databaseUrl, ...keys } });

  it('an unreachable PICBOT_DATABASE_URL: exit 1, one line naming the variable and the reason, never the password', async () => {
    const { env } = sharedKeys(dir);
    const r = await start('postgres://picbot:s3cret-pw@127.0.0.1:1/db', env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^picbot: could not start: PICBOT_DATABASE_URL: cannot reach postgres:\/\/picbot:\*\*\*@127\.0\.0\.1:1\/db: .*ECONNREFUSED/);
    expect(r.stderr).not.toContain('s3cret-pw');
  });

  it('a PICBOT_DATABASE_URL that is not a postgres:// URL: exit 1, one line naming the variable, never the value', async () => {
    const { env } = sharedKeys(dir);
    const r = await start('mysql://picbot:s3cret-pw@127.0.0.1/db', env);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^picbot: configuration error: PICBOT_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(r.stderr).not.toContain('s3cret-pw');
  });

  it('a database server that drops the connection (a proxy cut before the start): exit 1, one line', async () => {
    const { env } = sharedKeys(dir);
    proxy = await tcpProxy(5432);
    proxy.cut();
    const u = new URL(schema.url);
    u.port = String(proxy.port);
    u.username = 'picbot';
    u.password = 's3cret-pw';
    const r = await start(u.toString(), env);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^picbot: could not start: PICBOT_DATABASE_URL: cannot reach postgres:\/\/picbot:\*\*\*@127\.0\.0\.1:\d+\/test/);
    expect(r.stderr).not.toContain('s3cret-pw');
  });
});
