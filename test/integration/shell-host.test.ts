import { readFileSync } from 'node:fs';
import { fingerprint, sameState } from '../../src/contracts/observed';
import { discover } from '../../src/runner/discover';
import { createShellHost, type ShellHost } from '../../src/runner/shell-host';
import { loadState, SimState } from '../../src/lync-sim/state';
import { startSim, tempDir, writeState } from './sim-helpers';

/** The runner's shell host against the real simulator: lifecycle, fault injection, discovery. */

let tmp: ReturnType<typeof tempDir>;
let hosts: ShellHost[] = [];
beforeEach(() => { tmp = tempDir(); hosts = []; });
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  tmp.cleanup();
});
const track = (host: ShellHost) => { hosts.push(host); return host; };
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('shell host lifecycle', () => {
  it('closes cleanly when the shell exits on end of stdin; later calls fail at once', async () => {
    const host = track(startSim(writeState(tmp.dir)));
    await expect(host.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true, data: { routing: 'DnsSrv' }, warnings: [] });
    expect(await host.close()).toEqual({ code: 0, signal: null, killed: false });
    await expect(host.call('accessEdge.get', {})).rejects.toMatchObject({ code: 'shell_failed' });
  });

  it('runs concurrent calls one at a time, in order', async () => {
    const host = track(startSim(writeState(tmp.dir)));
    const results = await Promise.all([
      host.call('accessEdge.set', { allowFederatedUsers: true }),
      host.call('accessEdge.get', {}),
      host.call('accessEdge.set', { allowFederatedUsers: false }),
      host.call('accessEdge.get', {}),
    ]);
    expect(results.map((r) => (r.ok ? (r.data as { allowFederatedUsers?: boolean } | null)?.allowFederatedUsers ?? null : 'failed')))
      .toEqual([null, true, null, false]);
  });

  it('refuses to send an op outside the catalog or with bad params, without touching the shell', async () => {
    const host = track(startSim(writeState(tmp.dir)));
    await expect(host.call('publicProvider.purge' as never, {})).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/unknown op/) });
    await expect(host.call('clientPolicy.get', { identity: '' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(host.call('clientPolicy.get', { identity: 'Global' })).resolves.toMatchObject({ ok: true });
  });

  it('keeps the state between shell processes', async () => {
    const file = writeState(tmp.dir);
    const first = startSim(file);
    await first.call('publicProvider.remove', { identity: 'Messenger' });
    await first.close();
    const second = track(startSim(file));
    const list = await second.call('publicProvider.list', {});
    expect(list.ok && list.data.map((p) => p.identity)).toEqual(['Yahoo', 'AOL']);
  });

  it('refuses to start a simulator without a state file', () => {
    expect(() => createShellHost({ kind: 'sim', opTimeoutMs: 1000, graceMs: 1000 })).toThrow(/simState/);
  });

  it('reports a shell that cannot start as shell_failed on the first call', async () => {
    const host = track(createShellHost({ kind: 'powershell', powershellExe: '/nonexistent/powershell.exe', opTimeoutMs: 5000, graceMs: 500 }));
    await expect(host.call('server.version', {})).rejects.toMatchObject({ code: 'shell_failed', message: expect.stringMatching(/ENOENT/) });
    await expect(host.close()).resolves.toMatchObject({ killed: false });
  });

  it('refuses a Front End that is not an FQDN before starting anything', () => {
    expect(() => createShellHost({ kind: 'powershell', frontEnd: 'fe01; calc.exe', opTimeoutMs: 1000, graceMs: 1000 })).toThrow(/not a Front End FQDN/);
  });
});

