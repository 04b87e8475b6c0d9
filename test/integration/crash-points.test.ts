/**
 * Crash points: the server process is killed with SIGKILL at random moments of an approve-and-
 * apply (between the vote, the dispatch, the lease, the events and the result), then started
 * again on the same SQLite file. Every time the audit chain verifies, no step runs twice, the job
 * ends in a final state and the plan's card shows it. The moments come from a seeded generator;
 * the seed is printed (and PICBOT_CRASH_SEED replays one run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservedState } from '../../src/contracts/observed';
import type { PlanStep } from '../../src/contracts/runner-api';
import { satisfied } from '../../src/contracts/satisfied';
import { VERBS } from '../../src/bot/verbs';
import { cardOf } from '../fakes/connector';
import { allText } from './card-query';
import { freePort } from './demo-process';
import { requestApproval, vote } from './plan-helpers';
import { killRunners, spawnRunner } from './runner-helpers';
import { seedUserRequest, serverProcess, until, type ServerProcess } from './server-process';
import { writeState } from './sim-helpers';
import { ALEX, channel, DANA } from './teams-activities';

jest.setTimeout(600_000);

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';
const KILLS = 20;
/**
 * Kill moments fall within this long after the Approve click (about one apply with the slowed
 * simulator), drawn as WINDOW × u³: the vote, quorum and dispatch take milliseconds, so the cube
 * puts about a fifth of the kills in the first 30 ms.
 */
const WINDOW_MS = 2_500;
const FINAL = ['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired'];

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string;
let server: ServerProcess | null = null;
afterEach(async () => {
  await killRunners();
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

interface PlanRow { id: string; status: string; job_id: string | null }
interface JobRow { id: string; status: string; event_count: number; result: string | null }

/** Where the approve-and-apply stood when the server died, read from what it had stored. */
function phaseOf(s: ServerProcess, planId: string): string {
  const plan = s.query<PlanRow>('SELECT id, status, job_id FROM plans WHERE id = ?', planId)[0]!;
  const votes = s.query<{ n: number }>('SELECT COUNT(*) AS n FROM plan_votes WHERE plan_id = ?', planId)[0]!.n;
  const job = s.query<JobRow>("SELECT id, status, event_count, result FROM jobs WHERE plan_id = ? AND kind = 'apply'", planId)[0];
  if (votes === 0) return 'before the vote was stored';
  if (plan.status === 'pending-approval') return 'vote stored, plan not moved';
  if (!job) return 'approved, not dispatched';
  if (job.status === 'queued') return plan.status === 'approved' ? 'job created, plan not moved to applying' : 'dispatched, not leased';
  if (job.status === 'leased') return job.event_count === 0 ? 'leased, no event yet' : 'leased, events arriving';
  if (!FINAL.includes(plan.status)) return 'result stored, plan not finished';
  return 'plan finished';
}

describe('crash points', () => {
  it(`${KILLS} kills of the server during approve-and-apply: audit verifies, no step twice, a final state, the card shows it`, async () => {
    const seed = Number(process.env.PICBOT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`crash points seed: ${seed} (replay with PICBOT_CRASH_SEED=${seed})`);
    const random = seeded(seed);
    dir = mkdtempSync(join(tmpdir(), 'picbot-crash-'));
    const port = await freePort();
    const s = await serverProcess({
      dir, port,
      env: { PICBOT_LEASE_SECONDS: '20', PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id },
    });
    server = s;
    await seedUserRequest(s.dbPath, REQ, DANA);
    await s.start();
    await s.say('help', { user: ALEX, conversation: APPROVALS });
    await s.say('help', { user: DANA });
    const sim = writeState(dir, 'lync2013');
    const fresh = readFileSync(sim, 'utf8');
    const config = join(dir, 'runner.json');
    const runner = spawnRunner(['--server', s.url, '--enroll', s.runnerToken(['pool-eu']), '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', config, '--name', 'fe01'],
      { env: { PICBOT_SIM_FAULTS: '{"delayMs":40}' } });
    await runner.waitForLog(/waiting for jobs/);
    await s.click(VERBS.requestDiscover, { requestId: REQ }, { user: DANA });
    await until(() => s.query<JobRow>("SELECT id FROM jobs WHERE kind = 'discover' AND status = 'succeeded'").length > 0, 'the discovery');

    const phases = new Map<string, number>();
    const outcomes = new Map<string, number>();
    for (let round = 1; round <= KILLS; round += 1) {
      // Each round applies the same plan to a fresh server again.
      writeFileSync(sim, fresh);
      const posted = await requestApproval(s, REQ, DANA, APPROVALS);
      const planId = String((posted.card.refresh as { action: { data: { planId: string } } }).action.data.planId);
      const delay = Math.floor(random() ** 3 * WINDOW_MS);
      const clicked = vote(s, posted, ALEX, 'Approve').catch(() => null);
      await new Promise((r) => setTimeout(r, delay));
      await s.crash();
      await clicked;
      const phase = phaseOf(s, planId);
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      await s.start();
      // A click the server died before storing is clicked again, as a person would.
      if (s.query<{ n: number }>('SELECT COUNT(*) AS n FROM plan_votes WHERE plan_id = ?', planId)[0]!.n === 0) await vote(s, posted, ALEX, 'Approve');

      const plan = await until(() => {
        const p = s.query<PlanRow>('SELECT id, status, job_id FROM plans WHERE id = ?', planId)[0];
        return p && FINAL.includes(p.status) ? p : null;
      }, `plan ${planId} to end (round ${round}, killed ${delay} ms after the click: ${phase})`);
      const jobs = s.query<JobRow>("SELECT id, status, event_count, result FROM jobs WHERE plan_id = ? AND kind = 'apply'", planId);
      expect(jobs).toHaveLength(1);
      expect(FINAL).toContain(jobs[0]!.status);
      const started = s.query<{ event: string }>('SELECT event FROM job_events WHERE job_id = ?', jobs[0]!.id)
        .map((r) => JSON.parse(r.event) as { type: string; stepId?: string }).filter((e) => e.type === 'step-started').map((e) => e.stepId);
      expect(new Set(started).size).toBe(started.length);
      expect(await s.verifyAudit()).toMatchObject({ ok: true });
      const title = plan.status === 'succeeded' ? /Plan applied/ : new RegExp(`Plan ${plan.status}`, 'i');
      await s.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && title.test(allText(cardOf(c))));
      if (plan.status === 'succeeded') {
        // Every step of the plan holds on the simulator.
        const now = ObservedState.parse(JSON.parse(readFileSync(sim, 'utf8')));
        const steps = (JSON.parse(s.query<{ plan: string }>('SELECT plan FROM plans WHERE id = ?', planId)[0]!.plan) as { steps: PlanStep[] }).steps;
        expect(steps.filter((step) => !satisfied(step.op, step.params, now)).map((step) => step.id)).toEqual([]);
      }
      outcomes.set(plan.status, (outcomes.get(plan.status) ?? 0) + 1);
    }
    console.log(JSON.stringify({ seed, kills: KILLS, phases: Object.fromEntries(phases), outcomes: Object.fromEntries(outcomes) }));
  });
});
