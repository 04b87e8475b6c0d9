/**
 * The `scale.out` benchmark's arithmetic (bench/README.md): turns/s per configuration is the
 * median over rounds and its ratios the median of the per-round ratios; pickup p50 and p99 come
 * from all samples, a p50 under 1 ms counting as 1 ms in a ratio. Its keys are the ones CI's
 * scripts/check-bench-json.js expects. Made-up numbers: nothing here is timed.
 */
import { join } from 'node:path';
import { scaleOutResult, type Measured } from '../../../bench/scenarios/scale-out';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EXPECTED } = require(join(__dirname, '..', '..', '..', 'scripts', 'check-bench-json.js')) as { EXPECTED: Record<string, { figures: string[]; ratios: string[]; goals: string[] }> };

const measured = (): Measured => ({
  turnsPerSec: { 'sqlite-1': [200, 300, 250], 'pg-1': [100, 150, 100], 'pg-2': [150, 150, 300] },
  pickupMs: { 'sqlite-1': [5, 7, 6, 9], 'pg-1': [30, 20, 40, 25], 'pg-2': [40, 30, 50, 35] },
});

describe('scale.out result', () => {
  it('has exactly the figures, ratios and goals check-bench-json expects', () => {
    const r = scaleOutResult(measured());
    expect(r.id).toBe('scale.out');
    const want = EXPECTED['scale.out']!;
    expect(Object.keys(r.figures).sort()).toEqual([...want.figures].sort());
    expect(Object.keys(r.ratios).sort()).toEqual([...want.ratios].sort());
    expect(Object.keys(r.goals).sort()).toEqual([...want.goals].sort());
  });

  it('takes medians over rounds, and the median of the per-round ratios for turns/s', () => {
    const r = scaleOutResult(measured());
    expect(r.figures['turnsPerSec.pg-1']).toBe(100);
    expect(r.figures['turnsPerSec.pg-2']).toBe(150);
    // Per round pg-2 ÷ pg-1: 1.5, 1, 3 → 1.5.
    expect(r.ratios['turnsPerSec.pg-2 vs pg-1']).toBe(1.5);
    // Per round pg-1 ÷ sqlite-1: 0.5, 0.5, 0.4 → 0.5 (the medians' ratio would be 100 ÷ 250 = 0.4).
    expect(r.ratios['turnsPerSec.pg-1 vs sqlite-1']).toBe(0.5);
  });

  it('reports pickup quantiles over all samples and compares pg-2 (across instances) with the others', () => {
    const r = scaleOutResult(measured());
    expect(r.figures['pickupP50Ms.pg-1']).toBe(25);
    expect(r.figures['pickupP99Ms.pg-1']).toBe(40);
    expect(r.figures['pickupP50Ms.pg-2']).toBe(35);
    expect(r.figures.pickupSamples).toBe(4);
    expect(r.ratios['pickupP50Ms.pg-2 vs pg-1']).toBeCloseTo(35 / 25);
    expect(r.ratios['pickupP50Ms.pg-2 vs sqlite-1']).toBeCloseTo(35 / 6);
  });

  it('counts a p50 of 0 ms as 1 ms in a ratio, so the JSON never holds Infinity', () => {
    const m = measured();
    m.pickupMs['sqlite-1'] = [0, 0, 0];
    const r = scaleOutResult(m);
    expect(r.figures['pickupP50Ms.sqlite-1']).toBe(0);
    expect(r.ratios['pickupP50Ms.pg-2 vs sqlite-1']).toBe(35);
  });
});
