/**
 * A clock with timers that tests move by hand (the TimerClock port of the card scheduler).
 * `advance(ms)` runs every timer due on the way, in time order, letting promise chains settle
 * after each one, so code that awaits in-memory fakes runs as it would in real time.
 */
import type { TimerClock } from '../../src/bot/workflows/card-scheduler';

export interface FakeTimerClock extends TimerClock {
  advance(ms: number): Promise<void>;
  /** Lets pending promise chains run (no time passes). */
  settle(): Promise<void>;
  pending(): number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function fakeTimerClock(start = 0): FakeTimerClock {
  let t = start;
  let seq = 0;
  const timers: { at: number; seq: number; fn: () => void }[] = [];
  const settle = async () => {
    for (let i = 0; i < 5; i += 1) await turn();
  };
  return {
    now: () => t,
    after(ms, fn) {
      const timer = { at: t + Math.max(0, ms), seq: (seq += 1), fn };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    async advance(ms) {
      const end = t + ms;
      await settle();
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
        await settle();
      }
      t = end;
      await settle();
    },
    settle,
    pending: () => timers.length,
  };
}
