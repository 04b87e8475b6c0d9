/**
 * Where the server's series come from (src/bot/metrics.ts declares them; docs/deploy.md, Metrics,
 * lists them): the readings taken from the stores at each scrape, and the small adapters that
 * turn the card scheduler's, the job queue's, the router's and the activity gate's events into
 * counts. The composition root (src/bot/compose.ts) wires them.
 */
import type { Clock } from '../shared/clock';
import type { Metrics } from './metrics';
import type { TurnObserver } from './routing/observed-router';
import type { RefusedActivityCounter } from './teams/activity-gate';
import type { CardObserver } from './teams/card-scheduler';
import type { JobChange, JobQueue, PlanStore, RunnerRegistry } from './workflows/ports';

/** The database pool as the server reports it; null when there is none (SQLite). */
export interface PoolUse {
  /** Connections open. */
  total: number;
  /** Connections open and not in use. */
  idle: number;
  /** Clients waiting for a connection. */
  waiting: number;
}

/** Past this many rows a scrape-time count stops (reads the most recent ones); the series then says "at least". */
export const SCRAPE_COUNT_LIMIT = 10_000;

/** Distinct channel and tenant pairs counted apart; later pairs are counted as tenant "other". */
export const REFUSED_LABEL_PAIRS = 100;

/** Runner last-seen buckets: label and upper bound in seconds (exclusive buckets, the last one open). */
export const LAST_SEEN_BUCKETS: ReadonlyArray<readonly [string, number]> = [
  ['1m', 60],
  ['10m', 600],
  ['1h', 3600],
  ['older', Infinity],
];

/** The bucket a runner last seen `ageSeconds` ago falls in. */
export function lastSeenBucket(ageSeconds: number): string {
  return LAST_SEEN_BUCKETS.find(([, bound]) => ageSeconds < bound)![0];
}

/** Job statuses counted at scrape time: the ones a job leaves (ended jobs are counted as they end). */
const OPEN_JOB_STATUSES = ['queued', 'leased'] as const;

/** Adds the scrape-time readings of the gateway's stores: open jobs, runners by last seen, pool use. */
export function readGatewayAtScrape(metrics: Metrics, deps: {
  jobs: Pick<JobQueue, 'list'>;
  runners: Pick<RunnerRegistry, 'list'>;
  clock: Clock;
  poolUse: () => PoolUse | null;
}): void {
  metrics.onScrape('jobs', async () => {
    for (const status of OPEN_JOB_STATUSES) {
      const jobs = await deps.jobs.list({ statuses: [status], limit: SCRAPE_COUNT_LIMIT });
      metrics.set('picbot_jobs', jobs.length, { status });
    }
  });
  metrics.onScrape('runners', async () => {
    const now = deps.clock.now().getTime();
    const counts = new Map(LAST_SEEN_BUCKETS.map(([label]) => [label, 0]));
    for (const runner of await deps.runners.list()) {
      if (runner.revokedAt !== null) continue;
      const bucket = lastSeenBucket(Math.max(0, (now - Date.parse(runner.lastSeenAt)) / 1000));
      counts.set(bucket, counts.get(bucket)! + 1);
    }
    for (const [last_seen, count] of counts) metrics.set('picbot_runners', count, { last_seen });
  });
  metrics.onScrape('db-pool', () => {
    const use = deps.poolUse();
    metrics.clear('picbot_db_pool_clients');
    if (use === null) return;
    for (const state of ['total', 'idle', 'waiting'] as const) metrics.set('picbot_db_pool_clients', use[state], { state });
  });
}

/** Adds the scrape-time reading of the plans waiting for approval. */
export function readPlansAtScrape(metrics: Metrics, plans: Pick<PlanStore, 'list'>): void {
  metrics.onScrape('plans', async () => {
    metrics.set('picbot_approvals_pending', (await plans.list({ statuses: ['pending-approval'], limit: SCRAPE_COUNT_LIMIT })).length);
  });
}

/** Counts lease pickups (creation → lease) and ended jobs from the job queue's own changes. */
export function jobObserver(metrics: Metrics): (change: JobChange) => void {
  return (change) => {
    const { job } = change;
    if (change.type === 'leased' && job.leasedAt !== null) {
      metrics.observe('picbot_job_pickup_seconds', Math.max(0, Date.parse(job.leasedAt) - Date.parse(job.createdAt)) / 1000, { kind: job.kind });
    } else if (change.type === 'finished') {
      metrics.inc('picbot_jobs_finished_total', { status: job.status });
    }
  };
}

/** Counts the card scheduler's deliveries and every 429. */
export function cardObserver(metrics: Metrics): CardObserver {
  return {
    done: (kind, outcome) => metrics.inc('picbot_cards_total', { kind, outcome }),
    throttled: (kind) => metrics.inc('picbot_card_throttled_total', { kind }),
  };
}

/** Counts every turn by kind, verb and outcome. */
export function turnObserver(metrics: Metrics): TurnObserver {
  return (kind, verb, outcome) => metrics.inc('picbot_turns_total', { kind, verb, outcome });
}

/**
 * The gate's counter, also counted in picbot_refused_activities_total. Channel and tenant come
 * from the activity (the Bot Service vouches only that it sent it), so the distinct pairs are
 * bounded: past REFUSED_LABEL_PAIRS, a new pair counts as its channel and tenant "other".
 */
export function countRefusals(counter: RefusedActivityCounter, metrics: Metrics): RefusedActivityCounter {
  const labelled = new Set<string>();
  return {
    ...counter,
    add(channelId, tenantId) {
      counter.add(channelId, tenantId);
      const tenant = tenantId ?? 'none';
      const key = `${channelId}\u0000${tenant}`;
      if (!labelled.has(key) && labelled.size < REFUSED_LABEL_PAIRS) labelled.add(key);
      metrics.inc('picbot_refused_activities_total', labelled.has(key) ? { channel: channelId, tenant } : { channel: 'other', tenant: 'other' });
    },
  };
}
