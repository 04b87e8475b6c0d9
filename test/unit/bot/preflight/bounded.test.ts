import { bounded } from '../../../../src/bot/preflight/run-preflight';

describe('bounded: the run deadline ends a check whatever it waits for', () => {
  it('resolves with the late value when the signal fires before the work ends', async () => {
    const deadline = new AbortController();
    const never = new Promise<string>(() => undefined);
    const got = bounded(never, deadline.signal, () => 'late');
    deadline.abort();
    await expect(got).resolves.toBe('late');
  });

  it('resolves with the work when it ends first, and ignores a later abort', async () => {
    const deadline = new AbortController();
    await expect(bounded(Promise.resolve('done'), deadline.signal, () => 'late')).resolves.toBe('done');
    deadline.abort();
  });

  it('is late at once when the deadline has already passed', async () => {
    const deadline = new AbortController();
    deadline.abort();
    await expect(bounded(new Promise<string>(() => undefined), deadline.signal, () => 'late')).resolves.toBe('late');
  });

  it('passes a failure of the work through (a programming error, not network trouble)', async () => {
    await expect(bounded(Promise.reject(new Error('boom')), new AbortController().signal, () => 'late')).rejects.toThrow('boom');
  });
});
