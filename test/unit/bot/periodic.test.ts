import { createPeriodicTasks } from '../../../src/bot/periodic';
import { createLogger } from '../../../src/shared/logger';

const logger = createLogger({ level: 'silent' });
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('periodic tasks', () => {
  it('runs a task again and again, never twice at once, until stopped', async () => {
    const tasks = createPeriodicTasks(logger);
    let runs = 0;
    let running = 0;
    let overlapped = false;
    let release: (() => void) | null = null;
    tasks.every('slow', 1, async () => {
      runs += 1;
      running += 1;
      overlapped ||= running > 1;
      await new Promise<void>((resolve) => (release = resolve));
      running -= 1;
    });
    while (runs < 1) await tick();
    // The first run is still going: many intervals pass without a second start.
    for (let i = 0; i < 5; i++) await tick();
    expect(runs).toBe(1);
    release!();
    while (runs < 2) await tick();
    tasks.stop();
    release!();
    const after = runs;
    for (let i = 0; i < 5; i++) await tick();
    expect(runs).toBe(after);
    expect(overlapped).toBe(false);
  });

  it('does not start a task whose interval is 0 (PICBOT_DRIFT_INTERVAL_MINUTES=0), and survives a failing run', async () => {
    const tasks = createPeriodicTasks(logger);
    let off = 0;
    let failing = 0;
    tasks.every('off', 0, async () => {
      off += 1;
    });
    tasks.every('failing', 1, async () => {
      failing += 1;
      throw new Error('the database is locked');
    });
    while (failing < 3) await tick();
    tasks.stop();
    expect(off).toBe(0);
  });
});
