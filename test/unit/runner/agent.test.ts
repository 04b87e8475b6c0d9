/**
 * The agent loop against a hand-written gateway client (the port to the server): the lease stays
 * alive until the result is in. A job of thousands of steps leaves a backlog of events the server
 * may take longer than a lease to take in; without heartbeats meanwhile, the lease would lapse
 * and the finished job be marked interrupted.
 */
import { PROTOCOL_VERSION, type JobEnvelope, type JobEvent, type ResultRequest } from '../../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope } from '../../../src/contracts/signing';
import { createAgent } from '../../../src/runner/agent';
import type { GatewayClient, RawLease } from '../../../src/runner/gateway-client';
import { silentLogger } from '../../../src/shared/logger';
import { freshState } from '../../fixtures/load';
import { observedShell } from '../../fakes/observed-shell';

const keys = generateSigningKeys();

function discoveryLease(): RawLease {
  const envelope: JobEnvelope = {
    protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000001', kind: 'discover', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-11-28T14:00:00.000Z',
  };
  // A short lease: the agent heartbeats every 100 ms (a third of it, at least 100 ms).
  return { jobId: envelope.jobId, envelope, signature: signEnvelope(envelope, keys.privateKeyPem), leaseId: 'lease-1', leaseExpiresAt: '', leaseSeconds: 0.3, leaseWaitedMs: 0 };
}

describe('agent', () => {
  it('keeps heartbeating while the job\'s events are still being delivered, and stops once the result is in', async () => {
    const calls: string[] = [];
    let shellClosed = false;
    let beatsAfterJob = 0;
    let releaseEvents: () => void = () => undefined;
    const eventsHeld = new Promise<void>((resolve) => { releaseEvents = resolve; });
    let leases = 0;
    const results: ResultRequest[] = [];
    const shell = observedShell(freshState('lync2013'));
    const close = shell.close.bind(shell);
    shell.close = async () => {
      shellClosed = true;
      return close();
    };
    const agentRef: { stop(): void } = { stop: () => undefined };
    const client: GatewayClient = {
      enroll: async () => { throw new Error('not used'); },
      async lease(_wait, signal) {
        leases += 1;
        if (leases === 1) return discoveryLease();
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
        return null;
      },
      async events(_jobId, body: { events: JobEvent[] }) {
        calls.push(`events ${body.events.length}`);
        // The server is slow to take the events in: they are answered only after the job has
        // ended (its shell closed) and two more heartbeats came.
        await eventsHeld;
      },
      async heartbeat() {
        calls.push('heartbeat');
        if (shellClosed) beatsAfterJob += 1;
        if (beatsAfterJob === 2) releaseEvents();
        return { leaseExpiresAt: '', cancel: false };
      },
      async result(_jobId, body) {
        calls.push('result');
        results.push(body);
        agentRef.stop();
      },
      serverKey: async () => ({ serverKey: keys.publicKeyPem, rotations: [] }),
    };
    // The envelope checks (label, time limit, script hash) have their own tests: this one is about the lease.
    const agent = createAgent({ client, serverKey: keys.publicKeyPem, guard: { admit: () => null }, openShell: () => shell, logger: silentLogger() });
    agentRef.stop = () => agent.stop();
    await expect(agent.run()).resolves.toBe('stopped');
    expect(results).toEqual([expect.objectContaining({ leaseId: 'lease-1', status: 'succeeded' })]);
    expect(beatsAfterJob).toBeGreaterThanOrEqual(2);
    // No heartbeat after the result: the lease is done with.
    expect(calls[calls.length - 1]).toBe('result');
  });
});
