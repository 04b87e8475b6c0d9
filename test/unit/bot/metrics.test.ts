import { createMetrics, METRIC_DEFINITIONS } from '../../../src/bot/metrics';
import { parseExposition, valueOf } from '../../fakes/prometheus-text';

describe('createMetrics', () => {
  it('prints counters, gauges and histograms in the Prometheus text format, with TYPE and HELP', async () => {
    const m = createMetrics();
    m.inc('picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' });
    m.inc('picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' }, 2);
    m.set('picbot_approvals_pending', 4);
    m.observe('picbot_job_pickup_seconds', 0.3, { kind: 'discover' });
    const { contentType, text } = await m.exposition();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const e = parseExposition(text);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' })).toBe(3);
    expect(valueOf(e, 'picbot_approvals_pending')).toBe(4);
    expect(valueOf(e, 'picbot_job_pickup_seconds_count', { kind: 'discover' })).toBe(1);
    expect(valueOf(e, 'picbot_job_pickup_seconds_bucket', { kind: 'discover', le: '0.25' })).toBe(0);
    expect(valueOf(e, 'picbot_job_pickup_seconds_bucket', { kind: 'discover', le: '0.5' })).toBe(1);
    for (const [name, def] of Object.entries(METRIC_DEFINITIONS)) {
      expect(e.types.get(name)).toBe(def.type);
      expect(e.help.get(name)).toBe(def.help);
    }
  });

  it('keeps the snapshot of counters and gauges that callers read', () => {
    const m = createMetrics();
    m.inc('picbot_drift_checks_total', { result: 'drift' });
    m.set('picbot_drifts_open', 2);
    m.inc('picbot_drift_restore_plans_total');
    expect(m.snapshot()).toEqual({
      'picbot_drift_checks_total{result="drift"}': 1,
      picbot_drift_restore_plans_total: 1,
      picbot_drifts_open: 2,
    });
  });

  it.each([
    { what: 'an undeclared name', call: (m: ReturnType<typeof createMetrics>) => m.inc('picbot_nothing_total'), want: /picbot_nothing_total is not a declared counter/ },
    { what: 'a gauge as a counter', call: (m: ReturnType<typeof createMetrics>) => m.inc('picbot_drifts_open'), want: /not a declared counter/ },
    { what: 'a missing label', call: (m: ReturnType<typeof createMetrics>) => m.inc('picbot_turns_total', { kind: 'message' }), want: /takes the labels \[kind, verb, outcome\], not \[kind\]/ },
    { what: 'an extra label', call: (m: ReturnType<typeof createMetrics>) => m.set('picbot_approvals_pending', 1, { tenant: 'x' }), want: /takes the labels \[\], not \[tenant\]/ },
    { what: 'observing a counter', call: (m: ReturnType<typeof createMetrics>) => m.observe('picbot_cards_total', 1, { kind: 'send', outcome: 'sent' }), want: /not a declared histogram/ },
  ])('refuses $what', ({ call, want }) => {
    expect(() => call(createMetrics())).toThrow(want);
  });

  it('gives each server its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.inc('picbot_cards_total', { kind: 'send', outcome: 'sent' });
    expect(valueOf(parseExposition((await a.exposition()).text), 'picbot_cards_total', { kind: 'send', outcome: 'sent' })).toBe(1);
    expect(valueOf(parseExposition((await b.exposition()).text), 'picbot_cards_total', { kind: 'send', outcome: 'sent' })).toBeUndefined();
  });

  it('runs the scrape-time readings before each scrape; a failing one is counted and the rest still print', async () => {
    const m = createMetrics();
    let pending = 0;
    m.onScrape('broken', () => {
      throw new Error('the database is locked');
    });
    m.onScrape('plans', async () => m.set('picbot_approvals_pending', ++pending));
    const first = parseExposition((await m.exposition()).text);
    const second = parseExposition((await m.exposition()).text);
    expect(valueOf(first, 'picbot_approvals_pending')).toBe(1);
    expect(valueOf(second, 'picbot_approvals_pending')).toBe(2);
    expect(valueOf(second, 'picbot_metrics_collect_errors_total', { source: 'broken' })).toBe(2);
  });

  it('clear drops a gauge\'s series', async () => {
    const m = createMetrics();
    m.set('picbot_db_pool_clients', 3, { state: 'total' });
    m.clear('picbot_db_pool_clients');
    const e = parseExposition((await m.exposition()).text);
    expect(e.samples.filter((s) => s.name === 'picbot_db_pool_clients')).toEqual([]);
    expect(m.snapshot()).toEqual({});
  });

  it('escapes label values in the exposition', async () => {
    const m = createMetrics();
    m.inc('picbot_refused_activities_total', { channel: 'web"chat', tenant: 'a\\b\nc' });
    const e = parseExposition((await m.exposition()).text);
    expect(valueOf(e, 'picbot_refused_activities_total', { channel: 'web"chat', tenant: 'a\\b\nc' })).toBe(1);
  });
});
