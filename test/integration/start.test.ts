/**
 * `npm start` as a real process (node dist/bot/start.js): the bot, the simulated runner and
 * Agents Playground on loopback, one ready line, a clean stop on Ctrl-C (SIGINT) and SIGTERM.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { accepts, freePort, groupAlive, pidAlive, runnerList, START, startDemoProcess, stopLeftovers, useTempDataDir, type DemoProcess } from './demo-process';

jest.setTimeout(120_000);
// A failed test leaves its demo running: stop it, so no process outlives the suite.
afterEach(() => stopLeftovers());
afterAll(() => stopLeftovers());

/** Every address of this machine that is not loopback (where nothing of the demo may listen). */
const outsideAddresses = Object.values(networkInterfaces()).flat()
  .filter((a): a is NonNullable<typeof a> => !!a && !a.internal && a.family === 'IPv4')
  .map((a) => a.address);

const portOf = (url: string) => Number(new URL(url).port);

/** A process's environment, as /proc shows it to its owner. */
function environOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** Stops the demo and checks it left nothing: exit 0, children and their groups gone, ports free. */
async function stopAndCheck(demo: DemoProcess, ports: number[], signal: NodeJS.Signals = 'SIGINT') {
  expect(demo.childPids.length).toBeGreaterThan(0);
  const end = await demo.stop(signal);
  expect(end).toEqual({ code: 0, signal: null });
  for (const pid of demo.childPids) {
    expect(pidAlive(pid)).toBe(false);
    // Each child led its own process group: nothing it started may be left either.
    expect(groupAlive(pid)).toBe(false);
  }
  for (const port of ports) expect(await accepts(port)).toBe(false);
}

describe('npm start -- --no-playground', () => {
  const data = useTempDataDir();

  it('starts the bot and an enrolled runner on loopback, prints one ready line, and stops cleanly on SIGINT', async () => {
    const demo = await startDemoProcess({ dataDir: data.dir, args: ['--no-playground'] });
    expect(demo.readyLine).toMatch(/^picbot is ready: bot at http:\/\/127\.0\.0\.1:\d+\/api\/messages with runner "lync-sim" on the simulated Lync shell \(Ctrl-C to stop\)$/);
    expect(demo.stdoutLines).toEqual([demo.readyLine]);
    expect(demo.readyUrl).toBe(`${demo.botUrl}/api/messages`);
    expect(demo.childPids).toHaveLength(1); // the runner

    const health = await fetch(`${demo.botUrl}/healthz`);
    expect(health.status).toBe(200);
    for (const address of outsideAddresses) expect(await accepts(portOf(demo.botUrl), address)).toBe(false);

    const runners = runnerList(data.dir);
    expect(runners).toEqual([expect.objectContaining({ labels: ['lync-sim'], revokedAt: null })]);
    // The simulator's Lync 2013 state and the runner's private credentials are in the data directory.
    expect(existsSync(join(data.dir, 'lync-sim.json'))).toBe(true);
    expect(statSync(join(data.dir, 'runner.json')).mode & 0o077).toBe(0);

    await stopAndCheck(demo, [portOf(demo.botUrl)]);
  });

  it('creates its data folder 0700, passes the runner its token and its pace in the environment, and --fast drops the pace', async () => {
    const fresh = join(data.dir, 'fresh');
    const demo = await startDemoProcess({ dataDir: fresh, args: ['--no-playground'], demoCreatesDataDir: true });
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    const [runner] = demo.childPids;
    // `ps` shows every user the command line; the environment only its owner.
    const cmdline = readFileSync(`/proc/${runner}/cmdline`, 'utf8').split('\0');
    expect(cmdline).not.toContain('--enroll');
    expect(environOf(runner).PICBOT_SIM_FAULTS).toBe(JSON.stringify({ delayMs: 400 }));
    await stopAndCheck(demo, [portOf(demo.botUrl)]);

    const fast = await startDemoProcess({ dataDir: fresh, args: ['--no-playground', '--fast'] });
    expect(environOf(fast.childPids[0]).PICBOT_SIM_FAULTS).toBeUndefined();
    await stopAndCheck(fast, [portOf(fast.botUrl)]);

    // A pace of the caller's own (PICBOT_SIM_FAULTS with delayMs) wins.
    const own = await startDemoProcess({ dataDir: fresh, args: ['--no-playground'], env: { PICBOT_SIM_FAULTS: '{"delayMs":5,"replicationStuck":true}' } });
    expect(JSON.parse(environOf(own.childPids[0]).PICBOT_SIM_FAULTS!)).toEqual({ delayMs: 5, replicationStuck: true });
    await stopAndCheck(own, [portOf(own.botUrl)]);
  });

  it('a second start reuses the enrolled runner, and stops cleanly on SIGTERM', async () => {
    const before = runnerList(data.dir);
    const demo = await startDemoProcess({ dataDir: data.dir, args: ['--no-playground'] });
    expect(runnerList(data.dir).map((r) => r.id)).toEqual(before.map((r) => r.id));
    await stopAndCheck(demo, [portOf(demo.botUrl)], 'SIGTERM');
  });

  it('takes one Ctrl-C that arrives twice (from the terminal and forwarded by npm) as one: a clean stop, exit 0', async () => {
    const demo = await startDemoProcess({ dataDir: data.dir, args: ['--no-playground'] });
    demo.child.kill('SIGINT');
    await stopAndCheck(demo, [portOf(demo.botUrl)], 'SIGINT');
  });

  it('enrolls again when the database is new (the saved runner is unknown to it)', async () => {
    const before = runnerList(data.dir);
    for (const f of ['picbot.db', 'picbot.db-wal', 'picbot.db-shm']) rmSync(join(data.dir, f), { force: true });
    const demo = await startDemoProcess({ dataDir: data.dir, args: ['--no-playground'] });
    const after = runnerList(data.dir);
    expect(after).toHaveLength(1);
    expect(after[0].id).not.toBe(before[0].id);
    await stopAndCheck(demo, [portOf(demo.botUrl)]);
  });
});

