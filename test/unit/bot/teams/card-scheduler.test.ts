import { createCardScheduler, TEAMS_CONVERSATION_LIMITS } from '../../../../src/bot/teams/card-scheduler';
import type { ChatNotifier } from '../../../../src/bot/workflows/ports';
import type { Card } from '../../../../src/bot/turn';
import { silentLogger } from '../../../../src/shared/logger';
import { fakeTimerClock, type FakeTimerClock } from '../../../fakes/timer-clock';

/** A ChatNotifier that records what reached the channel and when, and fails on demand. */
function recordingNotifier(clock: FakeTimerClock) {
  const calls: { at: number; kind: 'send' | 'update'; conversationId: string; activityId: string; card: Card }[] = [];
  const failures: { status: number; retryAfter?: string }[] = [];
  let n = 0;
  const maybeFail = () => {
    const f = failures.shift();
    if (f) {
      const headers = { get: (name: string) => (name === 'retry-after' ? f.retryAfter : undefined) };
      throw Object.assign(new Error(`channel said ${f.status}`), { statusCode: f.status, response: { status: f.status, headers } });
    }
  };
  const notifier: ChatNotifier = {
    async send(conversationId, card) {
      maybeFail();
      n += 1;
      calls.push({ at: clock.now(), kind: 'send', conversationId, activityId: `a${n}`, card });
      return `a${n}`;
    },
    async update(conversationId, activityId, card) {
      maybeFail();
      calls.push({ at: clock.now(), kind: 'update', conversationId, activityId, card });
    },
  };
  return { notifier, calls, failNext: (status: number, retryAfter?: string) => failures.push({ status, retryAfter }) };
}

const card = (text: string): Card => ({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] });
const textOf = (c: Card) => (c.body as { text: string }[])[0]!.text;

/** The most operations seen in any window of `windowMs` (sliding over every call time). */
function busiest(times: number[], windowMs: number): number {
  let max = 0;
  for (const start of times) max = Math.max(max, times.filter((t) => t >= start && t < start + windowMs).length);
  return max;
}

function setup() {
  const clock = fakeTimerClock(1_000_000);
  const rec = recordingNotifier(clock);
  const scheduler = createCardScheduler({ notifier: rec.notifier, clock, logger: silentLogger() });
  return { clock, rec, scheduler };
}

