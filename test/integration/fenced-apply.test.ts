/**
 * A fenced, journaled apply against real processes on loopback: the server (`picbot serve`) as a
 * child process that the test kills with SIGKILL, the real runner on the real simulator.
 *
 * - Outage: the server dies after the first step event and stays down longer than the lease.
 *   The runner starts no step after its lease could have ended, journals what it ran, and
 *   delivers it once the server is back; the server records it as late; the rollback built from
 *   a fresh read puts the simulator back exactly where it was.
 * - Runner crash: kill -9 of the runner mid-step; restarted with the same credentials, it
 *   delivers its journal and the job ends with every executed step recorded.
 *
 * Nothing here asserts on time: waits are on conditions, with generous limits.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservedState, sameState } from '../../src/contracts/observed';
import { VERBS } from '../../src/bot/verbs';
import { journalDirFor } from '../../src/runner/journal';
import { cardOf } from '../fakes/connector';
import { allText, button } from './card-query';
import { freePort } from './demo-process';
import { requestApproval, vote, type PostedCard } from './plan-helpers';
import { killRunners, spawnRunner, type LogLine, type RunnerProcess } from './runner-helpers';
import { seedUserRequest, serverProcess, until, type ServerProcess } from './server-process';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

jest.setTimeout(240_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';
const LEASE_SECONDS = 6;

let dir: string;
let server: ServerProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-fenced-'));
});
afterEach(async () => {
  await killRunners();
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

const observedOf = (file: string) => ObservedState.parse(JSON.parse(readFileSync(file, 'utf8')));

interface JobRow { id: string; status: string; late_at: string | null; result: string | null; finished_at: string | null }
interface EventRow { seq: number; idx: number; event: string; late: number }

/** The child processes of `pid`, from each of its threads' `children` file under /proc (Linux). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
}

/** Whether a process is still running (a zombie counts as ended). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** A server with a seeded request (per-user scope: a 7-step plan on a fresh Lync 2013), and a runner enrolled. */
async function setUp(): Promise<{ s: ServerProcess; sim: string; config: string }> {
  const port = await freePort();
  const s = await serverProcess({
    dir, port,
    env: { PICBOT_LEASE_SECONDS: String(LEASE_SECONDS), PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id },
  });
  server = s;
  await seedUserRequest(s.dbPath, REQ, DANA);
  await s.start();
  await s.say('help', { user: ALEX, conversation: APPROVALS });
  await s.say('help', { user: DANA });
  const sim = writeState(dir, 'lync2013');
  const config = join(dir, 'runner.json');
  const runner = spawnRunner(['--server', s.url, '--enroll', s.runnerToken(['pool-eu']), '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', config, '--name', 'fe01']);
  await runner.waitForLog(/waiting for jobs/);
  // Discovery at full speed; the slow runner of the test proper starts later with the same credentials.
  const click = await s.click(VERBS.requestDiscover, { requestId: REQ }, { user: DANA });
  expect(click.status).toBe(200);
  await until(() => s.query<JobRow>("SELECT id, status FROM jobs WHERE kind = 'discover' AND status = 'succeeded'").length > 0, 'the discovery');
  runner.kill('SIGTERM');
  await runner.exited;
  return { s, sim, config };
}

const applyJob = (s: ServerProcess) => s.query<JobRow>("SELECT id, status, late_at, result, finished_at FROM jobs WHERE kind = 'apply'")[0] ?? null;
const eventsOf = (s: ServerProcess, jobId: string) => s.query<EventRow>('SELECT seq, idx, event, late FROM job_events WHERE job_id = ? ORDER BY seq, idx', jobId)
  .map((r) => ({ ...(JSON.parse(r.event) as { type: string; stepId?: string; at: string; status?: string }), late: r.late === 1 }));
const auditRows = (s: ServerProcess, subjectId: string) => s.query<{ action: string; detail: string }>('SELECT action, detail FROM audit_log WHERE subject_id = ? ORDER BY seq', subjectId);

/** Every step started at most once and, once started, finished exactly once; the audit has one job.step row per finished step. */
function expectEachStepOnce(s: ServerProcess, jobId: string): string[] {
  const events = eventsOf(s, jobId);
  const started = events.filter((e) => e.type === 'step-started').map((e) => e.stepId!);
  const finished = events.filter((e) => e.type === 'step-finished').map((e) => e.stepId!);
  expect(new Set(started).size).toBe(started.length);
  expect([...finished].sort()).toEqual([...started].sort());
  const audited = auditRows(s, jobId).filter((r) => r.action === 'job.step').map((r) => (JSON.parse(r.detail) as { stepId: string }).stepId);
  expect([...audited].sort()).toEqual([...finished].sort());
  return started;
}

