import type { JobEnvelope } from '../contracts/runner-api';

/**
 * The server's own limits on a job, from its plan alone (no clock, no I/O).
 *
 * Time: every op has a budget, and a job's limit is the sum over what it runs: the reads that
 * check the state before and after (per user read), then per step its check, change and
 * verify read. A runner that goes on past it is stopped like one whose lease expired.
 */
const READ_BASE_MS = 120_000;
const READ_PER_USER_MS = 2_000;
const STEP_MS: Readonly<Record<string, number>> = {
  'externalAccessPolicy.grant': 30_000,
};
const DEFAULT_STEP_MS = 120_000;

/** How long a job may run once leased. */
export function jobTimeLimitMs(envelope: Pick<JobEnvelope, 'kind' | 'steps' | 'discovery'>): number {
  // apply/rollback read the whole scope twice (before the first change, after the last).
  const reads = envelope.kind === 'discover' ? 1 : 2;
  const readMs = reads * (READ_BASE_MS + READ_PER_USER_MS * envelope.discovery.users.length);
  return readMs + envelope.steps.reduce((sum, step) => sum + (STEP_MS[step.op] ?? DEFAULT_STEP_MS), 0);
}

/**
 * Events a job may store. A step sends two (started, finished) and a retry or a late delivery
 * may add a log line or two; four per step plus a fixed allowance of log lines keeps a
 * 5,000-user plan (one grant step per user) well inside while bounding what a runner can store.
 */
export const EVENTS_PER_STEP = 4;
export const LOG_EVENTS_ALLOWANCE = 1_000;

export function jobEventLimit(envelope: Pick<JobEnvelope, 'steps'>): number {
  // A discovery reports one "discover" step besides its read steps.
  return EVENTS_PER_STEP * (envelope.steps.length + 1) + LOG_EVENTS_ALLOWANCE;
}
