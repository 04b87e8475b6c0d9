/**
 * `turn.message` and `turn.intake`: chat turns at 1 and at 50 concurrent users, picbot against the
 * floor in interleaved rounds (floor, picbot, floor, picbot, …); each figure's ratio is the median
 * of the per-round ratios.
 */
import { newUser, type BenchUser } from '../lib/activities';
import { botClient, type BotClient } from '../lib/bot-client';
import { concurrently, MANY_USERS, medianRatio, type BenchContext } from '../lib/context';
import { runIntake } from '../lib/flows';
import type { ScenarioResult } from '../lib/report';
import { median, quantile } from '../lib/stats';

/** A load's latencies (ms) and its throughput (turns per second over the elapsed time). */
export interface Load {
  p50: number;
  p99: number;
  perSec: number;
}

const summarise = (samples: number[], elapsedMs: number): Load => ({ p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), perSec: (samples.length * 1000) / elapsedMs });

/** `users` users at once, each doing `turns` turns of `turn` one after the other. */
export async function load(users: BenchUser[], turns: number, turn: (user: BenchUser) => Promise<number>): Promise<Load> {
  const samples: number[] = [];
  const t0 = performance.now();
  await concurrently(users.length, async (i) => {
    for (let n = 0; n < turns; n += 1) samples.push(await turn(users[i]!));
  });
  return summarise(samples, performance.now() - t0);
}

/** `n` new users named `prefix i`. */
export const users = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => newUser(`${prefix} ${i}`));

export async function turnMessage(ctx: BenchContext): Promise<ScenarioResult> {
  const { sizes } = ctx;
  const floor = botClient(ctx.floor.url, ctx.connector);
  const picbot = botClient(ctx.picbot.url, ctx.connector);
  const one = users(1, 'Message user');
  const many = users(MANY_USERS, 'Message user');
  const help = (bot: BotClient) => async (user: BenchUser) => (await bot.say(user, 'help')).ms;
  // Warm-up (JIT, connections, the first card render) on both sides, not measured.
  await load(many, 2, help(floor));
  await load(many, 2, help(picbot));

  const rounds: { floor1: Load; picbot1: Load; floor50: Load; picbot50: Load }[] = [];
  for (let r = 0; r < sizes.rounds; r += 1) {
    const floor1 = await load(one, sizes.messageTurns1, help(floor));
    const picbot1 = await load(one, sizes.messageTurns1, help(picbot));
    const floor50 = await load(many, sizes.messageTurns50, help(floor));
    const picbot50 = await load(many, sizes.messageTurns50, help(picbot));
    rounds.push({ floor1, picbot1, floor50, picbot50 });
    ctx.log(`turn.message round ${r + 1}: p50 ${picbot1.p50.toFixed(2)} vs ${floor1.p50.toFixed(2)} ms; 50 users ${picbot50.perSec.toFixed(0)} vs ${floor50.perSec.toFixed(0)} turns/s`);
  }
  const of = (pick: (r: (typeof rounds)[number]) => number) => rounds.map(pick);
  const mid = (pick: (r: (typeof rounds)[number]) => number) => median(of(pick));
  return {
    id: 'turn.message',
    figures: {
      'p50Ms.1user': mid((r) => r.picbot1.p50),
      'p99Ms.1user': mid((r) => r.picbot1.p99),
      'turnsPerSec.1user': mid((r) => r.picbot1.perSec),
      'p50Ms.50users': mid((r) => r.picbot50.p50),
      'p99Ms.50users': mid((r) => r.picbot50.p99),
      'turnsPerSec.50users': mid((r) => r.picbot50.perSec),
      'floor.p50Ms.1user': mid((r) => r.floor1.p50),
      'floor.p50Ms.50users': mid((r) => r.floor50.p50),
      'floor.turnsPerSec.50users': mid((r) => r.floor50.perSec),
    },
    ratios: {
      'p50Ms.1user': medianRatio(of((r) => r.picbot1.p50), of((r) => r.floor1.p50)),
      'p99Ms.1user': medianRatio(of((r) => r.picbot1.p99), of((r) => r.floor1.p99)),
      'turnsPerSec.1user': medianRatio(of((r) => r.picbot1.perSec), of((r) => r.floor1.perSec)),
      'p50Ms.50users': medianRatio(of((r) => r.picbot50.p50), of((r) => r.floor50.p50)),
      'p99Ms.50users': medianRatio(of((r) => r.picbot50.p99), of((r) => r.floor50.p99)),
      'turnsPerSec.50users': medianRatio(of((r) => r.picbot50.perSec), of((r) => r.floor50.perSec)),
    },
    goals: {
      'p50Ms.1user': '≤ 1.2× the floor',
      'p50Ms.50users': '≤ 1.2× the floor',
      'turnsPerSec.50users': '≥ 0.9× the floor',
    },
  };
}

