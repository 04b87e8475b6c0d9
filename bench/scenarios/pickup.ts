/**
 * `pickup`: from the approval being recorded to a runner holding the apply job, with one runner
 * long-polling and with many (the `memory` scenario's idle runners). Each sample is a whole
 * journey in chat by a new user (intake, discovery, request approval, approve). The runner is a
 * stand-in with a real enrolled token: it answers discoveries with a fresh Lync Server 2013
 * state (bench/fixtures/observed-lync2013.json, what the simulator starts with) and times each
 * apply job from the envelope's `issuedAt` (set by the server when the approval creates the job)
 * to the moment its lease answer is read; then it reports the job cancelled.
 * The idle runners each serve a label of their own, so none of them gets these jobs.
 * `serverP50Ms` is the server's part: `issuedAt` to its own `job leased` log line (both its clock,
 * millisecond resolution); the rest is the answer's way to the runner and the runner reading it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newUser } from '../lib/activities';
import { botClient } from '../lib/bot-client';
import type { BenchContext } from '../lib/context';
import { approve, discover, enrollmentToken, requestApproval, runIntake } from '../lib/flows';
import { ROOT } from '../lib/procs';
import type { ScenarioResult } from '../lib/report';
import { enrollStandIn, type Lease, type StandIn } from '../lib/standin';
import { quantile } from '../lib/stats';

const LABEL = 'bench-pickup';

export async function pickup(ctx: BenchContext): Promise<ScenarioResult> {
  const { sizes } = ctx;
  const bot = botClient(ctx.picbot.url, ctx.connector);
  const observed = JSON.parse(readFileSync(join(ROOT, 'bench', 'fixtures', 'observed-lync2013.json'), 'utf8')) as unknown;
  const runner = await enrollStandIn(ctx.picbot.url, await enrollmentToken(bot, ctx.admin, LABEL), LABEL, 'pickup-runner');
  let picked: ((lease: Lease) => void) | null = null;
  runner.poll(async (lease) => {
    if (lease.envelope.kind === 'discover') {
      await runner.result(lease.jobId, { leaseId: lease.leaseId, status: 'succeeded', observed });
      return;
    }
    picked?.(lease);
    picked = null;
    await runner.result(lease.jobId, { leaseId: lease.leaseId, status: 'cancelled', error: { code: 'cancelled', message: 'benchmark runner: timed the pickup only' } });
  });

  /** Approval → held, and the server's part of it (its `job leased` log line), ms. */
  async function samples(n: number, tag: string): Promise<{ held: number[]; server: number[] }> {
    const out = { held: [] as number[], server: [] as number[] };
    for (let i = 0; i < n; i += 1) {
      const user = newUser(`Pickup ${tag} ${i}`);
      const { review } = await runIntake(bot, user, LABEL);
      const state = await discover(bot, ctx.connector, user, review);
      const posted = await requestApproval(bot, ctx.connector, user, state);
      const held = new Promise<Lease>((resolve) => { picked = resolve; });
      await approve(bot, user, posted);
      const lease = await held;
      const issued = Date.parse(lease.envelope.issuedAt);
      out.held.push(lease.receivedAt - issued);
      const leased = await ctx.picbot.waitForLog((l) => l.msg === 'job leased' && l.jobId === lease.jobId, 10_000);
      out.server.push(Number(leased.time) - issued);
    }
    return out;
  }

  let idle: StandIn[] = [];
  try {
    await samples(2, 'warm-up');
    const one = await samples(sizes.pickups, 'one');
    ctx.log(`pickup with 1 runner: p50 ${quantile(one.held, 0.5)} ms (the server's part ${quantile(one.server, 0.5)} ms)`);

    // RSS before the runners exist, with them enrolled, and with them all long-polling. An idle
    // runner's whole cost (its enrollment and its waiting long-poll) is the first step; it is an
    // upper bound, since the garbage of 2 × n enrollment requests may not be collected yet. The
    // long-poll's own part is the second step (it can read low: the heap may have had room).
    const before = ctx.picbot.rssMb();
    idle = await enrollIdle(ctx, sizes.idleRunners - 1);
    await settle();
    const enrolled = ctx.picbot.rssMb();
    await pollAll(idle);
    const withIdle = ctx.picbot.rssMb();
    ctx.memory.idlePollsRssMb = withIdle;
    ctx.memory.kbPerIdleRunner = ((withIdle - before) * 1024) / idle.length;
    ctx.memory['kbPerIdleRunner.pollOnly'] = ((withIdle - enrolled) * 1024) / idle.length;
    ctx.log(`memory: ${before.toFixed(1)} MB, ${enrolled.toFixed(1)} MB with ${idle.length} more runners enrolled, ${withIdle.toFixed(1)} MB with them long-polling`);

    const many = await samples(sizes.pickups, 'many');
    ctx.log(`pickup with ${sizes.idleRunners} runners: p50 ${quantile(many.held, 0.5)} ms (the server's part ${quantile(many.server, 0.5)} ms)`);
    return {
      id: 'pickup',
      figures: {
        'p50Ms.1runner': quantile(one.held, 0.5),
        'p99Ms.1runner': quantile(one.held, 0.99),
        'p50Ms.manyRunners': quantile(many.held, 0.5),
        'p99Ms.manyRunners': quantile(many.held, 0.99),
        'serverP50Ms.1runner': quantile(one.server, 0.5),
        'serverP50Ms.manyRunners': quantile(many.server, 0.5),
        manyRunners: sizes.idleRunners,
        samples: sizes.pickups,
      },
      ratios: {
        'p50Ms.manyRunners': quantile(many.held, 0.5) / 5,
        'p99Ms.manyRunners': quantile(many.held, 0.99) / 50,
      },
      goals: {
        'p50Ms.manyRunners': '≤ 5 ms (ratio: ÷ 5 ms)',
        'p99Ms.manyRunners': '≤ 50 ms (ratio: ÷ 50 ms)',
      },
    };
  } finally {
    await Promise.all([runner, ...idle].map((r) => r.stop()));
  }
}

const settle = () => new Promise((res) => setTimeout(res, 1000));

/** `n` runners, each enrolled (through `runner token` in chat) for a label of its own. */
async function enrollIdle(ctx: BenchContext, n: number): Promise<StandIn[]> {
  const bot = botClient(ctx.picbot.url, ctx.connector);
  const runners: StandIn[] = [];
  for (let i = 0; i < n; i += 1) {
    const label = `bench-idle-${i}`;
    runners.push(await enrollStandIn(ctx.picbot.url, await enrollmentToken(bot, ctx.admin, label), label, `idle-${i}`));
  }
  return runners;
}

/** Starts every runner's long-poll; resolves a second after the last one was sent. */
async function pollAll(runners: StandIn[]): Promise<void> {
  for (const r of runners) {
    r.poll(async () => {
      throw new Error(`idle runner ${r.label} was given a job`);
    });
  }
  while (runners.some((r) => r.polls() === 0)) await new Promise((res) => setTimeout(res, 50));
  await settle();
}
