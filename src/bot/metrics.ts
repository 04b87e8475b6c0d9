/**
 * The server's counters, gauges and histograms, one object built by the composition root
 * (src/bot/compose.ts) and handed to the areas through AppDeps. It is backed by a prom-client
 * Registry of its own (never prom-client's global one), so two servers in one process, as in the
 * tests, keep apart; `GET /metrics` prints it in the Prometheus text format
 * (http/metrics-route.ts). Every series is declared in METRIC_DEFINITIONS with its help text and
 * labels: a name or label not declared there is a programming error and throws. The series are
 * listed in docs/deploy.md, "Metrics".
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CodedError } from '../shared/errors';
import type { Logger } from '../shared/logger';

type Definition =
  | { type: 'counter' | 'gauge'; help: string; labels: readonly string[] }
  | { type: 'histogram'; help: string; labels: readonly string[]; buckets: readonly number[] };

/** Every series the server exports: name → type, help text and label names. */
export const METRIC_DEFINITIONS = {
  picbot_turns_total: { type: 'counter', help: 'Turns handled, by kind (message, invoke, added), verb (the card verb or command; "other" for unknown text) and outcome (ok, refused, error).', labels: ['kind', 'verb', 'outcome'] },
  picbot_cards_total: { type: 'counter', help: 'Proactive card sends and updates through the card scheduler, by kind (send, update) and outcome (sent, skipped, failed).', labels: ['kind', 'outcome'] },
  picbot_card_throttled_total: { type: 'counter', help: 'HTTP 429 answers of the Bot Connector, by kind (send, update: the card scheduler retries them; reply: an answer inside a turn).', labels: ['kind'] },
  picbot_jobs: { type: 'gauge', help: 'Jobs not yet ended, by status (queued, leased), read from the store at scrape time.', labels: ['status'] },
  picbot_jobs_finished_total: { type: 'counter', help: 'Jobs this instance saw end, by final status.', labels: ['status'] },
  picbot_job_pickup_seconds: { type: 'histogram', help: 'Time from a job\'s creation to its lease by a runner, by job kind.', labels: ['kind'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600] },
  picbot_approvals_pending: { type: 'gauge', help: 'Plans waiting for approval, read from the store at scrape time.', labels: [] },
  picbot_runners: { type: 'gauge', help: 'Enrolled runners not revoked, by when they were last seen (last_seen: 1m, 10m, 1h: within that time and not a shorter one; older).', labels: ['last_seen'] },
  picbot_db_pool_clients: { type: 'gauge', help: 'The PostgreSQL connection pool: total and idle connections, and clients waiting for one (absent on SQLite).', labels: ['state'] },
  picbot_refused_activities_total: { type: 'counter', help: 'Activities refused for their channel or tenant (docs/deploy.md, Channels and tenants); past 100 channel and tenant pairs the rest count as channel and tenant "other".', labels: ['channel', 'tenant'] },
  picbot_drift_checks_total: { type: 'counter', help: 'Drift checks compared, by result.', labels: ['result'] },
  picbot_drifts_open: { type: 'gauge', help: 'Drift alerts open.', labels: [] },
  picbot_drift_restore_plans_total: { type: 'counter', help: 'Restore plans put up from drift alerts.', labels: [] },
  picbot_metrics_collect_errors_total: { type: 'counter', help: 'Scrape-time reads that failed (the series they fill keep their last value); the log says which.', labels: ['source'] },
} as const satisfies Record<string, Definition>;

export type MetricName = keyof typeof METRIC_DEFINITIONS;

export interface Metrics {
  /** Adds `by` (default 1) to a counter, creating the series at 0 first. */
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: Record<string, string>): void;
  /** Drops every series of a gauge (a scrape-time reading that found nothing to report). */
  clear(name: string): void;
  /** Records one observation in a histogram. */
  observe(name: string, value: number, labels?: Record<string, string>): void;
  /** Counters and gauges as they are now: `name{label="value"}` → value, sorted by name (histograms are left out). */
  snapshot(): Record<string, number>;
  /**
   * Adds a reading run before each scrape (store counts, pool use). `source` names it in the
   * log and in picbot_metrics_collect_errors_total when it throws; the scrape goes on without it.
   */
  onScrape(source: string, read: () => Promise<void> | void): void;
  /** Runs the scrape-time readings, then renders every series in the Prometheus text format. */
  exposition(): Promise<{ contentType: string; text: string }>;
}

const seriesKey = (name: string, labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
};

type Instrument = Counter<string> | Gauge<string> | Histogram<string>;

/** Builds the metrics of one server on a registry of its own. */
export function createMetrics(options: { logger?: Logger } = {}): Metrics {
  const registry = new Registry();
  const instruments = new Map<string, Instrument>();
  for (const [name, def] of Object.entries(METRIC_DEFINITIONS) as [string, Definition][]) {
    const common = { name, help: def.help, labelNames: [...def.labels], registers: [registry] };
    if (def.type === 'histogram') instruments.set(name, new Histogram({ ...common, buckets: [...def.buckets] }));
    else instruments.set(name, def.type === 'counter' ? new Counter(common) : new Gauge(common));
  }
  // The last value of each counter and gauge series, for snapshot() (prom-client reads are async).
  const values = new Map<string, number>();
  const readings: { source: string; read: () => Promise<void> | void }[] = [];

  function instrument<T extends Instrument>(name: string, kind: new (...args: never[]) => T, labels: Record<string, string>): T {
    const found = instruments.get(name);
    if (!(found instanceof kind)) throw new CodedError('config_invalid', `metrics: ${name} is not a declared ${kind.name.toLowerCase()} (METRIC_DEFINITIONS in src/bot/metrics.ts)`);
    const declared: readonly string[] = METRIC_DEFINITIONS[name as MetricName].labels;
    const given = Object.keys(labels);
    if (given.length !== declared.length || given.some((l) => !declared.includes(l))) {
      throw new CodedError('config_invalid', `metrics: ${name} takes the labels [${declared.join(', ')}], not [${given.join(', ')}]`);
    }
    return found;
  }

  const metrics: Metrics = {
    inc(name, labels = {}, by = 1) {
      instrument(name, Counter, labels).inc(labels, by);
      const key = seriesKey(name, labels);
      values.set(key, (values.get(key) ?? 0) + by);
    },
    set(name, value, labels = {}) {
      instrument(name, Gauge, labels).set(labels, value);
      values.set(seriesKey(name, labels), value);
    },
    clear(name) {
      const gauge = instruments.get(name);
      if (!(gauge instanceof Gauge)) throw new CodedError('config_invalid', `metrics: ${name} is not a declared gauge (METRIC_DEFINITIONS in src/bot/metrics.ts)`);
      gauge.reset();
      for (const key of [...values.keys()]) if (key === name || key.startsWith(`${name}{`)) values.delete(key);
    },
    observe(name, value, labels = {}) {
      instrument(name, Histogram, labels).observe(labels, value);
    },
    snapshot() {
      return Object.fromEntries([...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    },
    onScrape(source, read) {
      readings.push({ source, read });
    },
    async exposition() {
      // One after another: they share the database, and a scrape is not in a hurry.
      for (const { source, read } of readings) {
        try {
          await read();
        } catch (err) {
          options.logger?.warn({ err, source }, 'reading a metric at scrape time failed; its series keep their last value');
          metrics.inc('picbot_metrics_collect_errors_total', { source });
        }
      }
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
  return metrics;
}
