/**
 * `picbot preflight` as a real child process (the compiled CLI that bin/picbot.js runs; `npm test`
 * builds it first) against the loopback lab: DNS through PICBOT_DNS_SERVERS, the test CA through
 * NODE_EXTRA_CA_CERTS (the production trust path), the TLS server's port through --tls-port.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PICBOT_BIN, runNode, type Ran } from './cli-process';
import { makeCa, makeLeaf, startDnsServer, startTlsServer, type Running, type Zone } from './preflight-lab';

const COMPILED = resolve(__dirname, '../../dist/bot/cli/preflight.js');

let dir: string;
let dns: Running;
let tls: Running;
let caFile: string;

const request = (sipDomains: string[], accessEdgeFqdns: string[]) => ({
  target: { label: 'lab', profile: 'sfb2019' },
  agreement: { type: 'volume-licensing', number: 'V1234567', productUseRightsAccepted: true },
  accessEdgeFqdns,
  sipDomains,
  contacts: { name: 'Lab Admin', phone: null, domainAdmins: Object.fromEntries(sipDomains.map((d) => [d, `admin@${d}`])) },
  options: { policyScope: { kind: 'global' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null },
});

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

/** Runs `picbot preflight …` in an empty directory (no .env) with only the variables given. */
function picbot(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return runNode(PICBOT_BIN, ['preflight', ...args], {
    cwd: dir,
    env: { PICBOT_DNS_SERVERS: `127.0.0.1:${dns.port}`, PICBOT_PREFLIGHT_TIMEOUT_MS: '3000', ...env },
  });
}

const trusted = () => ({ NODE_EXTRA_CA_CERTS: caFile });

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run \`npm run build\` (npm test does it first)`);
  dir = await mkdtemp(join(tmpdir(), 'picbot-preflight-cli-'));
  const ca = await makeCa('picbot CLI Test CA');
  caFile = await writeJson('ca.pem', ca.cert);
  tls = await startTlsServer(await makeLeaf(ca, { cn: 'sip.contoso.com', sans: ['sip.contoso.com'] }));
  const zone: Zone = {
    '_sipfederationtls._tcp.contoso.com': { srv: [{ target: 'sip.contoso.com', port: 5061 }] },
    '_sipfederationtls._tcp.fabrikam.com': { srv: [{ target: 'sip.it.fabrikam.com', port: 5061 }] },
    'sip.contoso.com': { a: ['127.0.0.1'] },
  };
  dns = await startDnsServer(zone);
});

afterAll(async () => {
  await dns?.close();
  await tls?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('picbot preflight', () => {
  it('--json prints only the results; warnings alone exit 0; logs go to stderr', async () => {
    const file = await writeJson('ok.json', request(['contoso.com'], ['sip.contoso.com']));
    const ran = await picbot(['--request', file, '--json', '--tls-port', String(tls.port)], trusted());
    expect(ran.code).toBe(0);
    const out = JSON.parse(ran.stdout) as { results: { check: string; subject: string; status: string; detail: string }[] };
    expect(Object.keys(out)).toEqual(['results']);
    expect(out.results.map((r) => [r.check, r.subject, r.status])).toEqual([
      ['federation-srv', 'contoso.com', 'pass'],
      ['federation-srv-suffix', 'contoso.com', 'pass'],
      ['client-srv', 'contoso.com', 'warn'],
      ['edge-address', 'sip.contoso.com', 'pass'],
      ['edge-certificate', 'sip.contoso.com', 'pass'],
    ]);
    expect(out.results[4]!.detail).toContain(`127.0.0.1:${tls.port}`);
    expect(ran.stderr).toMatch(/--tls-port/);
    expect(ran.stderr).toMatch(/preflight finished/);
  });

  it('a failed check exits 1, with ✗ lines and the counts in the human output', async () => {
    const file = await writeJson('fail.json', request(['fabrikam.com'], ['sip.contoso.com']));
    const ran = await picbot(['--request', file, '--tls-port', String(tls.port)], trusted());
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^✗ federation-srv +fabrikam\.com +_sipfederationtls\._tcp\.fabrikam\.com → sip\.it\.fabrikam\.com:5061 points at sip\.it\.fabrikam\.com, which is not one of/m);
    expect(ran.stdout).toMatch(/^✗ federation-srv-suffix +fabrikam\.com +SRV target sip\.it\.fabrikam\.com is not a top-level name of fabrikam\.com: Skype federation needs e\.g\. sip\.fabrikam\.com\.$/m);
    expect(ran.stdout).toMatch(/^! client-srv /m);
    expect(ran.stdout).toMatch(/^✓ edge-certificate /m);
    expect(ran.stdout).toMatch(/^2 passed, 2 failed, 1 warning$/m);
  });

  it('trusts Node\'s CA store by default: without NODE_EXTRA_CA_CERTS the test CA is untrusted and the run fails', async () => {
    const file = await writeJson('untrusted.json', request(['contoso.com'], ['sip.contoso.com']));
    const ran = await picbot(['--request', file, '--json', '--tls-port', String(tls.port)]);
    expect(ran.code).toBe(1);
    const out = JSON.parse(ran.stdout) as { results: { check: string; status: string; detail: string }[] };
    expect(out.results.find((r) => r.check === 'edge-certificate')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/chain is not trusted/) });
  });

  it.each([
    { name: 'an unknown flag', args: ['--bogus'], stderr: /Unknown option '--bogus'/ },
    { name: 'no --request', args: ['--json'], stderr: /--request is required/ },
    { name: 'a bad --tls-port', args: ['--request', 'x.json', '--tls-port', '70000'], stderr: /--tls-port: "70000" is not a port number/ },
    { name: 'a missing file', args: ['--request', 'nope.json'], stderr: /--request nope\.json: cannot read: ENOENT/ },
  ])('$name exits 1 with a message on stderr and nothing on stdout', async ({ args, stderr }) => {
    const ran = await picbot(args);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(stderr);
    expect(ran.stdout).toBe('');
  });

  it('a file that is not JSON, or not a valid request, exits 1 naming the problem', async () => {
    const notJson = await writeJson('broken.json', '{"target":');
    const bad = await writeJson('bad.json', { ...request(['contoso.com'], ['https://sip.contoso.com']) });
    const a = await picbot(['--request', notJson]);
    const b = await picbot(['--request', bad]);
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(a.stderr).toMatch(/broken\.json: not JSON/);
    expect(b.stderr).toMatch(/bad\.json: invalid:\n {2}accessEdgeFqdns\.0: enter the name only, without a scheme/);
    expect(a.stdout + b.stdout).toBe('');
  });

  it('a bad PICBOT_DNS_SERVERS stops the command, naming the variable', async () => {
    const file = await writeJson('cfg.json', request(['contoso.com'], ['sip.contoso.com']));
    const ran = await picbot(['--request', file], { PICBOT_DNS_SERVERS: 'dns.example.com' });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/PICBOT_DNS_SERVERS: "dns\.example\.com" is not ip\[:port\]/);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const ran = await picbot(['--help']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^Usage: picbot preflight --request REQ\.json \[--json\]/);
    expect(ran.stdout).toMatch(/--tls-port N/);
  });
});