async function rollBack(s: ServerProcess, posted: PostedCard): Promise<void> {
  const report = cardOf(await s.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && /Roll back/.test(JSON.stringify(cardOf(c)))))!;
  const rb = button(report, 'Roll back');
  const asked = await s.click(rb.verb, rb.data, { user: DANA, conversation: APPROVALS, replyToId: posted.messageId });
  expect(allText(asked.card)).toMatch(/Rollback requested/);
  const sent = await s.connector.waitFor((c) => c.kind !== 'update' && c.conversationId === APPROVALS.id && /Approve this rollback\?/.test(allText(cardOf(c))));
  const voted = await vote(s, { messageId: sent.activityId, conversation: APPROVALS, card: cardOf(sent)! }, ALEX, 'Approve');
  // Waits for the rollback job to end, whichever way; a failure says what the vote was answered
  // and where the plans and jobs stand.
  const ended = await until(() => s.query<JobRow>("SELECT id, status, result FROM jobs WHERE kind = 'rollback' AND status IN ('succeeded', 'failed', 'interrupted', 'cancelled', 'expired')")[0], 'the rollback job to end')
    .catch((err: Error) => {
      const plans = s.query('SELECT id, kind, status, job_id, revision FROM plans ORDER BY created_at');
      const jobs = s.query('SELECT id, kind, status, purpose FROM jobs ORDER BY created_at');
      throw new Error(`${err.message}; the vote was answered: ${allText(voted.card).slice(0, 400)}; plans: ${JSON.stringify(plans)}; jobs: ${JSON.stringify(jobs)}`);
    });
  expect({ status: ended.status, error: ended.result ? (JSON.parse(ended.result) as { error?: unknown }).error ?? null : null }).toEqual({ status: 'succeeded', error: null });
}

describe('apply through an outage of the server', () => {
  it('starts no step after the lease could have ended, records every step that ran (late), and the rollback restores the state before', async () => {
    const { s, sim, config } = await setUp();
    const before = observedOf(sim);
    const posted = await requestApproval(s, REQ, DANA, APPROVALS);
    const steps = JSON.stringify(posted.card).match(/undo|Grant-CsExternalAccessPolicy|Set-Cs|New-Cs|Remove-Cs/g);
    expect(steps).not.toBeNull();

    const slow = spawnRunner(['--config', config], { env: { PICBOT_SIM_FAULTS: '{"delayMs":1500}' } });
    await slow.waitForLog(/waiting for jobs/);
    await vote(s, posted, ALEX, 'Approve');

    await slow.waitForLog(/^step started$/);
    await until(() => eventsOf(s, applyJob(s)?.id ?? '').some((e) => e.type === 'step-started'), 'the first step event on the server');
    const killAt = Date.now();
    await s.crash();
    const leaseEndBound = killAt + LEASE_SECONDS * 1000;
    await slow.waitForLog(/lease has ended by this runner's clock/);
    // Down longer than the lease, by the server's clock too.
    await until(() => Date.now() > leaseEndBound + 1000, 'the lease to have ended');
    const restartAt = Date.now();
    await s.start();

    const job = await until(() => {
      const j = applyJob(s);
      return j && j.status === 'interrupted' && j.result !== null ? j : null;
    }, 'the late result');
    const result = JSON.parse(job.result!) as { status: string; late?: boolean; error?: { code: string } };
    expect(result).toMatchObject({ late: true, error: { code: 'lease_expired' } });

    // The fence: no step started after the lease could have ended, and none with under a third left.
    const startedLogs = slow.logs.filter((l: LogLine) => l.msg === 'step started');
    for (const l of startedLogs) expect(Number(l.leaseLeftMs)).toBeGreaterThanOrEqual((LEASE_SECONDS * 1000) / 3);
    const events = eventsOf(s, job.id);
    const starts = events.filter((e) => e.type === 'step-started');
    for (const e of starts) expect(Date.parse(e.at)).toBeLessThan(leaseEndBound);
    const started = expectEachStepOnce(s, job.id);
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(7);
    expect(events.some((e) => e.late)).toBe(true);
    const actions = auditRows(s, job.id).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['job.interrupted', 'job.late-result']));
    expect(auditRows(s, job.id).filter((r) => r.action === 'job.step').some((r) => (JSON.parse(r.detail) as { late?: boolean }).late === true)).toBe(true);
    expect(await s.verifyAudit()).toMatchObject({ ok: true });
    // The journal is gone once the server acknowledged the result.
    await until(() => !existsSync(journalDirFor(config)) || readdirSync(journalDirFor(config)).length === 0, 'the journal to be deleted');

    // The card shows what really happened.
    const card = await s.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && /Reported late/.test(allText(cardOf(c))));
    expect(allText(cardOf(card))).toMatch(/interrupted/i);
    expect(sameState(observedOf(sim), before)).toBe(false);
    // Drift watch takes the late read after the last change as the target's baseline.
    const watched = await until(() => s.query<{ baseline: string }>('SELECT baseline FROM drift_watch').at(0) ?? null, 'the drift baseline from the late result');
    expect((JSON.parse(watched.baseline) as { entries: unknown[] }).entries.length).toBeGreaterThan(0);

    // Roll back (a runner at full speed) from a fresh read: the simulator is as before the apply.
    slow.kill('SIGTERM');
    await slow.exited;
    const fast = spawnRunner(['--config', config]);
    await fast.waitForLog(/waiting for jobs/);
    await rollBack(s, posted);
    const rolledBackAt = Date.now();
    expect(sameState(observedOf(sim), before)).toBe(true);
    const verified = await s.verifyAudit();
    expect(verified).toEqual(expect.objectContaining({ ok: true }));

    const iso = (ms: number) => new Date(ms).toISOString();
    const lastStart = starts.map((e) => e.at).sort().at(-1)!;
    console.log(JSON.stringify({
      outageTimeline: {
        kill: iso(killAt), leaseEndAtTheLatest: iso(leaseEndBound), lastStepStart: lastStart, stepsStarted: started.length,
        restart: iso(restartAt), lateDelivery: job.late_at, rollbackDone: iso(rolledBackAt),
      },
    }));
  });
});

