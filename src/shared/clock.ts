/** Time, injected so tests can move it (FakeClock in test/fakes). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