describe('npm start (with Agents Playground)', () => {
  const data = useTempDataDir();

  it('serves the Playground on loopback at the printed URL, pointed at the bot, and stops everything on SIGINT', async () => {
    const port = await freePort();
    const demo = await startDemoProcess({ dataDir: data.dir, env: { PICBOT_PLAYGROUND_PORT: String(port) } });
    expect(demo.readyLine).toBe(`picbot is ready: open http://127.0.0.1:${port} (Ctrl-C to stop)`);
    expect(demo.stdoutLines).toEqual([demo.readyLine]);
    expect(demo.childPids).toHaveLength(2); // the runner and the Playground

    const page = await fetch(demo.readyUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    expect((await fetch(`${demo.botUrl}/healthz`)).status).toBe(200);
    // The Playground has no host option: the preload keeps it off every other address.
    for (const address of outsideAddresses) expect(await accepts(port, address)).toBe(false);
    expect(runnerList(data.dir)).toEqual([expect.objectContaining({ labels: ['lync-sim'] })]);
    // Its log file goes to the data directory, not ./devTools of the working directory.
    expect(existsSync(join(data.dir, 'playground.log'))).toBe(true);
    expect(statSync(join(data.dir, 'playground.log')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(data.dir, 'devTools'))).toBe(false);

    await stopAndCheck(demo, [port, portOf(demo.botUrl)]);
  });

  it('takes another port when the Playground port is busy and prints that one', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const demo = await startDemoProcess({ dataDir: data.dir, env: { PICBOT_PLAYGROUND_PORT: String(busy) } });
      const port = portOf(demo.readyUrl);
      expect(port).not.toBe(busy);
      expect((await fetch(demo.readyUrl)).status).toBe(200);
      await stopAndCheck(demo, [port, portOf(demo.botUrl)]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('npm start killed outright (SIGKILL, a crash)', () => {
  const data = useTempDataDir();

  it('leaves no runner or Playground behind: they stop when its pipe to them closes, and free their ports', async () => {
    const port = await freePort();
    const demo = await startDemoProcess({ dataDir: data.dir, env: { PICBOT_PLAYGROUND_PORT: String(port) } });
    expect(demo.childPids).toHaveLength(2);
    expect(await demo.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // Waits (within the test's time limit) for each orphan to notice and stop.
    for (const pid of demo.childPids) {
      while (groupAlive(pid)) await sleep(50);
    }
    for (const p of [port, portOf(demo.botUrl)]) expect(await accepts(p)).toBe(false);
  });
});

describe('npm start refuses', () => {
  const data = useTempDataDir();

  it.each([
    {
      name: 'a production identity (MicrosoftAppId set)',
      args: [] as string[],
      env: { MicrosoftAppId: '00000000-0000-0000-0000-000000000001' },
      wantErr: /MicrosoftAppId is set .* `npm start` is the local demo only.*npm run serve/,
    },
    { name: 'an unknown option', args: ['--bogus'], env: {}, wantErr: /Unknown option '--bogus'[\s\S]*Usage: npm start/ },
    { name: 'a bad config value, naming the variable', args: [], env: { PICBOT_DEFAULT_TARGET: 'pool eu' }, wantErr: /configuration error: PICBOT_DEFAULT_TARGET: / },
  ])('$name: exit 1, one clear message, nothing started', ({ args, env, wantErr }) => {
    const r = spawnSync(process.execPath, [START, '--data', data.dir, ...args], {
      cwd: data.dir,
      env: { ...process.env, PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(wantErr);
    expect(existsSync(join(data.dir, 'picbot.db'))).toBe(false);
  });

  it('a busy PORT: exit 1 naming the port and PORT, nothing left running', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [START, '--data', data.dir, '--no-playground'], {
        cwd: data.dir,
        env: { ...process.env, PORT: String(busy) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${busy}: another program uses that port; set PORT`));
      expect(r.stderr).not.toMatch(/Unhandled 'error' event/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('prints its usage for --help', () => {
    const r = spawnSync(process.execPath, [START, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--no-playground/);
  });
});
