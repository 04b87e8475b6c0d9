/**
 * `step.overhead` and `plan.large`: whole journeys in chat applied by picbot's real runner process
 * on the simulated shell (no delay), with a per-user external access policy granted to many users.
 * The runner logs one `job timing` line per job (steps, wallMs, shellMs, journalMs, otherMs): the
 * time outside the shell per step is (wallMs − shellMs) ÷ steps, the journal's share of it
 * journalMs ÷ (wallMs − shellMs).
 */
import { newUser } from '../lib/activities';
import { botClient } from '../lib/bot-client';
import type { BenchContext } from '../lib/context';
import { approve, discover, enrollmentToken, requestApproval, runIntake, type Posted } from '../lib/flows';
import { startRunner, type Child, type LogLine } from '../lib/procs';
import type { ScenarioResult } from '../lib/report';

const POLICY = 'BenchPublicUsers';

interface Applied {
  posted: Posted;
  timing: LogLine;
  /** Approve clicked → the runner reported the result, ms. */
  applyWallMs: number;
}

/** One user's request granting POLICY to `count` users, discovered, approved and applied by a real runner. */
async function grantToUsers(ctx: BenchContext, label: string, count: number): Promise<Applied> {
  const bot = botClient(ctx.picbot.url, ctx.connector);
  const users = Array.from({ length: count }, (_, i) => `sip:bench-user-${i}@contoso.com`);
  let runner: Child | null = null;
  try {
    runner = await startRunner(ctx.picbot.url, await enrollmentToken(bot, ctx.admin, label), label, users);
    const user = newUser(`Grant ${label}`);
    const { review } = await runIntake(bot, user, label, { kind: 'user', policyName: POLICY, users });
    const state = await discover(bot, ctx.connector, user, review, 300_000);
    const posted = await requestApproval(bot, ctx.connector, user, state, 300_000);
    const t0 = Date.now();
    await approve(bot, user, posted);
    const r = runner;
    const timing = await r.waitForLog((l) => l.msg === 'job timing' && l.kind === 'apply', 600_000);
    const reported = await r.waitForLog((l) => l.msg === 'result reported' && l.jobId === timing.jobId, 60_000);
    if (reported.status !== 'succeeded') throw new Error(`the apply job ended ${String(reported.status)}: ${runner.stderr().slice(-1500)}`);
    return { posted, timing, applyWallMs: Number(reported.time) - t0 };
  } finally {
    await runner?.stop();
  }
}

export async function stepOverhead(ctx: BenchContext): Promise<ScenarioResult> {
  const { timing } = await grantToUsers(ctx, 'bench-steps', ctx.sizes.overheadSteps);
  const steps = Number(timing.steps);
  const wall = Number(timing.wallMs);
  const shell = Number(timing.shellMs);
  const journal = Number(timing.journalMs);
  const outside = (wall - shell) / steps;
  ctx.log(`step.overhead: ${steps} steps in ${wall} ms, ${shell} ms in the shell: ${outside.toFixed(3)} ms per step outside it`);
  return {
    id: 'step.overhead',
    figures: {
      steps,
      outsideShellMsPerStep: outside,
      shellMsPerStep: shell / steps,
      journalMsPerStep: journal / steps,
      journalShare: wall > shell ? journal / (wall - shell) : 0,
      jobWallMs: wall,
    },
    ratios: { outsideShellMsPerStep: outside / 2 },
    goals: { outsideShellMsPerStep: '≤ 2 ms (ratio: ÷ 2 ms)', journalShare: 'reported (the fsync\'d journal, when present)' },
  };
}

export async function planLarge(ctx: BenchContext): Promise<ScenarioResult> {
  const users = ctx.sizes.largeUsers;
  const { posted, timing, applyWallMs } = await grantToUsers(ctx, 'bench-large', users);
  ctx.log(`plan.large: ${users} users planned in ${posted.requestMs.toFixed(1)} ms, card ${posted.cardBytes} bytes, applied in ${applyWallMs} ms`);
  return {
    id: 'plan.large',
    figures: {
      users,
      steps: Number(timing.steps),
      planMs: posted.requestMs,
      cardBytes: posted.cardBytes,
      applyWallMs,
    },
    ratios: { planMs: posted.requestMs / 200, cardBytes: posted.cardBytes / (28 * 1024) },
    goals: { planMs: '≤ 200 ms (ratio: ÷ 200 ms)', cardBytes: '≤ 28 KB (ratio: ÷ 28 KiB)' },
  };
}
