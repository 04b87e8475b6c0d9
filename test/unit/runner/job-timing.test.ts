/** The runner's per-job time split (the `job timing` log line): shell calls, journal, the rest. */
import type { ShellHost } from '../../../src/runner/shell-host';
import { createJobTiming } from '../../../src/runner/job-timing';

/** A shell host whose calls take `ms` of the hand-moved clock; `fail` makes them reject. */
function slowShell(clock: { t: number }, ms: number, fail = false): ShellHost & { closed: number } {
  const host = {
    closed: 0,
    pid: 4242,
    async call() {
      clock.t += ms;
      if (fail) throw new Error('the host died');
      return { ok: true as const, data: null, warnings: [] };
    },
    async close() {
      host.closed += 1;
      return { code: 0, signal: null, killed: false };
    },
  };
  return host as unknown as ShellHost & { closed: number };
}

describe('job timing', () => {
  it('splits the wall time into shell, journal and the rest', async () => {
    const clock = { t: 1000 };
    const timing = createJobTiming(() => clock.t);
    const shell = timing.timeShell(slowShell(clock, 5));
    await shell.call('server.version', {});
    await shell.call('accessEdge.get', {});
    clock.t += 3; // the runner's own work between calls
    timing.addJournal(2);
    clock.t += 2;
    expect(timing.summary(2)).toEqual({ steps: 2, wallMs: 15, shellMs: 10, journalMs: 2, otherMs: 3 });
  });

  it('counts a call that fails as shell time too, and passes close and pid through', async () => {
    const clock = { t: 0 };
    const timing = createJobTiming(() => clock.t);
    const inner = slowShell(clock, 7, true);
    const shell = timing.timeShell(inner);
    await expect(shell.call('server.version', {})).rejects.toThrow('the host died');
    expect(shell.pid).toBe(4242);
    await shell.close();
    expect(inner.closed).toBe(1);
    expect(timing.summary(0)).toMatchObject({ wallMs: 7, shellMs: 7, otherMs: 0 });
  });

  it('rounds to a tenth of a millisecond', () => {
    const clock = { t: 0 };
    const timing = createJobTiming(() => clock.t);
    clock.t = 1.23456;
    expect(timing.summary(1)).toEqual({ steps: 1, wallMs: 1.2, shellMs: 0, journalMs: 0, otherMs: 1.2 });
  });
});
