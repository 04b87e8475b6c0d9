/**
 * Two picbot server processes on one PostgreSQL (a fresh schema), real runner, real simulator:
 *
 * - Wake-up across instances: the runner long-polls instance A while the intake (card by card),
 *   the discovery and the approval happen on instance B. A hands it each job after a wake-up (`found: woken` in
 *   its log): a job created on B can only wake A through NOTIFY. The report reaches the chat and
 *   the audit chain, written by both instances, verifies.
 * - Fail-over: the runner talks to a loopback proxy in front of A; A is killed (-9) mid-apply and
 *   the proxy sends the runner to B. The job completes on B with every event recorded once.
 *
 * Nothing here asserts on time: waits are on conditions, with generous limits.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERBS } from '../../src/bot/verbs';
import { openPostgres } from '../../src/bot/stores/pg-connect';
import { cardOf } from '../fakes/connector';
import { freshSchema } from '../engines';
import { allText } from '../integration/card-query';
import { draftIdOf, fillSteps, VALID } from '../integration/intake-flow';
import { freePort } from '../integration/demo-process';
import { requestApproval, vote } from '../integration/plan-helpers';
import { killRunners, spawnRunner } from '../integration/runner-helpers';
import { seedUserRequestIn, serverProcess, until, type ServerProcess } from '../integration/server-process';
import { writeState } from '../integration/sim-helpers';
import { ALEX, channel, DANA } from '../integration/teams-activities';
import { pgRows, sharedKeys, tcpProxy, verifyAuditPg, type TcpProxy } from './pg-helpers';

jest.setTimeout(240_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';

interface JobRow { id: string; kind: string; status: string }
interface EventRow { seq: number; idx: number; event: string }

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
let servers: ServerProcess[] = [];
let proxy: TcpProxy | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-pg2-'));
  schema = await freshSchema();
});
afterEach(async () => {
  await killRunners();
  for (const s of servers) await s.close();
  servers = [];
  await proxy?.close();
  proxy = null;
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function instances(keys: Record<string, string>): Promise<[ServerProcess, ServerProcess]> {
  const env = { ...keys, PICBOT_LEASE_SECONDS: '10', PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id };
  const made: ServerProcess[] = [];
  for (const name of ['a', 'b']) {
    const home = join(dir, name);
    mkdirSync(home, { recursive: true });
    made.push(await serverProcess({ dir: home, port: await freePort(), env, databaseUrl: schema.url }));
  }
  servers = made;
  // Started together: migrations run under the advisory lock, once.
  await Promise.all(made.map((s) => s.start()));
  return [made[0]!, made[1]!];
}

const jobs = (kind: string) => pgRows<JobRow>(schema.url, 'SELECT id, kind, status FROM jobs WHERE kind = $1 ORDER BY created_at', [kind]);
const leasedLine = (s: ServerProcess, jobId: string) =>
  s.logs().split('\n').filter((l) => l.includes('"msg":"job leased"') && l.includes(jobId)).map((l) => JSON.parse(l) as { found: string })[0] ?? null;

/** A request seeded at the intake's review step (per-user scope: a 7-step plan), before the instances start. */
async function seedRequest(): Promise<void> {
  const sql = await openPostgres(schema.url);
  await seedUserRequestIn(sql, REQ, DANA);
  await sql.close();
}

async function discoverOn(b: ServerProcess, requestId = REQ): Promise<JobRow> {
  await b.say('help', { user: ALEX, conversation: APPROVALS });
  await b.say('help', { user: DANA });
  const click = await b.click(VERBS.requestDiscover, { requestId }, { user: DANA });
  expect(click.status).toBe(200);
  return until(async () => (await jobs('discover')).find((j) => j.status === 'succeeded'), 'the discovery to succeed');
}

