import type { JobEvent } from '../../../src/contracts/runner-api';
import { createEventSender } from '../../../src/runner/event-sender';
import { GatewayCallError, type GatewayClient } from '../../../src/runner/gateway-client';
import { silentLogger } from '../../../src/shared/logger';

const ev = (n: number): JobEvent => ({ type: 'log', at: '2026-01-01T00:00:00.000Z', level: 'info', message: `e${n}` });

/** A runner API fake: records every events call and answers from a script (then ok). */
function fakeClient(script: (GatewayCallError | null)[]) {
  const calls: { seq: number; messages: string[] }[] = [];
  const client: Pick<GatewayClient, 'events'> = {
    async events(_jobId, body) {
      calls.push({ seq: body.seq, messages: body.events.map((e) => (e.type === 'log' ? e.message : e.type)) });
      const next = script.shift();
      if (next) throw next;
    },
  };
  return { client, calls };
}

const make = (client: Pick<GatewayClient, 'events'>) => createEventSender({ client, jobId: 'job_0123456789abcdef', leaseId: 'l', logger: silentLogger(), sleep: async () => undefined });

describe('event sender', () => {
  it('sends in order, numbering batches, and batches what arrives meanwhile', async () => {
    const { client, calls } = fakeClient([]);
    const sender = make(client);
    sender.push(ev(1));
    sender.push(ev(2));
    sender.push(ev(3));
    await sender.flush();
    expect(calls).toEqual([{ seq: 0, messages: ['e1'] }, { seq: 1, messages: ['e2', 'e3'] }]);
  });

  it('with a coalescing wait, events pushed within it go out as one batch, and flush() sends at once', async () => {
    const { client, calls } = fakeClient([]);
    const sender = createEventSender({ client, jobId: 'job_0123456789abcdef', leaseId: 'l', logger: silentLogger(), sleep: async () => undefined, coalesceMs: 60_000 });
    sender.push(ev(1));
    await Promise.resolve();
    sender.push(ev(2));
    sender.push(ev(3));
    expect(calls).toEqual([]);
    // A wait of a minute is cut short by flush (the test would time out otherwise).
    await sender.flush();
    expect(calls).toEqual([{ seq: 0, messages: ['e1', 'e2', 'e3'] }]);
  });

  it('keeps each batch under 1 MiB of JSON, whatever the events carry (the server takes 4 MiB), and never splits an event', async () => {
    const bodies: number[] = [];
    const counts: number[] = [];
    const client: Pick<GatewayClient, 'events'> = {
      async events(_jobId, body) {
        bodies.push(Buffer.byteLength(JSON.stringify(body)));
        counts.push(body.events.length);
      },
    };
    const sender = make(client);
    // The first event goes out alone; the other eleven queue up meanwhile and must be split by size.
    const big = (n: number): JobEvent => ({ type: 'step-finished', stepId: `s${n}`, at: '2026-01-01T00:00:00.000Z', status: 'done', durationMs: 1, output: '\u0001'.repeat(65_536) });
    for (let i = 0; i < 12; i += 1) sender.push(big(i));
    await sender.flush();
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    for (const b of bodies) expect(b).toBeLessThan(1024 * 1024 + 2048);
    expect(Math.max(...bodies)).toBeGreaterThan(65_536 * 6);
  });

  it('resends the same batch with the same seq after network failures', async () => {
    const net = () => new GatewayCallError('network', 'ECONNRESET');
    const { client, calls } = fakeClient([net(), net()]);
    const sender = make(client);
    sender.push(ev(1));
    await sender.flush();
    sender.push(ev(2));
    await sender.flush();
    expect(calls).toEqual([{ seq: 0, messages: ['e1'] }, { seq: 0, messages: ['e1'] }, { seq: 0, messages: ['e1'] }, { seq: 1, messages: ['e2'] }]);
  });

  it('drops a rejected batch and gives its seq to the next one', async () => {
    const { client, calls } = fakeClient([new GatewayCallError('rejected', '400')]);
    const sender = make(client);
    sender.push(ev(1));
    await sender.flush();
    sender.push(ev(2));
    await sender.flush();
    expect(calls).toEqual([{ seq: 0, messages: ['e1'] }, { seq: 0, messages: ['e2'] }]);
  });

  it('stops for good when the lease is gone', async () => {
    const { client, calls } = fakeClient([new GatewayCallError('conflict', '409')]);
    const sender = make(client);
    sender.push(ev(1));
    await sender.flush();
    expect(sender.leaseLost).toBe(true);
    sender.push(ev(2));
    await sender.flush();
    expect(calls).toHaveLength(1);
  });
});