describe('card scheduler', () => {
  it('coalesces a burst of updates to one message: the first goes at once, then only the latest', async () => {
    const { clock, rec, scheduler } = setup();
    let state = 0;
    for (let i = 1; i <= 20; i += 1) {
      state = i;
      scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => card(`state ${state}`));
    }
    await clock.advance(5_000);
    await scheduler.idle();
    // The first was rendered when it went out; the other 19 became one update showing the latest.
    expect(rec.calls.map((c) => textOf(c.card))).toEqual(['state 1', 'state 20']);
  });

  it.each([
    { renderMs: 800, wantPauseMs: 8_000 },
    { renderMs: 5_000, wantPauseMs: 10_000 },
    { renderMs: 0, wantPauseMs: 0 },
  ])('after a render of $renderMs ms the conversation waits $wantPauseMs ms (ten times the render, at most 10 s)', async ({ renderMs, wantPauseMs }) => {
    const fake = fakeTimerClock(1_000_000);
    // Time the render itself takes: the scheduler reads the clock before and after it.
    let spent = 0;
    const clock = { now: () => fake.now() + spent, after: fake.after };
    const rec = recordingNotifier(clock as FakeTimerClock);
    const scheduler = createCardScheduler({ notifier: rec.notifier, clock, logger: silentLogger() });
    const expensive = async () => {
      spent += renderMs;
      return card('progress');
    };
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, expensive);
    await fake.settle();
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => card('later'));
    const otherMessage = scheduler.send('c1', card('a new message waits its turn too'));
    await fake.advance(30_000);
    await otherMessage;
    const [first, second, third] = rec.calls;
    expect(textOf(first!.card)).toBe('progress');
    expect(second!.at - first!.at).toBe(wantPauseMs);
    expect(textOf(second!.card)).toBe('later');
    expect(third!.kind).toBe('send');
  });

  it.each([
    { name: '30 sends', ops: 30 },
    { name: '100 sends', ops: 100 },
  ])('keeps $name in one conversation inside every Teams window', async ({ ops }) => {
    const { clock, rec, scheduler } = setup();
    const sent = Array.from({ length: ops }, (_, i) => scheduler.send('c1', card(`m${i}`)));
    await clock.advance(120_000);
    expect(await Promise.all(sent)).toHaveLength(ops);
    const times = rec.calls.map((c) => c.at);
    for (const [windowMs, max] of TEAMS_CONVERSATION_LIMITS) expect(busiest(times, windowMs)).toBeLessThanOrEqual(max);
    // In order, and not slower than needed: the first 7 go at once.
    expect(rec.calls.map((c) => textOf(c.card))).toEqual(Array.from({ length: ops }, (_, i) => `m${i}`));
    expect(times.slice(0, 7).every((t) => t === 1_000_000)).toBe(true);
    expect(times[7]).toBeGreaterThan(1_000_000);
  });

  it('counts answers sent inside turns without delaying them: proactive sends wait for the room they took', async () => {
    const { clock, rec, scheduler } = setup();
    // Seven answers inside turns, each done at once (the adapter sent them itself).
    for (let i = 0; i < 7; i += 1) scheduler.record('c1')();
    const proactive = [scheduler.send('c1', card('p1')), scheduler.send('c1', card('p2'))];
    await clock.advance(0);
    // 7 per second are used up, and 8 per 2 s leave room for one more.
    expect(rec.calls).toHaveLength(0);
    await clock.advance(1_000);
    expect(rec.calls.map((c) => [textOf(c.card), c.at])).toEqual([['p1', 1_001_000]]);
    await clock.advance(1_000);
    await Promise.all(proactive);
    expect(rec.calls.map((c) => [textOf(c.card), c.at])).toEqual([['p1', 1_001_000], ['p2', 1_002_000]]);
    // Another conversation is not held back by c1's answers.
    await scheduler.send('c2', card('elsewhere'));
    expect(rec.calls.at(-1)).toMatchObject({ conversationId: 'c2', at: 1_002_000 });
  });

  it('counts an answer from when it is done, not when it started', async () => {
    const { clock, rec, scheduler } = setup();
    const done = Array.from({ length: 7 }, () => scheduler.record('c1'));
    await clock.advance(500);
    for (const d of done) d();
    const p = scheduler.send('c1', card('after'));
    // Counted from their start it could go at 1_001_000; from when they were done, at 1_001_500.
    await clock.advance(999);
    expect(rec.calls).toHaveLength(0);
    await clock.advance(1);
    await p;
    expect(rec.calls.map((c) => c.at)).toEqual([1_001_500]);
  });

  it('limits each conversation on its own', async () => {
    const { clock, rec, scheduler } = setup();
    for (let i = 0; i < 7; i += 1) {
      void scheduler.send('c1', card(`one ${i}`));
      void scheduler.send('c2', card(`two ${i}`));
    }
    await clock.advance(0);
    expect(rec.calls.filter((c) => c.at === 1_000_000)).toHaveLength(14);
  });

  it.each([
    { status: 429, retryAfter: '3', wantDelay: 3_000 },
    { status: 429, retryAfter: undefined, wantDelay: 1_000 },
    { status: 412, retryAfter: undefined, wantDelay: 1_000 },
    { status: 502, retryAfter: undefined, wantDelay: 1_000 },
    { status: 504, retryAfter: undefined, wantDelay: 1_000 },
  ])('retries $status after $wantDelay ms', async ({ status, retryAfter, wantDelay }) => {
    const { clock, rec, scheduler } = setup();
    rec.failNext(status, retryAfter);
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => card('x'));
    await clock.advance(wantDelay - 1);
    expect(rec.calls).toHaveLength(0);
    await clock.advance(1);
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.at).toBe(1_000_000 + wantDelay);
  });

  it('backs off exponentially and gives up after the last attempt; a send then rejects', async () => {
    const { clock, rec, scheduler } = setup();
    for (let i = 0; i < 6; i += 1) rec.failNext(502);
    const sent = scheduler.send('c1', card('x'));
    const outcome = sent.then(() => 'sent', (e: Error) => e.message);
    await clock.advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000);
    expect(await outcome).toBe('channel said 502');
    expect(rec.calls).toHaveLength(0);
    // The lane is free again.
    const next = scheduler.send('c1', card('y'));
    await clock.advance(0);
    expect(await next).toBe('a1');
  });

  it.each([400, 403, 404, 500])('does not retry %s', async (status) => {
    const { clock, rec, scheduler } = setup();
    rec.failNext(status);
    const outcome = scheduler.send('c1', card('x')).then(() => 'sent', () => 'rejected');
    await clock.advance(60_000);
    expect(await outcome).toBe('rejected');
    expect(rec.calls).toHaveLength(0);
  });

  it('a newer update asked during a backoff goes instead of the failed one', async () => {
    const { clock, rec, scheduler } = setup();
    rec.failNext(429);
    let state = 'first';
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => card(state));
    await clock.advance(10);
    state = 'second';
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => card(state));
    await clock.advance(5_000);
    expect(rec.calls.map((c) => textOf(c.card))).toEqual(['second']);
  });

  it('skips an update whose render returns null and tells `sent` after a delivered one', async () => {
    const { clock, rec, scheduler } = setup();
    const delivered: string[] = [];
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => null, async () => { delivered.push('m1'); });
    scheduler.update({ conversationId: 'c1', activityId: 'm2' }, async () => card('two'), async () => { delivered.push('m2'); });
    await clock.advance(0);
    await scheduler.idle();
    expect(rec.calls.map((c) => c.activityId)).toEqual(['m2']);
    expect(delivered).toEqual(['m2']);
  });

  it('tells its observer each delivery, skip, give-up and 429', async () => {
    const clock = fakeTimerClock(1_000_000);
    const rec = recordingNotifier(clock);
    const seen: string[] = [];
    const scheduler = createCardScheduler({
      notifier: rec.notifier,
      clock,
      logger: silentLogger(),
      maxAttempts: 2,
      observer: { done: (kind, outcome) => seen.push(`${kind} ${outcome}`), throttled: (kind) => seen.push(`${kind} 429`) },
    });
    rec.failNext(429);
    const first = scheduler.send('c1', card('x'));
    await clock.advance(1_000);
    await first;
    scheduler.update({ conversationId: 'c1', activityId: 'm1' }, async () => null);
    await clock.advance(0);
    rec.failNext(429);
    rec.failNext(429);
    scheduler.update({ conversationId: 'c1', activityId: 'm2' }, async () => card('y'));
    await clock.advance(1_000);
    await scheduler.idle();
    expect(seen).toEqual(['send 429', 'send sent', 'update skipped', 'update 429', 'update 429', 'update failed']);
  });
});

