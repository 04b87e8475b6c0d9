/**
 * GET /metrics over real HTTP after real activity: chat turns and clicks, a refused channel, a
 * runner enrolling and leasing a discovery job, an approval card that Teams throttles once. The
 * exposition is parsed as Prometheus reads it, and each series is checked with its labels.
 */
import { freshState, requestFixture } from '../fixtures/load';
import { parseExposition, valueOf, type Exposition } from '../fakes/prometheus-text';
import { startHarness, appOf, type Harness } from './harness';
import { discover, httpRunner, requestApproval, seedRequest } from './plan-helpers';
import { channel, DANA, message, personalChat, TENANT_ID } from './teams-activities';

const APPROVALS = channel('approvals');
const REQ = 'req_0123456789abcdef';

async function scrape(h: Harness): Promise<{ status: number; contentType: string | null; exposition: Exposition | null; body: string }> {
  const res = await fetch(`${h.url}/metrics`);
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), exposition: res.status === 200 ? parseExposition(body) : null, body };
}

describe('GET /metrics', () => {
  let h: Harness;
  let e: Exposition;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        // The gate in local mode: Teams only, this tenant only.
        PICBOT_CHANNELS: 'msteams',
        PICBOT_TENANTS: TENANT_ID,
        PICBOT_APPROVALS_CONVERSATION: APPROVALS.channelId!,
      },
    });
    await h.say('help', { user: DANA, conversation: APPROVALS });
    await h.say('start');
    await h.say('no such command');
    await h.click('made.up.verb', {});
    const refused = await h.post({ ...message(h.connector.serviceUrl, personalChat(DANA), DANA, 'start'), channelId: 'webchat' });
    expect(refused.status).toBe(403);

    await seedRequest(h, REQ, requestFixture('global'), DANA);
    const runner = await httpRunner(h);
    await discover(h, REQ, DANA, runner, freshState('lync2013'));
    await appOf(h).plans.idle();
    // The approval card is the next proactive send: Teams throttles it once, the scheduler retries.
    h.connector.failNext(429);
    await requestApproval(h, REQ, DANA, APPROVALS);
    await appOf(h).plans.idle();

    const answer = await scrape(h);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    e = answer.exposition!;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('counts turns by kind, verb and outcome, unknown text and verbs as "other"', () => {
    expect(valueOf(e, 'picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' })).toBe(1);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'message', verb: 'help', outcome: 'ok' })).toBe(1);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'message', verb: 'other', outcome: 'ok' })).toBe(1);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'invoke', verb: 'other', outcome: 'refused' })).toBe(1);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'invoke', verb: 'request.discover', outcome: 'ok' })).toBe(1);
    expect(valueOf(e, 'picbot_turns_total', { kind: 'invoke', verb: 'plan.request', outcome: 'ok' })).toBe(1);
    expect(e.samples.some((s) => s.name === 'picbot_turns_total' && /made|such/.test(s.labels.verb ?? ''))).toBe(false);
  });

  it('counts the refused activity by channel and tenant', () => {
    expect(valueOf(e, 'picbot_refused_activities_total', { channel: 'webchat', tenant: TENANT_ID })).toBe(1);
  });

  it('counts card sends, and the 429 the scheduler retried', () => {
    expect(valueOf(e, 'picbot_card_throttled_total', { kind: 'send' })).toBe(1);
    expect(valueOf(e, 'picbot_cards_total', { kind: 'send', outcome: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(e, 'picbot_cards_total', { kind: 'send', outcome: 'failed' })).toBeUndefined();
  });

  it('reads jobs, approvals and runners from the store at scrape time', () => {
    expect(valueOf(e, 'picbot_jobs', { status: 'queued' })).toBe(0);
    expect(valueOf(e, 'picbot_jobs', { status: 'leased' })).toBe(0);
    expect(valueOf(e, 'picbot_jobs_finished_total', { status: 'succeeded' })).toBe(1);
    expect(valueOf(e, 'picbot_approvals_pending')).toBe(1);
    expect(valueOf(e, 'picbot_runners', { last_seen: '1m' })).toBe(1);
    expect(valueOf(e, 'picbot_runners', { last_seen: 'older' })).toBe(0);
  });

  it('has the lease pickup latency of the discovery job as a histogram', () => {
    expect(e.types.get('picbot_job_pickup_seconds')).toBe('histogram');
    expect(valueOf(e, 'picbot_job_pickup_seconds_count', { kind: 'discover' })).toBe(1);
    expect(valueOf(e, 'picbot_job_pickup_seconds_bucket', { kind: 'discover', le: '+Inf' })).toBe(1);
  });

  it('prints no database pool series on SQLite', () => {
    expect(e.samples.filter((s) => s.name === 'picbot_db_pool_clients')).toEqual([]);
  });

  it('a second server in the same process keeps its own series; PICBOT_METRICS=0 answers 404', async () => {
    const off = await startHarness({ env: { PICBOT_METRICS: '0' } });
    try {
      const answer = await scrape(off);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'not_found' } });
      await off.say('start');
      expect(valueOf((await scrape(h)).exposition!, 'picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' })).toBe(1);
      expect(valueOf(parseExposition((await off.server.deps.metrics.exposition()).text), 'picbot_turns_total', { kind: 'message', verb: 'start', outcome: 'ok' })).toBe(1);
    } finally {
      await off.close();
    }
  });
});
