/**
 * Periodic work of the server (drift checks, …): areas register a task with `every`, and the
 * composition root (src/bot/compose.ts) owns the timers and stops them when the server closes. A run that is
 * still going when the next is due is not started twice; a failure is logged, never thrown.
 */
import type { Logger } from '../shared/logger';

export interface PeriodicTasks {
  /** Runs `task` every `ms` milliseconds from now on (ms ≤ 0: never). */
  every(name: string, ms: number, task: () => Promise<unknown>): void;
  /** Stops every timer (server shutdown). */
  stop(): void;
}

export function createPeriodicTasks(logger: Logger): PeriodicTasks {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  return {
    every(name, ms, task) {
      if (ms <= 0 || stopped) return;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        Promise.resolve()
          .then(task)
          .catch((err: unknown) => logger.error({ err, task: name }, `the periodic task ${name} failed`))
          .finally(() => {
            busy = false;
          });
      }, ms);
      timer.unref();
      timers.add(timer);
    },
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
}