describe('card scheduler with windows shared by several instances', () => {
  it('waits as long as the shared windows say (another instance used the room), then sends; an unreadable store paces by this instance alone', async () => {
    const clock = fakeTimerClock(1_000_000);
    const rec = recordingNotifier(clock);
    const answers = [1_500, 0];
    const asked: string[] = [];
    const noted: string[] = [];
    const shared = {
      reserve: async (conversationId: string) => {
        asked.push(conversationId);
        const next = answers.shift();
        if (next === undefined) throw new Error('database away');
        return next;
      },
      note: async (conversationId: string) => void noted.push(conversationId),
    };
    const scheduler = createCardScheduler({ notifier: rec.notifier, clock, logger: silentLogger(), shared });
    const sent = scheduler.send('c1', card('first'));
    await clock.advance(1_000);
    expect(rec.calls).toHaveLength(0);
    await clock.advance(600);
    await sent;
    expect(rec.calls.map((c) => [c.at - 1_000_000, textOf(c.card)])).toEqual([[1_500, 'first']]);
    // The shared store fails: the card still goes, paced by this process's own windows.
    await scheduler.send('c1', card('second'));
    expect(rec.calls.map((c) => textOf(c.card))).toEqual(['first', 'second']);
    expect(asked).toEqual(['c1', 'c1', 'c1']);
    // A reply inside a turn is counted in the shared windows too.
    scheduler.record('c2')();
    await clock.settle();
    expect(noted).toEqual(['c2']);
  });
});
