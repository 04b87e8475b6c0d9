/**
 * Where a job's time goes, logged once per job (`job timing`, info): the wall time from opening
 * the shell host to the last step's end, the part spent waiting on the shell (every op call, the
 * host's start included), the part spent appending and fsync'ing the job's journal (the step
 * events written before they are sent), and the rest — the runner's own work per step
 * (checks, verifies, events). `npm run bench` reads this line for its step-overhead figure.
 */
import type { OpName } from '../contracts/ops';
import type { ShellHost } from './shell-host';

export interface JobTimingSummary {
  steps: number;
  wallMs: number;
  shellMs: number;
  journalMs: number;
  otherMs: number;
}

export interface JobTiming {
  /** The same host, with the time of each call counted as shell time. */
  timeShell(host: ShellHost): ShellHost;
  /** Counts time spent writing the job's journal. */
  addJournal(ms: number): void;
  /** The split so far, over `steps` steps (ms with 0.1 precision). */
  summary(steps: number): JobTimingSummary;
}

const tenth = (ms: number) => Math.round(ms * 10) / 10;

export function createJobTiming(now: () => number = () => performance.now()): JobTiming {
  const started = now();
  let shellMs = 0;
  let journalMs = 0;
  return {
    timeShell(host) {
      const call = async (op: OpName, params: Record<string, unknown>) => {
        const t0 = now();
        try {
          return await host.call(op, params);
        } finally {
          shellMs += now() - t0;
        }
      };
      return {
        call: call as ShellHost['call'],
        close: () => host.close(),
        get pid() {
          return host.pid;
        },
      };
    },
    addJournal(ms) {
      journalMs += ms;
    },
    summary(steps) {
      const wallMs = now() - started;
      return { steps, wallMs: tenth(wallMs), shellMs: tenth(shellMs), journalMs: tenth(journalMs), otherMs: tenth(Math.max(0, wallMs - shellMs - journalMs)) };
    },
  };
}