describe('two instances on one PostgreSQL', () => {
  it('a runner on instance A gets the jobs made on instance B through NOTIFY; the report reaches the chat; the audit verifies', async () => {
    const { auditKey, env } = sharedKeys(dir);
    const [a, b] = await instances(env);
    // The whole intake on instance B, card by card.
    const review = await fillSteps(b, VALID.length, { user: DANA });
    expect(allText(review.card)).toMatch(/Review/);
    const requestId = draftIdOf(review);
    // The server hosts both SIP domains the intake named.
    const sim = writeState(dir, 'lync2013', (state) => { state.sipDomains.push({ name: 'fabrikam.com', isDefault: false }); });
    const runner = spawnRunner(['--server', a.url, '--enroll', a.runnerToken(['pool-eu']), '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', join(dir, 'runner.json'), '--name', 'fe01']);
    await runner.waitForLog(/waiting for jobs/);
    const discovered = await discoverOn(b, requestId);
    expect(leasedLine(a, discovered.id)).toMatchObject({ found: 'woken' });
    expect(leasedLine(b, discovered.id)).toBeNull();

    const posted = await requestApproval(b, requestId, DANA, APPROVALS);
    await vote(b, posted, ALEX, 'Approve');
    const applied = await until(async () => (await jobs('apply')).find((j) => j.status === 'succeeded'), 'the apply job to succeed');
    expect(leasedLine(a, applied.id)).toMatchObject({ found: 'woken' });
    // The report: instance A took the runner's result and updated B's card in the chat.
    await b.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && /Plan applied/.test(allText(cardOf(c))));
    await b.connector.waitFor((c) => c.kind === 'reply' && /Your plan was applied/.test(allText(cardOf(c))));
    expect(await verifyAuditPg(schema.url, auditKey)).toMatchObject({ ok: true });
    const actions = (await pgRows<{ action: string }>(schema.url, 'SELECT action FROM audit_log WHERE subject_id = $1 ORDER BY seq', [applied.id])).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['job.created', 'job.leased', 'job.result']));
  });

  it('fail-over: instance A dies (kill -9) mid-apply; the runner goes on with instance B and every event is recorded once', async () => {
    await seedRequest();
    const { auditKey, env } = sharedKeys(dir);
    const [a, b] = await instances(env);
    proxy = await tcpProxy(a.port);
    const front = `http://127.0.0.1:${proxy.port}`;
    const sim = writeState(dir, 'lync2013');
    const config = join(dir, 'runner.json');
    const fast = spawnRunner(['--server', front, '--enroll', a.runnerToken(['pool-eu']), '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', config, '--name', 'fe01']);
    await fast.waitForLog(/waiting for jobs/);
    await discoverOn(b);
    fast.kill('SIGTERM');
    await fast.exited;

    // Slow steps, so the kill lands mid-apply.
    const slow = spawnRunner(['--config', config], { env: { PICBOT_SIM_FAULTS: '{"delayMs":1200}' } });
    await slow.waitForLog(/waiting for jobs/);
    const posted = await requestApproval(b, REQ, DANA, APPROVALS);
    await vote(b, posted, ALEX, 'Approve');
    const apply = await until(async () => (await jobs('apply'))[0], 'the apply job');
    await until(async () => (await pgRows<EventRow>(schema.url, 'SELECT seq FROM job_events WHERE job_id = $1', [apply.id])).length > 0, 'the first step event');
    await a.crash();
    proxy.retarget(b.port);

    const done = await until(async () => (await jobs('apply')).find((j) => j.id === apply.id && !['queued', 'leased'].includes(j.status)), 'the apply job to end');
    expect(done.status).toBe('succeeded');
    const events = (await pgRows<EventRow>(schema.url, 'SELECT seq, idx, event FROM job_events WHERE job_id = $1 ORDER BY seq, idx', [apply.id]))
      .map((r) => JSON.parse(r.event) as { type: string; stepId?: string });
    const started = events.filter((e) => e.type === 'step-started').map((e) => e.stepId);
    const finished = events.filter((e) => e.type === 'step-finished').map((e) => e.stepId);
    expect(started.length).toBeGreaterThan(0);
    expect(new Set(started).size).toBe(started.length);
    expect([...finished].sort()).toEqual([...started].sort());
    const audited = (await pgRows<{ detail: string }>(schema.url, "SELECT detail FROM audit_log WHERE subject_id = $1 AND action = 'job.step' ORDER BY seq", [apply.id]))
      .map((r) => (JSON.parse(r.detail) as { stepId: string }).stepId);
    expect([...audited].sort()).toEqual([...finished].sort());
    expect(await verifyAuditPg(schema.url, auditKey)).toMatchObject({ ok: true });
    slow.kill('SIGTERM');
    await slow.exited;
  });
});
