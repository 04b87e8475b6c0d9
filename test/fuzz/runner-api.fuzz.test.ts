/**
 * Property tests over the runner API, over real loopback HTTP: generated bodies, Authorization
 * headers, content types and job ids for every route (enroll, lease, events, heartbeat, result),
 * with a real enrolled runner holding a real leased job, so a valid token and lease id turn up
 * among the generated ones. Whatever arrives: no 5xx, a JSON error for every 4xx, and a refused
 * call changes nothing stored (a runner's last-seen time aside: a valid token is the runner seen).
 * 2,500 generated cases per run.
 */
import { fc, test } from '@fast-check/jest';
import Database from 'better-sqlite3';
import { RUNNER_API_BASE } from '../../src/contracts/runner-api';
import { startHarness, type Harness } from '../integration/harness';

jest.setTimeout(240_000);

let h: Harness;
let runnerToken = '';
let enrollmentToken = '';
let jobId = '';
let leaseId = '';
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => void rejections.push(reason);

async function call(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${h.url}${RUNNER_API_BASE}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  h = await startHarness();
  ({ token: enrollmentToken } = await h.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'fuzz' }));
  const first = await h.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'fuzz' });
  const enrolled = await call('/enroll', JSON.stringify({ enrollmentToken: first.token, name: 'fuzz-runner', labels: ['pool-eu'] }), { 'content-type': 'application/json' });
  runnerToken = (enrolled.json as { runnerToken: string }).runnerToken;
  const job = await h.server.deps.jobs.create({
    kind: 'discover', target: 'pool-eu', profile: 'lync2013', discovery: { users: [], clientPolicyIdentities: [] },
    context: { purpose: 'discovery', requestId: null, planId: null, card: null }, createdBy: 'fuzz',
  });
  jobId = job.id;
  const lease = await call('/jobs/lease', JSON.stringify({ waitSeconds: 0 }), { 'content-type': 'application/json', authorization: `Bearer ${runnerToken}` });
  leaseId = (lease.json as { leaseId: string }).leaseId;
});
afterAll(async () => {
  await h?.close();
  process.off('unhandledRejection', onRejection);
});

/** Everything stored that a runner call could change, except runners.last_seen_at. */
function stored(): string {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    const dump = (sql: string) => JSON.stringify(db.prepare(sql).all());
    return [
      dump('SELECT * FROM jobs ORDER BY id'),
      dump('SELECT COUNT(*) AS n FROM job_events'),
      dump('SELECT id, name, labels, revoked_at FROM runners ORDER BY id'),
      dump('SELECT * FROM runner_enrollment_tokens ORDER BY token_hash'),
      dump('SELECT COUNT(*) AS n FROM audit_log'),
    ].join('\n');
  } finally {
    db.close();
  }
}

const text = fc.oneof(fc.string(), fc.constantFrom('', 'pool-eu', 'POOL-EU', '__proto__', 'succeeded', 'failed', 'step-finished', 'log', 'x'.repeat(70_000)));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(
    fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'leaseId', 'waitSeconds', 'seq', 'events', 'status', 'observed', 'error', 'enrollmentToken', 'name', 'labels', 'type', 'stepId', 'at')),
    tie('value'),
    { maxKeys: 6 },
  ),
})).value;

/** A body shaped like one of the real ones, with parts replaced by anything. */
const shaped = fc.oneof(
  fc.record({ enrollmentToken: fc.oneof(text, fc.constant('ENROLL')), name: fc.oneof(text, json), labels: fc.oneof(fc.array(text, { maxLength: 3 }), json) }, { requiredKeys: [] }),
  fc.record({ waitSeconds: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double(), json) }, { requiredKeys: [] }),
  fc.record({ leaseId: fc.oneof(text, fc.constant('LEASE')), seq: fc.oneof(fc.integer({ min: -2, max: 5 }), json), events: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('log', 'step-started', 'step-finished', 'nope'), at: text, level: fc.constantFrom('info', 'warn', 'bad'), message: text, stepId: text, status: text, durationMs: fc.oneof(fc.integer(), json) }, { requiredKeys: [] }), { maxLength: 3 }), json) }, { requiredKeys: [] }),
  fc.record({ leaseId: fc.oneof(text, fc.constant('LEASE')), status: fc.oneof(fc.constantFrom('succeeded', 'failed', 'aborted-drift', 'cancelled'), text), observed: json, error: json }, { requiredKeys: [] }),
  json,
);

const route = fc.constantFrom('/enroll', '/jobs/lease', '/jobs/JOB/events', '/jobs/JOB/heartbeat', '/jobs/JOB/result', '/jobs/job_0000000000000000/result', '/jobs/%2e%2e/result', '/jobs/JOB/nothing');
const auth = fc.oneof(fc.constant(undefined), fc.constant('TOKEN'), fc.constant('Bearer TOKEN'), fc.string().map((s) => `Bearer ${s}`), fc.string());
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);

/** Replaces the placeholders with the real token, lease id and job id. */
function real(value: unknown): unknown {
  if (value === 'ENROLL') return enrollmentToken;
  if (value === 'LEASE') return leaseId;
  if (Array.isArray(value)) return value.map(real);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = real(v);
    return out;
  }
  return value;
}

describe('the runner API under generated input', () => {
  test.prop([route, shaped, auth, contentType, fc.boolean()], { numRuns: 2500 })('never a 5xx; a refused call changes nothing stored', async (path, body, authorization, type, raw) => {
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    if (authorization) headers.authorization = authorization.replace('TOKEN', runnerToken);
    const sent = real(body);
    // A valid lease call with a wait would hold the connection up to 30 s: the generated waits are kept, the test is not.
    if (path === '/jobs/lease' && sent !== null && typeof sent === 'object' && typeof (sent as { waitSeconds?: unknown }).waitSeconds === 'number') (sent as { waitSeconds: number }).waitSeconds = Math.min((sent as { waitSeconds: number }).waitSeconds, 0);
    const payload = raw && typeof sent === 'string' ? sent : JSON.stringify(sent);
    const before = stored();
    const res = await call(path.replace('JOB', jobId), payload ?? '', headers);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.json).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(stored()).toBe(before);
    }
  });

  it('is still serving, and nothing was rejected unhandled', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(rejections).toEqual([]);
  });
});
