/**
 * A deadline for awaiting something in a test, shorter than the test's own timeout, so a hang
 * fails with a message that names what was awaited instead of jest's bare "Exceeded timeout".
 */

/** jest.setTimeout stores the test timeout here (jest-circus); the config's 30 s otherwise. */
const TEST_TIMEOUT = Symbol.for('TEST_TIMEOUT_SYMBOL');
const CONFIG_TIMEOUT_MS = 30_000;
/** Room left for the test to report the failure before jest's own timeout. */
const MARGIN_MS = 1_000;

/** The default wait: just under the current test timeout. */
export function defaultWaitMs(): number {
  const set = (globalThis as Record<symbol, unknown>)[TEST_TIMEOUT];
  const timeout = typeof set === 'number' && set > 0 ? set : CONFIG_TIMEOUT_MS;
  return Math.max(timeout - MARGIN_MS, MARGIN_MS);
}

/** Resolves as `work` does, or rejects after `ms` with "timed out after N ms waiting for <what>". */
export function withDeadline<T>(work: Promise<T>, what: () => string, ms: number = defaultWaitMs()): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
