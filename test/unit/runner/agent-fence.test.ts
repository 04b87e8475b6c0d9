/**
 * The runner's fence, through the agent loop with a hand-written gateway client (the port the
 * agent talks to) and the observed-state shell fake. The client's heartbeat can be made to fail;
 * the test reads the order of what happened (steps started, heartbeats failed or answered), never
 * how long anything took.
 */
import type { ObservedState } from '../../../src/contracts/observed';
import { PROTOCOL_VERSION, type JobEnvelope, type ResultRequest } from '../../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope } from '../../../src/contracts/signing';
import { discoveryScope } from '../../../src/core/discovery-scope';
import { plan } from '../../../src/core/planner';
import { createAgent } from '../../../src/runner/agent';
import { discover } from '../../../src/runner/discover';
import { GatewayCallError, type GatewayClient, type RawLease } from '../../../src/runner/gateway-client';
import { silentLogger } from '../../../src/shared/logger';
import { observedShell } from '../../fakes/observed-shell';
import { freshState, requestFixture } from '../../fixtures/load';

jest.setTimeout(60_000);
const keys = generateSigningKeys();
/** Long enough that a busy machine never loses it by accident; the outages below are what end it. */
const LEASE_SECONDS = 6;

/** What reached the gateway; `at` is when it happened on the runner (events carry their own time). */
type StepEntry = { what: 'step-started' | 'step-finished'; stepId: string; at: number };
type Entry = StepEntry | { what: 'beat-failed' | 'beat-ok'; at: number } | { what: 'result'; body: ResultRequest; at: number };
const isStart = (e: Entry): e is StepEntry => e.what === 'step-started';

async function leaseFor(start: ObservedState): Promise<RawLease> {
  const request = requestFixture('user');
  const read = await discover(observedShell(start), discoveryScope(request));
  const planned = plan(request, read, 'lync2013');
  const envelope: JobEnvelope = {
    protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000001', kind: 'apply', target: 'pool-eu', profile: 'lync2013',
    discovery: discoveryScope(request), steps: planned.steps, expectedFingerprint: planned.fingerprint, planHash: planned.planHash,
    approvals: [], issuedAt: '2026-12-01T10:00:00.000Z',
  };
  steps = planned.steps;
  return { jobId: envelope.jobId, envelope, signature: signEnvelope(envelope, keys.privateKeyPem), leaseId: 'lease-1', leaseExpiresAt: '', leaseSeconds: LEASE_SECONDS, leaseWaitedMs: 0 };
}