describe('fault injection', () => {
  it('fail (environment): that op answers ok:false with the message; others still work', async () => {
    const host = track(startSim(writeState(tmp.dir), { env: { PICBOT_SIM_FAULTS: JSON.stringify({ fail: { 'publicProvider.new': 'Insufficient access rights to perform the operation.' } }) } }));
    await expect(host.call('publicProvider.new', { identity: 'Skype', proxyFqdn: 'x.example.com', enabled: true }))
      .resolves.toEqual({ ok: false, error: { code: 'cmdlet_failed', message: 'Insufficient access rights to perform the operation.' } });
    await expect(host.call('publicProvider.remove', { identity: 'Messenger' })).resolves.toMatchObject({ ok: true });
  });

  it('fail (state file), overridden key by key by the environment', async () => {
    const file = writeState(tmp.dir, 'lync2013', (s) => { s.faults = { fail: { 'accessEdge.get': 'from the file' }, delayMs: 1 }; });
    const fromFile = track(startSim(file));
    await expect(fromFile.call('accessEdge.get', {})).resolves.toMatchObject({ ok: false, error: { message: 'from the file' } });
    const overridden = track(startSim(file, { env: { PICBOT_SIM_FAULTS: JSON.stringify({ fail: { 'sipDomain.list': 'from env' } }) } }));
    await expect(overridden.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true });
    await expect(overridden.call('sipDomain.list', {})).resolves.toMatchObject({ ok: false, error: { message: 'from env' } });
  });

  it('hang: the op times out, and the shell, which ignores the end of stdin, is killed after the grace period', async () => {
    const host = track(startSim(writeState(tmp.dir), { opTimeoutMs: 300, graceMs: 200, env: { PICBOT_SIM_FAULTS: '{"hang":["publicProvider.list"]}' } }));
    await expect(host.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true });
    await expect(host.call('publicProvider.list', {})).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/publicProvider\.list \(id 2\): no answer within 300 ms/) });
    await expect(host.call('accessEdge.get', {})).rejects.toMatchObject({ code: 'timeout' });
    const pid = host.pid;
    expect(await host.close()).toEqual({ code: null, signal: 'SIGKILL', killed: true });
    expect(isAlive(pid)).toBe(false);
  });

  it('hang: close() during a hung op kills the shell after the grace period and fails the pending call', async () => {
    const host = track(startSim(writeState(tmp.dir), { opTimeoutMs: 60_000, graceMs: 200, env: { PICBOT_SIM_FAULTS: '{"hang":["sipDomain.list"]}' } }));
    await expect(host.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true });
    const hung = host.call('sipDomain.list', {});
    await nextTick(); // the request is written before stdin ends
    const exit = await host.close();
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', killed: true });
    await expect(hung).rejects.toMatchObject({ code: 'shell_failed', message: expect.stringMatching(/sipDomain\.list \(id 2\): shell host exited/) });
  });

  it('exitAfter: the shell exits mid-job; the pending call fails with the exit code and later calls fail at once', async () => {
    const host = track(startSim(writeState(tmp.dir), { env: { PICBOT_SIM_FAULTS: '{"exitAfter":2}' } }));
    await expect(host.call('accessEdge.set', { allowFederatedUsers: true })).resolves.toMatchObject({ ok: true });
    await expect(host.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true });
    await expect(host.call('sipDomain.list', {})).rejects.toMatchObject({ code: 'shell_failed', message: expect.stringMatching(/sipDomain\.list \(id 3\): shell host exited \(code 3/) });
    await expect(host.call('sipDomain.list', {})).rejects.toMatchObject({ code: 'shell_failed' });
    expect(await host.close()).toEqual({ code: 3, signal: null, killed: false });
    // What was applied before the crash is kept.
    expect(loadState(`${tmp.dir}/state.json`).accessEdge.allowFederatedUsers).toBe(true);
  });

  it('delayMs: every op still answers when the timeout allows the delay', async () => {
    const host = track(startSim(writeState(tmp.dir), { env: { PICBOT_SIM_FAULTS: '{"delayMs":50}' } }));
    await expect(host.call('accessEdge.get', {})).resolves.toMatchObject({ ok: true });
    await expect(host.call('sipDomain.list', {})).resolves.toMatchObject({ ok: true });
  });

  it('delayMs: an op slower than the per-op timeout fails with timeout', async () => {
    const host = track(startSim(writeState(tmp.dir), { opTimeoutMs: 200, startTimeoutMs: 0, graceMs: 5_000, env: { PICBOT_SIM_FAULTS: '{"delayMs":3000}' } }));
    await expect(host.call('accessEdge.get', {})).rejects.toMatchObject({ code: 'timeout' });
    // Not hung, only slow: after the timeout the shell gets end of stdin and exits on its own.
    await expect(host.close()).resolves.toMatchObject({ code: 0, killed: false });
  });
});