export async function turnIntake(ctx: BenchContext): Promise<ScenarioResult> {
  const { sizes } = ctx;
  const floor = botClient(ctx.floor.url, ctx.connector);
  const picbot = botClient(ctx.picbot.url, ctx.connector);
  const one = users(1, 'Floor user');
  const many = users(MANY_USERS, 'Floor user');
  const floorInvoke = (verb: 'static' | 'templated') => async (user: BenchUser) => (await floor.click(user, verb, { n: 1 }, 'activity-1')).ms;

  /** `count` whole intakes per user, by `n` new users at once: the submits' timings. */
  async function intakes(n: number, count: number, round: number): Promise<Load> {
    const samples: number[] = [];
    const t0 = performance.now();
    await concurrently(n, async (i) => {
      for (let k = 0; k < count; k += 1) {
        const user = newUser(`Intake user ${round}.${i}.${k}`);
        samples.push(...(await runIntake(picbot, user, 'pool-eu')).submits);
      }
    });
    return summarise(samples, performance.now() - t0);
  }
  // Warm-up, not measured.
  await load(many, 6, floorInvoke('static'));
  await load(many, 6, floorInvoke('templated'));
  await intakes(MANY_USERS, 1, -1);

  const submits1 = sizes.intakes1 * 6;
  const rounds: { static1: Load; templated1: Load; picbot1: Load; static50: Load; templated50: Load; picbot50: Load }[] = [];
  for (let r = 0; r < sizes.rounds; r += 1) {
    const static1 = await load(one, submits1, floorInvoke('static'));
    const templated1 = await load(one, submits1, floorInvoke('templated'));
    const picbot1 = await intakes(1, sizes.intakes1, r);
    const static50 = await load(many, 6, floorInvoke('static'));
    const templated50 = await load(many, 6, floorInvoke('templated'));
    const picbot50 = await intakes(MANY_USERS, 1, r);
    rounds.push({ static1, templated1, picbot1, static50, templated50, picbot50 });
    ctx.log(`turn.intake round ${r + 1}: submit p50 ${picbot1.p50.toFixed(2)} ms vs static ${static1.p50.toFixed(2)}, templated ${templated1.p50.toFixed(2)}; 50 users ${picbot50.perSec.toFixed(0)} submits/s`);
  }
  const of = (pick: (r: (typeof rounds)[number]) => number) => rounds.map(pick);
  const mid = (pick: (r: (typeof rounds)[number]) => number) => median(of(pick));
  return {
    id: 'turn.intake',
    figures: {
      'submitP50Ms.1user': mid((r) => r.picbot1.p50),
      'submitP99Ms.1user': mid((r) => r.picbot1.p99),
      'submitsPerSec.1user': mid((r) => r.picbot1.perSec),
      'submitP50Ms.50users': mid((r) => r.picbot50.p50),
      'submitP99Ms.50users': mid((r) => r.picbot50.p99),
      'submitsPerSec.50users': mid((r) => r.picbot50.perSec),
      'floorStatic.p50Ms.1user': mid((r) => r.static1.p50),
      'floorTemplated.p50Ms.1user': mid((r) => r.templated1.p50),
      'floorStatic.p50Ms.50users': mid((r) => r.static50.p50),
      'floorTemplated.p50Ms.50users': mid((r) => r.templated50.p50),
    },
    ratios: {
      'submitP50Ms.1user vs static': medianRatio(of((r) => r.picbot1.p50), of((r) => r.static1.p50)),
      'submitP50Ms.1user vs templated': medianRatio(of((r) => r.picbot1.p50), of((r) => r.templated1.p50)),
      'submitP50Ms.50users vs static': medianRatio(of((r) => r.picbot50.p50), of((r) => r.static50.p50)),
      'submitP50Ms.50users vs templated': medianRatio(of((r) => r.picbot50.p50), of((r) => r.templated50.p50)),
      'submitsPerSec.50users vs templated': medianRatio(of((r) => r.picbot50.perSec), of((r) => r.templated50.perSec)),
    },
    goals: {
      'submitP50Ms.1user': '≤ 3× the static floor, ≤ 1× the templated floor',
      'submitP50Ms.50users': '≤ 3× the static floor, ≤ 1× the templated floor',
    },
  };
}
