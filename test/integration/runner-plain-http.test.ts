/**
 * The runner refuses plain http:// to another machine, from the command line and from a saved
 * credentials file alike: the runner token and the signed jobs would cross the network in clear.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killRunners, spawnRunner } from './runner-helpers';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-runner-http-'));
});
afterEach(async () => {
  await killRunners();
  rmSync(dir, { recursive: true, force: true });
});

it('refuses --server http://<remote> with exit 1, the reason and the usage', async () => {
  const r = spawnRunner(['--server', 'http://picbot.contoso.com', '--enroll', 'pbe_x', '--labels', 'pool-eu', '--shell', 'sim', '--config', join(dir, 'runner.json')]);
  expect(await r.exited).toBe(1);
  expect(r.stderr()).toMatch(/--server http:\/\/picbot\.contoso\.com: plain http:\/\/ is allowed only to this machine .* Use https:\/\//);
  expect(r.stderr()).toMatch(/Usage: picbot-runner/);
});

it('refuses a saved plain http:// server URL to another machine (a file from an older runner)', async () => {
  const config = join(dir, 'runner.json');
  const runnerToken = 'pbr_saved-token-never-sent-in-clear';
  writeFileSync(config, JSON.stringify({
    server: 'http://picbot.contoso.com:3978',
    runnerId: 'run_0123456789abcdef',
    runnerToken,
    serverKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
    labels: ['pool-eu'],
    name: 'mgmt01',
    shell: 'sim',
    simState: join(dir, 'lync-sim.json'),
    frontEnd: null,
    enrolledAt: '2026-01-31T12:00:00.000Z',
  }), { mode: 0o600 });
  writeFileSync(join(dir, 'lync-sim.json'), '{}');
  const r = spawnRunner(['--config', config]);
  expect(await r.exited).toBe(1);
  expect(r.stderr()).toMatch(/the saved server URL in .*runner\.json: http:\/\/picbot\.contoso\.com:3978 is plain http:\/\/ to another machine.*pass --server https:\/\//);
  expect(r.stderr()).not.toContain(runnerToken);
});
