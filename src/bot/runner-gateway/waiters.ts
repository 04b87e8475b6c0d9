/**
 * The in-process registry of runners long-polling for a job (docs/architecture.md, Runner protocol): creating a job for a
 * label wakes every waiter with that label at once — no polling interval. A waiter registers
 * before it looks for a job, so a job created between "nothing for you" and "waiting" still
 * wakes it. Cross-instance wake-ups (PostgreSQL LISTEN/NOTIFY) would plug in here.
 */
export type WaitEnd = 'woken' | 'timeout' | 'gone' | 'closed';

export interface Waiter {
  /** Resolves when woken, after `ms`, when `abort` fires (the client went away) or on close. */
  wait(ms: number): Promise<WaitEnd>;
  /** Deregisters (when the runner got a job without waiting). */
  cancel(): void;
}

export interface LeaseWaiters {
  /** Registers a runner's interest in jobs for these (lower-case) labels. */
  register(labels: string[], onGone?: (abort: () => void) => void, runnerId?: string): Waiter;
  /** Wakes every waiter holding this label. */
  wake(label: string): void;
  /** Wakes one runner's waits (it was revoked: its long-poll should end now, not in 30 s). */
  wakeRunner(runnerId: string): void;
  /** How many runners are waiting (for tests and /readyz-like views). */
  size(): number;
  /** Ends every wait with 'closed' (server shutdown); later waits end at once. */
  close(): void;
  /** True once close() was called: a long-poll then gets its "no job" answer without leasing. */
  closed(): boolean;
}

interface Entry {
  labels: Set<string>;
  runnerId: string | null;
  woken: boolean;
  settle: ((end: WaitEnd) => void) | null;
}

export function createLeaseWaiters(): LeaseWaiters {
  const entries = new Set<Entry>();
  let closed = false;

  function finish(entry: Entry, end: WaitEnd): void {
    entries.delete(entry);
    const settle = entry.settle;
    entry.settle = null;
    settle?.(end);
  }

  return {
    register(labels, onGone, runnerId) {
      const entry: Entry = { labels: new Set(labels.map((l) => l.toLowerCase())), runnerId: runnerId ?? null, woken: false, settle: null };
      if (!closed) entries.add(entry);
      let goneEarly = false;
      onGone?.(() => {
        goneEarly = true;
        finish(entry, 'gone');
      });
      return {
        wait(ms) {
          if (closed) return Promise.resolve('closed');
          if (goneEarly) return Promise.resolve('gone');
          if (entry.woken) return Promise.resolve('woken');
          return new Promise<WaitEnd>((resolve) => {
            const timer = setTimeout(() => finish(entry, 'timeout'), Math.max(0, ms));
            entry.settle = (end) => {
              clearTimeout(timer);
              resolve(end);
            };
          });
        },
        cancel() {
          entries.delete(entry);
          entry.settle = null;
        },
      };
    },
    wake(label) {
      const wanted = label.toLowerCase();
      for (const entry of [...entries]) {
        if (!entry.labels.has(wanted)) continue;
        entry.woken = true;
        finish(entry, 'woken');
      }
    },
    wakeRunner(runnerId) {
      for (const entry of [...entries]) {
        if (entry.runnerId !== runnerId) continue;
        entry.woken = true;
        finish(entry, 'woken');
      }
    },
    size: () => entries.size,
    closed: () => closed,
    close() {
      closed = true;
      for (const entry of [...entries]) finish(entry, 'closed');
    },
  };
}
