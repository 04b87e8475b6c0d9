/**
 * The server's counters and gauges, one object built by the composition root (src/bot/compose.ts) and handed
 * to the areas through AppDeps. Names follow the Prometheus conventions (`_total` for counters),
 * so an HTTP `/metrics` route can print them as they are.
 */
export interface Metrics {
  /** Adds `by` (default 1) to a counter, creating it at 0 first. */
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: Record<string, string>): void;
  /** Every series as it is now: `name{label="value"}` → value, sorted by name. */
  snapshot(): Record<string, number>;
}

const series = (name: string, labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
};

export function createMetrics(): Metrics {
  const values = new Map<string, number>();
  return {
    inc(name, labels, by = 1) {
      const key = series(name, labels);
      values.set(key, (values.get(key) ?? 0) + by);
    },
    set(name, value, labels) {
      values.set(series(name, labels), value);
    },
    snapshot() {
      return Object.fromEntries([...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    },
  };
}
