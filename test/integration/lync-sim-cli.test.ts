import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShellAnswer } from '../../src/contracts/ops';
import { ObservedState } from '../../src/contracts/observed';
import { PROFILE_PRODUCT, PROFILES } from '../../src/contracts/profiles';
import { SimState } from '../../src/lync-sim/state';
import { fixturePath } from '../fixtures/load';
import { filesIn, runSimCli, startSim, tempDir, writeState } from './sim-helpers';

/** The picbot-lync-sim command line and its raw stdio protocol, without the runner's client. */

const lines = (...requests: unknown[]) => requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
function answers(stdout: string): ShellAnswer[] {
  // Nothing but answer lines on stdout: every line must parse as a protocol answer.
  return stdout.split('\n').filter((l) => l !== '').map((l) => ShellAnswer.parse(JSON.parse(l)));
}

describe('picbot-lync-sim --init', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it.each(PROFILES.map((profile) => ({ profile, want: PROFILE_PRODUCT[profile] })))(
    '$profile: creates a fresh $want server',
    ({ profile, want }) => {
      const file = join(tmp.dir, 'state.json');
      const r = runSimCli(['--state', file, '--init', profile]);
      expect(r).toMatchObject({ status: 0, stdout: '' });
      const state = SimState.parse(JSON.parse(readFileSync(file, 'utf8')));
      expect(ObservedState.parse(state).serverVersion.product).toBe(want);
      expect(state.accessEdge).toMatchObject({ routing: 'DnsSrv', allowFederatedUsers: false });
      // The providers each product ships: one Skype on SfB; Messenger (MSN on Lync 2010), Yahoo and AOL on Lync.
      const msn = profile === 'lync2010' ? 'MSN' : 'Messenger';
      expect(state.publicProviders.map((p) => [p.identity, p.proxyFqdn, p.enabled])).toEqual(profile.startsWith('sfb')
        ? [['Skype', 'federation.messenger.msn.com', false]]
        : [[msn, 'federation.messenger.msn.com', false], ['Yahoo', 'lcs.yahoo.com', false], ['AOL', 'sip.oscar.aol.com', false]]);
      expect(state.topology?.edgePools.map((e) => e.accessEdgeExternalFqdn)).toEqual(['sip.contoso.com']);
      expect(state.sites).toEqual(['Redmond']);
      // Pre-CU5 and CU5 Lync 2013 binaries differ in New-CsPublicProvider's NameDecoration* parameters.
      expect(state.capabilities?.['New-CsPublicProvider']?.includes('NameDecorationRoutingDomain')).toBe(profile !== 'lync2010' && profile !== 'lync2013');
      expect(state.userPolicies.map((u) => u.user)).toEqual(['sip:alice@contoso.com', 'sip:bob@contoso.com']);
      expect(state.replicas?.map((r) => r.replicaFqdn)).toEqual(['fe01.contoso.com', 'edge01.contoso.com']);
      expect(filesIn(tmp.dir)).toEqual(['state.json']);
    },
  );

  it('--edge and --site add Edge pools and sites to a fresh topology', () => {
    const file = join(tmp.dir, 'state.json');
    const r = runSimCli(['--state', file, '--init', 'sfb2019', '--edge', 'SIP2.Fabrikam.com', '--edge', 'access.contoso.com', '--site', 'Oslo']);
    expect(r).toMatchObject({ status: 0, stdout: '' });
    const state = SimState.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(state.topology?.edgePools.map((e) => [e.accessEdgeExternalFqdn, e.federationEnabled])).toEqual([
      ['sip.contoso.com', true], ['sip2.fabrikam.com', true], ['access.contoso.com', true],
    ]);
    expect(state.sites).toEqual(['Redmond', 'Oslo']);
  });

  it('a state file without capabilities, topology or sites (an older simulator\'s) loads with defaults and is not rewritten by reads', async () => {
    const file = join(tmp.dir, 'state.json');
    const old = readFileSync(fixturePath('observed', 'legacy-fresh-lync2013.json'), 'utf8');
    writeFileSync(file, old);
    const host = startSim(file);
    try {
      const caps = await host.call('capabilities.get', {});
      // An old Lync 2013 state keeps what the simulator always assumed: CU5 binaries.
      expect(caps.ok && (caps.data as Record<string, string[]>)['New-CsPublicProvider'].includes('NameDecorationRoutingDomain')).toBe(true);
      expect(await host.call('topology.get', {})).toMatchObject({ ok: true, data: { edgePools: [{ accessEdgeExternalFqdn: 'sip.contoso.com' }] } });
      expect(await host.call('site.list', {})).toMatchObject({ ok: true, data: ['Redmond'] });
    } finally {
      await host.close();
    }
    expect(readFileSync(file, 'utf8')).toBe(old);
  });

  it('refuses to overwrite an existing file (exit 1) and leaves it untouched', () => {
    const file = join(tmp.dir, 'state.json');
    writeFileSync(file, '{"precious": true}\n');
    const r = runSimCli(['--state', file, '--init', 'sfb2019']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refusing to overwrite the existing state file/);
    expect(readFileSync(file, 'utf8')).toBe('{"precious": true}\n');
    expect(filesIn(tmp.dir)).toEqual(['state.json']);
  });

  it.each([
    { args: ['--init', 'lync2013'], wantErr: /--state FILE is required/ },
    { args: ['--state', 'x.json', '--init', 'ocs2007'], wantErr: /unknown profile "ocs2007"/ },
    { args: ['--state', 'x.json', '--bogus'], wantErr: /bogus/ },
    { args: ['--state', 'missing.json'], wantErr: /does not exist; create it with --init/ },
    { args: ['--state', 'x.json', '--init', 'sfb2019', '--edge', 'sip:edge.contoso.com'], wantErr: /--edge sip:edge.contoso.com: expected a DNS name such as sip.fabrikam.com/ },
    { args: ['--state', 'x.json', '--edge', 'edge.contoso.com'], wantErr: /--edge and --site go with --init/ },
  ])('refuses $args with exit 1', ({ args, wantErr }) => {
    const r = runSimCli(args.map((a) => (a.endsWith('.json') ? join(tmp.dir, a) : a)));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(wantErr);
    expect(filesIn(tmp.dir)).toEqual([]);
  });

  it('prints usage for --help', () => {
    expect(runSimCli(['--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/usage: picbot-lync-sim/), stderr: '' });
  });

  it.each([
    { content: 'not json', wantErr: /reading state file/ },
    { content: '{"serverVersion": {}}', wantErr: /is not a simulator state: serverVersion/ },
  ])('refuses a bad state file: $wantErr', ({ content, wantErr }) => {
    const file = join(tmp.dir, 'state.json');
    writeFileSync(file, content);
    const r = runSimCli(['--state', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(wantErr);
  });

  it('refuses an unknown key in the state file (a typo such as "fault")', () => {
    const file = writeState(tmp.dir, 'lync2013', (s) => Object.assign(s, { fault: { hang: ['accessEdge.get'] } }));
    const r = runSimCli(['--state', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fault/);
  });

  it.each([
    { env: 'not json', wantErr: /PICBOT_SIM_FAULTS is not JSON/ },
    { env: '{"hang": "accessEdge.get"}', wantErr: /PICBOT_SIM_FAULTS: hang/ },
  ])('refuses a bad PICBOT_SIM_FAULTS ($env), naming the variable', ({ env, wantErr }) => {
    const file = writeState(tmp.dir);
    const r = runSimCli(['--state', file], '', { PICBOT_SIM_FAULTS: env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(wantErr);
  });
});

describe('picbot-lync-sim stdio protocol', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it('answers every request line in order, with its id, and writes nothing else on stdout', () => {
    const file = writeState(tmp.dir);
    const r = runSimCli(['--state', file], lines(
      { id: 1, op: 'sipDomain.list', params: {} },
      '',
      'this is not json',
      { id: 2, op: 'Remove-CsPublicProvider', params: { identity: 'Messenger' } },
      { id: 3, op: 'publicProvider.remove', params: {} },
      { id: 4, op: 'publicProvider.set', params: { identity: 'Messenger', proxyFqdn: 'x.example.com' } },
      { id: 5, op: 'publicProvider.new', params: { identity: 'Skype', proxyFqdn: 'f.example.com', enabled: 'yes' } },
      { id: 6, op: 'accessEdge.get', params: [] },
      { id: 'seven', op: 'accessEdge.get', params: {} },
      { op: 'accessEdge.get', params: {} },
      { id: 8, op: 'externalAccessPolicy.grant', params: { user: 'alice@contoso.com', policyName: null } },
      { id: 9, op: 'publicProvider.remove', params: { identity: 'Messenger' } },
    ));
    expect(r.status).toBe(0);
    expect(answers(r.stdout)).toEqual([
      { id: 1, ok: true, data: [{ name: 'contoso.com', isDefault: true }] },
      { id: -1, ok: false, error: { code: 'bad_request', message: 'the request line is not JSON' } },
      { id: 2, ok: false, error: { code: 'unknown_op', message: 'The op "Remove-CsPublicProvider" is not in the catalog.' } },
      { id: 3, ok: false, error: { code: 'bad_params', message: expect.stringMatching(/^Cannot bind parameter 'Identity'/) } },
      { id: 4, ok: false, error: { code: 'bad_params', message: "A parameter cannot be found that matches parameter name 'ProxyFqdn'." } },
      { id: 5, ok: false, error: { code: 'bad_params', message: expect.stringMatching(/^Cannot bind parameter 'Enabled'/) } },
      { id: 6, ok: false, error: { code: 'bad_request', message: expect.stringMatching(/params/) } },
      { id: -1, ok: false, error: { code: 'bad_request', message: expect.any(String) } },
      { id: -1, ok: false, error: { code: 'bad_request', message: expect.any(String) } },
      { id: 8, ok: false, error: { code: 'bad_params', message: expect.stringMatching(/sip:user@domain/) } },
      { id: 9, ok: true, data: null },
    ]);
  });

  it('exits when stdin closes, after saving what the ops changed', () => {
    const file = writeState(tmp.dir);
    const r = runSimCli(['--state', file], lines({ id: 1, op: 'accessEdge.set', params: { allowFederatedUsers: true } }));
    expect(r.status).toBe(0);
    expect(SimState.parse(JSON.parse(readFileSync(file, 'utf8'))).accessEdge.allowFederatedUsers).toBe(true);
    expect(filesIn(tmp.dir)).toEqual(['state.json']);
  });

  it('--init then serves: a new file and the answers in one run', () => {
    const file = join(tmp.dir, 'new.json');
    const r = runSimCli(['--state', file, '--init', 'sfbse'], lines({ id: 1, op: 'server.version', params: {} }));
    expect(r.status).toBe(0);
    expect(answers(r.stdout)).toMatchObject([{ id: 1, ok: true, data: { product: 'Skype for Business Server Subscription Edition' } }]);
    expect(existsSync(file)).toBe(true);
  });

  it('writes atomically: a reader polling the file during writes always parses a whole document, and no temp file is left', async () => {
    const file = writeState(tmp.dir);
    const host = startSim(file);
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, 'utf8');
        SimState.parse(JSON.parse(text)); // throws on a half-written file
        reads += 1;
      }
    })();
    for (let i = 0; i < 40; i++) {
      const outcome = await host.call('externalAccessPolicy.set', { identity: 'Global', enableFederationAccess: i % 2 === 0 });
      expect(outcome.ok).toBe(true);
    }
    reading = false;
    await reader;
    expect(await host.close()).toEqual({ code: 0, signal: null, killed: false });
    expect(reads).toBeGreaterThan(0);
    expect(filesIn(tmp.dir)).toEqual(['state.json']);
    expect(SimState.parse(JSON.parse(readFileSync(file, 'utf8'))).externalAccessPolicies[0].enableFederationAccess).toBe(false);
  });
});
