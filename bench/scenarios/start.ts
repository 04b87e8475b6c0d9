/**
 * `start`: spawn → the first 200 from /healthz, for picbot (`serve`, local mode, a fresh SQLite
 * file: migrations included) and the floor, in interleaved rounds; the ratio is the median of
 * the per-round ratios.
 */
import { medianRatio, type BenchContext } from '../lib/context';
import { startFloor, startPicbot } from '../lib/procs';
import type { ScenarioResult } from '../lib/report';
import { median } from '../lib/stats';

export async function start(ctx: Pick<BenchContext, 'sizes' | 'log'>): Promise<ScenarioResult> {
  const floor: number[] = [];
  const picbot: number[] = [];
  for (let r = 0; r < ctx.sizes.starts; r += 1) {
    const f = await startFloor();
    floor.push(f.startMs);
    await f.stop();
    const p = await startPicbot();
    picbot.push(p.startMs);
    await p.stop();
    ctx.log(`start round ${r + 1}: picbot ${p.startMs.toFixed(0)} ms, floor ${f.startMs.toFixed(0)} ms`);
  }
  return {
    id: 'start',
    figures: { picbotMs: median(picbot), floorMs: median(floor) },
    ratios: { picbotMs: medianRatio(picbot, floor) },
    goals: { picbotMs: '≤ 1.5× the floor' },
  };
}
