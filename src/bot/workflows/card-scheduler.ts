/**
 * The card update scheduler: every proactive card send/update goes through it, so a busy job
 * never pushes a conversation past Teams' per-conversation limits (7 per 1 s, 8 per 2 s, 60 per
 * 30 s, 1,800 per hour) and a throttled or flaky answer is retried.
 *
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
 */
import type { Logger } from '../../shared/logger';
import type { Card } from '../turn';
import type { CardRef, ChatNotifier } from './ports';

/** Time and timers, injected so tests move them by hand. */
export interface TimerClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

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

export interface CardSchedulerOptions {
  notifier: ChatNotifier;
  clock: TimerClock;
  logger: Logger;
  limits?: ReadonlyArray<readonly [number, number]>;
  /** First retry delay; doubled each time up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Attempts per operation, the first included. */
  maxAttempts?: number;
}

export interface CardScheduler {
  /**
   * Replaces the card message with what `render` returns when its turn comes. A later request for
   * the same message before this one went out replaces it. `render` returning null skips it.
   * `sent` is called after the update reached the channel.
   */
  update(target: CardRef, render: () => Promise<Card | null>, sent?: () => Promise<void>): void;
  /** Sends a new card message when the conversation's budget allows; resolves with its activity id. */
  send(conversationId: string, card: Card): Promise<string>;
  /** Resolves when nothing is waiting or in flight (tests, shutdown). */
  idle(): Promise<void>;
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
  const { notifier, clock, logger } = options;
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
    let wait = 0;
    for (const [windowMs, max] of limits) {
      const inWindow = l.history.filter((t) => t > now - windowMs);
      if (inWindow.length >= max) wait = Math.max(wait, inWindow[inWindow.length - max]! + windowMs - now);
    }
    return wait;
  }

  function settleIdle(): void {
    if ([...lanes.values()].some((l) => l.running || l.queue.length > 0)) return;
    for (const w of idleWaiters.splice(0)) w();
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => clock.after(ms, resolve));

  async function attempt(conversationId: string, l: Lane, op: Op): Promise<void> {
    if (op.kind === 'send') {
      op.resolve(await notifier.send(conversationId, op.card));
      return;
    }
    const started = clock.now();
    const card = await op.render();
    const renderMs = clock.now() - started;
    l.notBefore = clock.now() + Math.min(MAX_RENDER_PAUSE_MS, RENDER_COST_FACTOR * renderMs);
    if (card === null) return;
    await notifier.update(op.target.conversationId, op.target.activityId, card);
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
        const op = l.queue.shift()!;
        op.attempts += 1;
        l.history.push(clock.now());
        try {
          await attempt(conversationId, l, op);
        } catch (err) {
          const status = channelStatus(err);
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
    if (!l.running) void drain(conversationId, l);
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
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
}
