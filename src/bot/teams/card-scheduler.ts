/**
 * The card scheduler, one per server at the Teams edge: every proactive card send/update of every
 * area (intake, preflight, discovery, plans, drift, notices) goes through it, so nothing pushes a
 * conversation past Teams' per-conversation limits (7 per 1 s, 8 per 2 s, 60 per 30 s, 1,800 per
 * hour; https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit) and a
 * throttled or flaky answer is retried.
 *
 * - A reply inside a turn (the answer to the message or click being handled) is sent by the
 *   adapter at once and only recorded here (`record`): it counts in the windows, so proactive
 *   cards wait for the room it took, but it never waits itself.
 * - Updates are coalesced per message: asking to update a card that already waits replaces the
 *   waiting request, and the card is rendered when its turn comes (so it shows the latest state,
 *   never an older one than the update before it).
 * - Sends and updates of one conversation go out one at a time, in the order first asked.
 * - 429, 412, 502 and 504 are retried with exponential backoff (honouring Retry-After); other
 *   errors are logged and dropped (a send's promise rejects).
 * - Rendering is paid for in CPU: after an update whose render took R ms, the conversation's next
 *   operation waits RENDER_COST_FACTOR × R (at most MAX_RENDER_PAUSE_MS). A plan of thousands of
 *   steps renders in about a second, and re-rendering it for every progress batch would starve
 *   the server (runner events, other turns); a small card renders in milliseconds and is not held.
 * - Several instances (PostgreSQL): each operation also reserves its place in the conversation's
 *   windows kept in the database (`shared`, src/bot/stores/card-windows.ts), so two instances
 *   posting into one conversation together stay within the same limits.
 */
import type { Logger } from '../../shared/logger';
import type { Card } from '../turn';
import type { CardScheduler, TimerClock } from '../workflows/card-scheduler';
import type { CardRef, ChatNotifier } from '../workflows/ports';

export type { CardScheduler, TimerClock };

export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/** [window in ms, most operations allowed in it], per conversation (Teams' documented limits). */
export const TEAMS_CONVERSATION_LIMITS: ReadonlyArray<readonly [number, number]> = [
  [1_000, 7],
  [2_000, 8],
  [30_000, 60],
  [3_600_000, 1_800],
];

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 504]);

/** Progress renders get at most about a tenth of the CPU, and never hold a card back over 10 s. */
export const RENDER_COST_FACTOR = 10;
export const MAX_RENDER_PAUSE_MS = 10_000;

/** What the scheduler tells as it goes (the server's metrics listen; src/bot/metrics.ts). */
export interface CardObserver {
  /** An operation ended: reached the channel, was skipped (its render returned null), or was given up. */
  done(kind: 'send' | 'update', outcome: 'sent' | 'skipped' | 'failed'): void;
  /** The channel answered 429 (Teams throttled the conversation); `reply` is an answer inside a turn. */
  throttled(kind: 'send' | 'update' | 'reply'): void;
}

/**
 * How long until one more operation fits every window, given the times (ms) of the operations
 * in them (oldest first).
 */
export function windowWait(history: readonly number[], now: number, limits: ReadonlyArray<readonly [number, number]>): number {
  let wait = 0;
  for (const [windowMs, max] of limits) {
    const inWindow = history.filter((t) => t > now - windowMs);
    if (inWindow.length >= max) wait = Math.max(wait, inWindow[inWindow.length - max]! + windowMs - now);
  }
  return wait;
}

/** The per-conversation windows every instance shares (in the database). */
export interface SharedCardWindows {
  /** Takes a place for one operation now (0), or says how many ms to wait before asking again. */
  reserve(conversationId: string, limits: ReadonlyArray<readonly [number, number]>): Promise<number>;
  /** Counts an operation that did not ask (a reply inside a turn). */
  note(conversationId: string): Promise<void>;
}

export interface CardSchedulerOptions {
  notifier: ChatNotifier;
  /** Several instances: the windows in the database as well as this process's own. */
  shared?: SharedCardWindows;
  observer?: CardObserver;
  clock: TimerClock;
  logger: Logger;
  limits?: ReadonlyArray<readonly [number, number]>;
  /** First retry delay; doubled each time up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Attempts per operation, the first included. */
  maxAttempts?: number;
}

/** The HTTP status of a failed channel call, if it had one (botbuilder's RestError says `statusCode`). */
export function channelStatus(err: unknown): number | null {
  const e = err as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  for (const v of [e?.statusCode, e?.status, e?.response?.status]) if (typeof v === 'number') return v;
  return null;
}

