/**
 * `picbot keys rotate` on a running deployment, with the REAL runner process: the server restarts
 * on the new key, the runner (pinned to the old one at enrollment) follows the rotation the old key
 * signed, runs the next job, and keeps the new key and the retired one in its credentials file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/bot/config';
import { startServer } from '../../src/bot/main';
import { RunnerCredentials } from '../../src/runner/credentials';
import { silentLogger } from '../../src/shared/logger';
import { echoArea } from '../fakes/echo-area';
import { runPicbot } from './cli-process';
import { startHarness, type Harness } from './harness';
import { nextJobChange } from './plan-helpers';
import { discoverJob, enrolledRunner, killRunners, type TestServer } from './runner-helpers';
import { writeState } from './sim-helpers';

jest.setTimeout(90_000);

let dir: string;
let h: Harness | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-rotate-'));
});
afterEach(async () => {
  await killRunners();
  await h?.close();
  h = null;
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function discovered(harness: Harness): Promise<string> {
  const job = await harness.server.deps.jobs.create(discoverJob());
  const done = await nextJobChange(harness, (c) => c.type === 'finished' && c.job.id === job.id);
  return done.type === 'finished' ? `${done.job.status}${done.result?.error ? ` ${done.result.error.code}` : ''}` : '';
}

it('the runner follows a rotation signed by the old key and runs jobs signed with the new one', async () => {
  const dbPath = join(dir, 'picbot.db');
  h = await startHarness({ areas: [echoArea], dbPath, env: { PORT: String(await freePort()) } });
  const sim = writeState(dir, 'lync2013');
  const runner = await enrolledRunner({ server: h.server, dir, changes: [], nextChange: () => new Promise(() => undefined), close: async () => undefined } as TestServer, { simState: sim });
  const oldKey = h.server.deps.signingKeys.publicKeyPem;
  expect(await discovered(h)).toBe('succeeded');

  copyFileSync(join(dir, 'signing.key'), join(dir, 'signing.key.before'));
  const rotated = await runPicbot(['keys', 'rotate', '--db', dbPath, '--json'], { cwd: dir });
  expect(rotated).toMatchObject({ code: 0, stderr: '' });
  const { from, to } = JSON.parse(rotated.stdout) as { from: string; to: string };
  expect(from).not.toBe(to);
  const oldPrivate = readFileSync(join(dir, 'signing.key.before'), 'utf8');
  await h.restart();
  const newKey = h.server.deps.signingKeys.publicKeyPem;
  expect(newKey).not.toBe(oldKey);

  expect(await discovered(h)).toBe('succeeded');
  const saved = RunnerCredentials.parse(JSON.parse(readFileSync(runner.config, 'utf8')));
  expect(saved.serverKey).toBe(newKey);
  expect(saved.retiredKeys).toEqual([oldKey]);
  expect((await h.server.deps.audit.list()).map((r) => r.action)).toContain('signing-key.rotated');

  // The old key file put back (a restore from an old backup): the server refuses to sign with it.
  await h.close();
  h = null;
  writeFileSync(join(dir, 'signing.key'), oldPrivate);
  const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: dbPath, PICBOT_LOG_LEVEL: 'silent' });
  await expect(startServer({ config, areas: [echoArea], logger: silentLogger() })).rejects.toThrow(/PICBOT_SIGNING_KEY_FILE: the key file .* holds a key that picbot keys rotate retired/);
});

it('keys rotate refuses without a database, and names what is wrong', async () => {
  const r = await runPicbot(['keys', 'rotate', '--db', join(dir, 'none.db')], { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/no picbot database at/);
});