describe('a runner killed mid-step', () => {
  it('delivers its journal after a restart with the same credentials; the job ends with every executed step recorded', async () => {
    const { s, sim, config } = await setUp();
    const before = observedOf(sim);
    const posted = await requestApproval(s, REQ, DANA, APPROVALS);
    const slow: RunnerProcess = spawnRunner(['--config', config], { env: { PICBOT_SIM_FAULTS: '{"delayMs":700}' } });
    await slow.waitForLog(/waiting for jobs/);
    await vote(s, posted, ALEX, 'Approve');
    // Mid-step: the second step has started.
    await slow.waitForLog((l) => l.msg === 'step started' && slow.logs.filter((x) => x.msg === 'step started').length >= 2);
    // A killed runner's shell goes on with the cmdlet in hand (as a real Management Shell would)
    // and writes its change when it is done: wait for it, so the rollback's read sees that change
    // rather than racing it (a change landing between the read and the rollback is drift).
    const shells = childrenOf(slow.proc.pid!);
    expect(shells.length).toBeGreaterThan(0);
    slow.kill('SIGKILL');
    await slow.exited;
    await until(() => shells.every((pid) => !alive(pid)), 'the killed runner\'s shell to finish its cmdlet');
    const journal = journalDirFor(config);
    expect(readdirSync(journal).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);

    const again = spawnRunner(['--config', config]);
    await again.waitForLog(/delivering a journaled job/);
    const job = await until(() => {
      const j = applyJob(s);
      return j && j.result !== null ? j : null;
    }, 'the job result');
    expect(['failed', 'interrupted']).toContain(job.status);
    const result = JSON.parse(job.result!) as { status: string; error?: { code: string } };
    expect(result).toMatchObject({ status: 'failed', error: { code: 'runner_restarted' } });
    const started = expectEachStepOnce(s, job.id);
    expect(started.length).toBeGreaterThanOrEqual(2);
    const inHand = eventsOf(s, job.id).filter((e) => e.type === 'step-finished' && e.status === 'failed');
    expect(inHand.map((e) => e.stepId)).toEqual([started.at(-1)]);
    expect(await s.verifyAudit()).toMatchObject({ ok: true });
    await until(() => readdirSync(journal).length === 0, 'the journal to be deleted');
    await s.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && /runner_restarted/.test(allText(cardOf(c))));

    // Whatever the killed step did, the rollback from a fresh read restores the state before.
    await rollBack(s, posted);
    expect(sameState(observedOf(sim), before)).toBe(true);
  });
});