/** Retry-After (seconds) of a throttled answer, in ms, if the channel sent one. */
function retryAfterMs(err: unknown): number | null {
  const headers = (err as { response?: { headers?: { get?: (name: string) => string | undefined } } } | null)?.response?.headers;
  const raw = typeof headers?.get === 'function' ? headers.get('retry-after') : undefined;
  const seconds = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

type Op =
  | { kind: 'update'; key: string; target: CardRef; render: () => Promise<Card | null>; sent?: () => Promise<void>; attempts: number }
  | { kind: 'send'; key: string; card: Card; resolve: (id: string) => void; reject: (err: unknown) => void; attempts: number };

interface Lane {
  queue: Op[];
  /** Times (ms) of the operations that reached the channel, oldest first, kept for the longest window. */
  history: number[];
  running: boolean;
  /** No operation before this time (ms): the pause the last render's cost asks for. */
  notBefore: number;
}

export function createCardScheduler(options: CardSchedulerOptions): CardScheduler {
  const { notifier, clock, logger, observer } = options;
  const limits = options.limits ?? TEAMS_CONVERSATION_LIMITS;
  const longest = Math.max(...limits.map(([w]) => w));
  const backoff = options.backoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 6;
  const lanes = new Map<string, Lane>();
  const idleWaiters: (() => void)[] = [];
  let sendCounter = 0;

  const lane = (conversationId: string): Lane => {
    let l = lanes.get(conversationId);
    if (!l) {
      l = { queue: [], history: [], running: false, notBefore: 0 };
      lanes.set(conversationId, l);
    }
    return l;
  };

  /** How long until one more operation fits every window. */
  function waitFor(l: Lane, now: number): number {
    while (l.history.length > 0 && l.history[0]! <= now - longest) l.history.shift();
    return windowWait(l.history, now, limits);
  }

  /** The shared windows' answer: 0 when a place is taken; an unreachable database does not stop cards (local windows still hold). */
  async function sharedWait(conversationId: string): Promise<number> {
    if (!options.shared) return 0;
    try {
      return await options.shared.reserve(conversationId, limits);
    } catch (err) {
      logger.warn({ err, conversationId }, 'the shared card windows could not be read; pacing by this instance alone');
      return 0;
    }
  }

  /**
   * Moves an operation's time from when it started to now, when it is done: the channel counts it
   * when it arrives, which may be a little later than it started.
   */
  function restamp(l: Lane, started: number): void {
    const i = l.history.indexOf(started);
    if (i < 0) return;
    l.history.splice(i, 1);
    const now = clock.now();
    let at = l.history.length;
    while (at > 0 && l.history[at - 1]! > now) at -= 1;
    l.history.splice(at, 0, now);
  }

  function settleIdle(): void {
    if ([...lanes.values()].some((l) => l.running || l.queue.length > 0)) return;
    for (const w of idleWaiters.splice(0)) w();
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => clock.after(ms, resolve));

  async function attempt(conversationId: string, l: Lane, op: Op): Promise<void> {
    if (op.kind === 'send') {
      op.resolve(await notifier.send(conversationId, op.card));
      observer?.done('send', 'sent');
      return;
    }
    const started = clock.now();
    const card = await op.render();
    const renderMs = clock.now() - started;
    l.notBefore = clock.now() + Math.min(MAX_RENDER_PAUSE_MS, RENDER_COST_FACTOR * renderMs);
    if (card === null) {
      observer?.done('update', 'skipped');
      return;
    }
    await notifier.update(op.target.conversationId, op.target.activityId, card);
    observer?.done('update', 'sent');
    await op.sent?.();
  }

  async function drain(conversationId: string, l: Lane): Promise<void> {
    l.running = true;
    try {
      while (l.queue.length > 0) {
        const now = clock.now();
        const wait = Math.max(waitFor(l, now), l.notBefore - now);
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        // Only with shared windows: a lone process takes its first operation at once (no await).
        const elsewhere = options.shared ? await sharedWait(conversationId) : 0;
        if (elsewhere > 0) {
          await sleep(elsewhere);
          continue;
        }
        const op = l.queue.shift()!;
        op.attempts += 1;
        const started = clock.now();
        l.history.push(started);
        try {
          await attempt(conversationId, l, op);
          restamp(l, started);
        } catch (err) {
          restamp(l, started);
          const status = channelStatus(err);
          if (status === 429) observer?.throttled(op.kind);
          const retry = status !== null && RETRYABLE_STATUSES.has(status) && op.attempts < maxAttempts;
          if (retry) {
            // A newer update for the same message may have arrived meanwhile: it goes instead.
            if (!l.queue.some((o) => o.key === op.key)) l.queue.unshift(op);
            const delay = retryAfterMs(err) ?? Math.min(maxBackoff, backoff * 2 ** (op.attempts - 1));
            logger.warn({ conversationId, status, attempt: op.attempts, delayMs: delay, kind: op.kind }, 'card delivery throttled or failed; retrying');
            await sleep(delay);
            continue;
          }
          logger.error({ err, conversationId, status, attempts: op.attempts, kind: op.kind }, `card ${op.kind} failed; giving up`);
          observer?.done(op.kind, 'failed');
          if (op.kind === 'send') op.reject(err);
        }
      }
    } finally {
      l.running = false;
      settleIdle();
    }
  }

  function enqueue(conversationId: string, op: Op): void {
    const l = lane(conversationId);
    const i = l.queue.findIndex((o) => o.key === op.key);
    if (i >= 0) l.queue[i] = op;
    else l.queue.push(op);
    // Runs on in the background; drain() handles each operation's failure itself.
    if (!l.running) void drain(conversationId, l).catch((err: unknown) => logger.error({ err, conversationId }, 'the card queue stopped'));
  }

  return {
    update(target, render, sent) {
      enqueue(target.conversationId, { kind: 'update', key: `u:${target.activityId}`, target, render, sent, attempts: 0 });
    },
    send(conversationId, card) {
      return new Promise((resolve, reject) => {
        sendCounter += 1;
        enqueue(conversationId, { kind: 'send', key: `s:${sendCounter}`, card, resolve, reject, attempts: 0 });
      });
    },
    record(conversationId) {
      // Counted, never queued: the turn sends it itself.
      const l = lane(conversationId);
      const now = clock.now();
      while (l.history.length > 0 && l.history[0]! <= now - longest) l.history.shift();
      l.history.push(now);
      options.shared?.note(conversationId).catch((err: unknown) => logger.warn({ err, conversationId }, 'counting a reply in the shared card windows failed'));
      return () => restamp(l, now);
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
}
