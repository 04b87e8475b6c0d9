import { startFakeConnector, type FakeConnector } from '../../fakes/connector';
import { withDeadline } from '../../fakes/deadline';

describe('withDeadline', () => {
  it('passes the value through when the work is in time', async () => {
    await expect(withDeadline(Promise.resolve(7), () => 'seven', 1_000)).resolves.toBe(7);
  });

  it('rejects naming what was awaited when the work is late', async () => {
    await expect(withDeadline(new Promise(() => {}), () => 'the card update', 20)).rejects.toThrow('timed out after 20 ms waiting for the card update');
  });
});

describe('FakeConnector.waitFor', () => {
  let connector: FakeConnector;
  beforeEach(async () => {
    connector = await startFakeConnector();
  });
  afterEach(() => connector.close());

  it('names the awaited call and the calls seen when none matches in time', async () => {
    await expect(connector.waitFor((c) => c.kind === 'update', { what: 'the plan card update', timeoutMs: 20 }))
      .rejects.toThrow(/timed out after 20 ms waiting for a connector call matching the plan card update; seen: none/);
  });

  it('names the matcher by its source when no description is given', async () => {
    await expect(connector.waitFor((c) => c.kind === 'reply', { timeoutMs: 20 })).rejects.toThrow(/c\.kind === 'reply'/);
  });

  it('resolves with a call that arrives while waiting', async () => {
    const waiting = connector.waitFor((c) => c.conversationId === 'a:1', { timeoutMs: 5_000 });
    await fetch(`${connector.serviceUrl}v3/conversations/a%3A1/activities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"message"}' });
    await expect(waiting).resolves.toMatchObject({ kind: 'send', conversationId: 'a:1' });
  });
});