/** A gateway whose heartbeat answers while `up`, and whose every call is put in `log`. */
function gateway(lease: RawLease, stop: () => void) {
  const log: Entry[] = [];
  let up = true;
  let leased = false;
  const waiters: { match: (e: Entry) => boolean; resolve: () => void }[] = [];
  const push = (e: Entry) => {
    log.push(e);
    for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  const client: GatewayClient = {
    enroll: async () => { throw new Error('not used'); },
    serverKey: async () => { throw new Error('not used'); },
    async lease(_wait, signal) {
      if (!leased) {
        leased = true;
        return lease;
      }
      await new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
      return null;
    },
    async events(_jobId, body) {
      if (!up) throw new GatewayCallError('network', 'connect ECONNREFUSED');
      for (const e of body.events) if (e.type !== 'log') push({ what: e.type, stepId: e.stepId, at: Date.parse(e.at) });
    },
    async heartbeat() {
      if (!up) {
        push({ what: 'beat-failed', at: Date.now() });
        throw new GatewayCallError('network', 'connect ECONNREFUSED');
      }
      push({ what: 'beat-ok', at: Date.now() });
      return { leaseExpiresAt: '', cancel: false, leaseSeconds: LEASE_SECONDS };
    },
    async result(_jobId, body) {
      if (!up) throw new GatewayCallError('network', 'connect ECONNREFUSED');
      push({ what: 'result', body, at: Date.now() });
      stop();
    },
  };
  return {
    client, log,
    setUp: (v: boolean) => { up = v; },
    next: (match: (e: Entry) => boolean) => new Promise<void>((resolve) => (log.some(match) ? resolve() : waiters.push({ match, resolve }))),
  };
}

/**
 * A shell that can be held: while held, its calls wait (the step in hand takes as long as the
 * test needs), so the outage below always falls inside a step, however fast the machine.
 */
function heldShell(start: ObservedState) {
  let release: () => void = () => undefined;
  // Held at the first change: the first call of the first step's op after the reads.
  const held = new Promise<void>((r) => { release = r; });
  let holding = true;
  const shell = observedShell(start, undefined, { delayMs: 20, gate: (op) => (holding && op === steps[0]!.op ? held : Promise.resolve()) });
  return {
    shell,
    release: () => {
      holding = false;
      release();
    },
  };
}

/** Resolves when `check` holds (polled); nothing here measures time. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

let steps: JobEnvelope['steps'] = [];

describe('the runner fence', () => {
  it('starts no step while heartbeats fail, and goes on once one succeeds while the lease is still valid', async () => {
    const start = freshState('lync2013');
    let stopAgent = () => undefined as void;
    const g = gateway(await leaseFor(start), () => stopAgent());
    const held = heldShell(start);
    const agent = createAgent({ client: g.client, serverKey: keys.publicKeyPem, guard: { admit: () => null }, openShell: () => held.shell, logger: silentLogger() });
    stopAgent = () => agent.stop();
    const ran = agent.run();
    // The first step starts and its change is held in the shell; then the server goes away.
    await until(() => held.shell.calls.some((c) => c.op === steps[0]!.op));
    g.setUp(false);
    await g.next((e) => e.what === 'beat-failed');
    const failed = g.log.find((e) => e.what === 'beat-failed')!.at;
    held.release();
    // The step in hand finishes; no other starts while the beats fail.
    await until(() => g.log.filter((e) => e.what === 'beat-failed').length >= 2);
    g.setUp(true);
    await ran;
    const okAgain = g.log.find((e) => e.what === 'beat-ok' && e.at >= failed)!.at;
    // Between the failed beat and the next good one, no step started; after it, the rest did.
    const starts = g.log.filter((e) => e.what === 'step-started').map((e) => e.at);
    expect(starts.filter((t) => t >= failed && t < okAgain)).toEqual([]);
    expect(starts.filter((t) => t >= okAgain).length).toBeGreaterThan(0);
    const result = g.log.find((e) => e.what === 'result');
    expect(result).toMatchObject({ body: { status: 'succeeded' } });
    expect(g.log.filter((e) => e.what === 'step-started')).toHaveLength(steps.length);
  });

  it('when heartbeats fail until the lease ends: finishes the step in hand, starts no other, and reports once the server answers', async () => {
    const start = freshState('lync2013');
    let stopAgent = () => undefined as void;
    const g = gateway(await leaseFor(start), () => stopAgent());
    const held = heldShell(start);
    const agent = createAgent({ client: g.client, serverKey: keys.publicKeyPem, guard: { admit: () => null }, openShell: () => held.shell, logger: silentLogger() });
    stopAgent = () => agent.stop();
    const ran = agent.run();
    await until(() => held.shell.calls.some((c) => c.op === steps[0]!.op));
    g.setUp(false);
    await g.next((e) => e.what === 'beat-failed');
    const failed = g.log.find((e) => e.what === 'beat-failed')!.at;
    held.release();
    // Down until the lease must have ended: every beat from now on fails for a lease's length and more.
    await new Promise((r) => setTimeout(r, (LEASE_SECONDS + 1) * 1000));
    g.setUp(true);
    await ran;
    const result = g.log.find((e): e is Extract<Entry, { what: 'result' }> => e.what === 'result')!;
    expect(result.body).toMatchObject({ status: 'cancelled', error: { code: 'lease_expired' } });
    // No step started after the failed heartbeat; the step in hand then was finished, and reported.
    const started = g.log.filter(isStart);
    expect(started.filter((e) => e.at >= failed)).toEqual([]);
    expect(started.length).toBeLessThan(steps.length);
    const finished = new Set(g.log.flatMap((e) => (e.what === 'step-finished' ? [e.stepId] : [])));
    expect(started.every((e) => finished.has(e.stepId))).toBe(true);
  });
});
