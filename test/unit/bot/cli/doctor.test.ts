/** `picbot doctor`'s judgements that need no database: clock skew and the runners' last sightings. */
import { clockSkewStatus, runnersCheck } from '../../../../src/bot/cli/doctor';
import type { RunnerInfo } from '../../../../src/bot/workflows/ports';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const runner = (id: string, labels: string[], minutesAgo: number, revoked = false): RunnerInfo => ({
  id, name: id, labels,
  enrolledAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  revokedAt: revoked ? '2026-02-01T00:00:00.000Z' : null,
});

describe('clockSkewStatus', () => {
  it.each([
    [0, 'ok'], [2000, 'ok'], [-2000, 'ok'], [2001, 'warn'], [-15_000, 'warn'], [30_000, 'warn'], [30_001, 'fail'], [-120_000, 'fail'],
  ])('%d ms → %s', (skew, status) => {
    expect(clockSkewStatus(skew)).toBe(status);
  });
});

describe('runnersCheck', () => {
  it('warns when no runner is active (a revoked one does not count)', () => {
    expect(runnersCheck([runner('run_1', ['pool-eu'], 1, true)], NOW)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no active runner is enrolled/) });
  });

  it('ok when each label has a runner seen in the last 10 minutes', () => {
    const r = runnersCheck([runner('run_1', ['pool-eu', 'pool-us'], 10), runner('run_2', ['pool-us'], 500)], NOW);
    expect(r).toEqual({ name: 'runners', status: 'ok', detail: '1 active runner seen in the last 10 minutes (labels: pool-eu, pool-us)' });
  });

  it('warns naming each label whose runners were all last seen longer ago, with the latest sighting', () => {
    const r = runnersCheck([runner('run_1', ['pool-eu'], 2), runner('run_2', ['pool-us'], 11), runner('run_3', ['pool-us'], 60)], NOW);
    expect(r).toEqual({ name: 'runners', status: 'warn', detail: 'no runner seen in the last 10 minutes for pool-us (last seen 2026-03-01T11:49:00.000Z)' });
  });
});
