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