describe('discover', () => {
  it('assembles the observed state the state file holds, lists sorted, unknown users and absent client policies reported', async () => {
    const file = writeState(tmp.dir, 'lync2013', (s) => {
      s.externalAccessPolicies.push({ identity: 'tag:PICUsers', enableFederationAccess: true, enablePublicCloudAccess: true, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
      s.userPolicies[1].externalAccessPolicy = 'PICUsers';
    });
    const host = track(startSim(file));
    const observed = await discover(host, {
      users: ['sip:bob@contoso.com', 'sip:alice@contoso.com', 'sip:zed@contoso.com', 'sip:bob@contoso.com'],
      clientPolicyIdentities: ['Global', 'tag:NoSuchPolicy'],
    });
    expect(observed.serverVersion.product).toBe('Lync Server 2013');
    expect(observed.publicProviders.map((p) => p.identity)).toEqual(['AOL', 'Messenger', 'Yahoo']);
    expect(observed.userPolicies).toEqual([
      { user: 'sip:alice@contoso.com', externalAccessPolicy: null },
      { user: 'sip:bob@contoso.com', externalAccessPolicy: 'PICUsers' },
    ]);
    expect(observed.unknownUsers).toEqual(['sip:zed@contoso.com']);
    expect(observed.clientPolicies).toEqual([{ identity: 'Global', disablePICPromptDisplayName: null }]);
    // The file holds every user and client policy, so discovery of all of them sees the same state.
    const onDisk = SimState.parse(JSON.parse(readFileSync(file, 'utf8')));
    // The holders are counted from the users on disk; the rest is the file as it is.
    expect(observed.policyHolders).toEqual({ PICUsers: 1 });
    const withoutZed = { ...observed, unknownUsers: [], policyHolders: undefined };
    expect(sameState(withoutZed, onDisk)).toBe(true);
    expect(fingerprint(withoutZed)).toBe(fingerprint(onDisk));
  });

  it('degrades over a remote session: version from the topology, levels from -InMemory probes, both recorded; a failing later read is recorded, not fatal', async () => {
    const host = track(startSim(writeState(tmp.dir, 'lync2013'), {
      env: { PICBOT_SIM_FAULTS: JSON.stringify({ serverVersionLocalOnly: true, scriptBlocksRefused: true, fail: { 'site.list': 'Access is denied.' } }) },
    }));
    const observed = await discover(host, { users: [], clientPolicyIdentities: ['Global'] });
    expect(observed.serverVersion).toEqual({ product: 'Lync Server 2013', version: '5', verificationLevels: { AlwaysVerifiable: 0, AlwaysUnverifiable: 1, UseSourceVerification: 2 } });
    expect(observed.discoveryFallbacks?.map((f) => f.read)).toEqual(['Get-CsServerVersion', 'VerificationLevelType values', 'Get-CsSite']);
    expect(observed.discoveryFallbacks?.[2]).toMatchObject({ reason: 'cmdlet_failed: Access is denied.', instead: 'nothing: site names could not be checked' });
    expect(observed.sites).toBeUndefined();
    expect(observed.capabilities?.['New-CsPublicProvider']).toContain('InMemory');
  });

  it('fails naming the read op when one fails', async () => {
    const host = track(startSim(writeState(tmp.dir), { env: { PICBOT_SIM_FAULTS: '{"fail":{"hostingProvider.list":"The RPC server is unavailable."}}' } }));
    await expect(discover(host, { users: [], clientPolicyIdentities: [] }))
      .rejects.toMatchObject({ code: 'shell_failed', message: 'discovering: hostingProvider.list failed: cmdlet_failed: The RPC server is unavailable.' });
  });

  it('runs read ops only: the state file is unchanged', async () => {
    const file = writeState(tmp.dir);
    const before = readFileSync(file, 'utf8');
    const host = track(startSim(file));
    await discover(host, { users: ['sip:alice@contoso.com'], clientPolicyIdentities: ['Global'] });
    await host.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(before));
  });
});
