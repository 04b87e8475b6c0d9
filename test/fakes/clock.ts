/** A clock tests move by hand (time is injected, never read). */
import type { Clock } from '../../src/shared/clock';

export interface FakeClock extends Clock {
  set(iso: string): void;
  advanceDays(days: number): void;
}

export function fakeClock(start = '2026-11-02T09:00:00.000Z'): FakeClock {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    set: (iso) => {
      t = Date.parse(iso);
    },
    advanceDays: (days) => {
      t += days * 86_400_000;
    },
  };
}
