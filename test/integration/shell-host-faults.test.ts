import { join } from 'node:path';
import { createShellHost, type ShellHost } from '../../src/runner/shell-host';

/** The shell host's answer checks, against a fake host that misbehaves on purpose (test/fakes/fake-shell.js). */
const FAKE = join(__dirname, '..', 'fakes', 'fake-shell.js');

let host: ShellHost;
beforeEach(() => {
  host = createShellHost({ kind: 'sim', command: { file: process.execPath, args: [FAKE] }, opTimeoutMs: 10_000, graceMs: 1_000 });
});
afterEach(() => host.close());

describe('shell host answer checks', () => {
  it('passes write-op data and warnings through', async () => {
    await expect(host.call('accessEdge.set', { allowFederatedUsers: true }))
      .resolves.toEqual({ ok: true, data: { echo: { allowFederatedUsers: true } }, warnings: [] });
    await expect(host.call('hostingProvider.list', {}))
      .resolves.toEqual({ ok: true, data: [], warnings: ['The replica is not up to date.'] });
  });

  it('ignores a stray non-JSON line and still matches the answer', async () => {
    await expect(host.call('sipDomain.list', {})).resolves.toMatchObject({ ok: true, data: [{ name: 'contoso.com' }] });
  });

  it.each([
    { op: 'server.version' as const, want: /server\.version \(id 1\): the shell host answered id 101/ },
    { op: 'accessEdge.get' as const, want: /accessEdge\.get \(id 1\): the result does not match the catalog: routing/ },
    { op: 'publicProvider.list' as const, want: /not a protocol answer/ },
  ])('$op: a bad answer is a protocol_error and the host is stopped', async ({ op, want }) => {
    await expect(host.call(op, {})).rejects.toMatchObject({ code: 'protocol_error', message: expect.stringMatching(want) });
    await expect(host.call('accessEdge.set', {})).rejects.toMatchObject({ code: 'protocol_error' });
    await expect(host.close()).resolves.toMatchObject({ code: 0, killed: false });
  });

  it('a crash mid-call is shell_failed with the exit code and the end of stderr', async () => {
    await expect(host.call('clientPolicy.get', { identity: 'Global' })).rejects.toMatchObject({
      code: 'shell_failed',
      message: expect.stringMatching(/clientPolicy\.get \(id 1\): shell host exited \(code 5.*The specified module Lync was not loaded/),
    });
    await expect(host.close()).resolves.toEqual({ code: 5, signal: null, killed: false });
  });
});
