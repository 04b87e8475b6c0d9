import { createLeaseWaiters } from '../../../../src/bot/runner-gateway/waiters';

describe('lease waiters', () => {
  it('wakes the waiters of a label at once, and only them', async () => {
    const w = createLeaseWaiters();
    const eu = w.register(['Pool-EU']);
    const us = w.register(['pool-us']);
    const euWait = eu.wait(60_000);
    w.wake('pool-eu');
    await expect(euWait).resolves.toBe('woken');
    expect(w.size()).toBe(1);
    us.cancel();
    expect(w.size()).toBe(0);
  });

  it('remembers a wake-up that came between registering and waiting (no lost job)', async () => {
    const w = createLeaseWaiters();
    const waiter = w.register(['pool-eu']);
    w.wake('pool-eu');
    await expect(waiter.wait(60_000)).resolves.toBe('woken');
  });

  it('wakes one runner by id (revoked), ends on timeout, on the client leaving and on close', async () => {
    const w = createLeaseWaiters();
    const revoked = w.register(['pool-eu'], undefined, 'run_a');
    const other = w.register(['pool-eu'], undefined, 'run_b');
    const revokedWait = revoked.wait(60_000);
    w.wakeRunner('run_a');
    await expect(revokedWait).resolves.toBe('woken');
    await expect(w.register(['x']).wait(0)).resolves.toBe('timeout');
    let leave = () => undefined as void;
    const gone = w.register(['pool-eu'], (abort) => { leave = abort; });
    const goneWait = gone.wait(60_000);
    leave();
    await expect(goneWait).resolves.toBe('gone');
    const otherWait = other.wait(60_000);
    expect(w.closed()).toBe(false);
    w.close();
    expect(w.closed()).toBe(true);
    await expect(otherWait).resolves.toBe('closed');
    await expect(w.register(['pool-eu']).wait(60_000)).resolves.toBe('closed');
  });
});
