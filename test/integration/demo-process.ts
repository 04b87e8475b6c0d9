/**
 * Runs `node dist/bot/start.js` (what `npm start` runs) as a real child process in a temporary
 * data directory, waits for its ready line, and checks afterwards that it left nothing behind:
 * every child process (and its process group) gone, every port free.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(__dirname, '../..');
export const START = join(ROOT, 'dist/bot/start.js');

export interface DemoProcess {
  child: ChildProcess;
  dataDir: string;
  /** Every line the process wrote to stdout so far. */
  stdoutLines: string[];
  readyLine: string;
  /** The URL in the ready line (the Playground's, or the bot's messaging endpoint with --no-playground). */
  readyUrl: string;
  /** The bot's base URL, from its "picbot listening" log line. */
  botUrl: string;
  stderr(): string;
  /** The pids of its direct children (runner, Playground) while it runs. */
  childPids: number[];
  /** Sends the signal and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** The data directory (created if missing; the caller removes it). */
  dataDir: string;
  /** Leave the data directory for the demo to create (its parent must exist; it is the working directory then). */
  demoCreatesDataDir?: boolean;
}

/** Every start.js spawned and not yet stopped, ready or not. */
const running = new Map<ChildProcess, Promise<unknown>>();

/**
 * Stops every demo a test started and did not stop (after a failed assertion or a timeout,
 * even one that never got to its ready line), and waits for each to exit.
 */
export async function stopLeftovers(): Promise<void> {
  await Promise.all([...running].map(([child, exited]) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    return exited;
  }));
  running.clear();
}

/** A port nothing listens on right now (the OS's pick). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on host:port. */
export function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether any process is left in the process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A temporary data directory for the enclosing describe: made in beforeAll and removed in
 * afterAll, so a describe that `-t` filters out leaves nothing behind.
 */
export function useTempDataDir(): { dir: string } {
  const data = { dir: '' };
  beforeAll(() => {
    data.dir = mkdtempSync(join(tmpdir(), 'picbot-start-'));
  });
  afterAll(() => {
    if (data.dir) rmSync(data.dir, { recursive: true, force: true });
  });
  return data;
}

/** The environment for the demo: the parent's, minus anything that would change its mode or files. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('PICBOT_') || name.startsWith('Microsoft') || name === 'PORT' || name === 'HOST') delete env[name];
  }
  return { ...env, PICBOT_LOG_LEVEL: 'info', ...extra };
}

/** Starts the demo and resolves at its ready line; rejects (with its stderr) if it exits first. */
export async function startDemoProcess(options: StartOptions): Promise<DemoProcess> {
  const { dataDir } = options;
  if (!options.demoCreatesDataDir) mkdirSync(dataDir, { recursive: true });
  // cwd is the data directory (or its parent), so a developer's .env in the checkout does not leak in.
  const child = spawn(process.execPath, [START, '--data', dataDir, ...(options.args ?? [])], {
    cwd: options.demoCreatesDataDir ? dirname(dataDir) : dataDir,
    env: cleanEnv({ PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdoutLines: string[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    // Not started at all (no 'close' follows then).
    child.once('error', (err) => {
      stderr += `spawning start.js: ${err.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  running.set(child, exited);
  void exited.then(() => running.delete(child));
  const ready = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdoutLines.push(line);
      if (line.startsWith('picbot is ready: ')) resolve(line);
    });
  });
  const first = await Promise.race([ready, exited]);
  if (typeof first !== 'string') {
    // Its children stop with it: start.js stops what it started when the start fails.
    throw new Error(`start.js exited before it was ready (code ${first.code}, signal ${first.signal}):\n${stderr.slice(-4000)}`);
  }
  const readyUrl = /(http:\/\/127\.0\.0\.1:\d+\S*)/.exec(first)?.[1];
  const fail = async (message: string) => {
    child.kill('SIGINT');
    await exited;
    return new Error(message);
  };
  if (!readyUrl) throw await fail(`no URL in the ready line: ${first}`);
  const listening = stderr.split('\n').map((l) => {
    try {
      return JSON.parse(l) as { msg?: string; url?: string };
    } catch {
      return {};
    }
  }).find((l) => l.msg === 'picbot listening');
  if (!listening?.url) throw await fail(`no "picbot listening" log line:\n${stderr.slice(-4000)}`);
  return {
    child,
    dataDir,
    stdoutLines,
    readyLine: first,
    readyUrl,
    botUrl: listening.url,
    stderr: () => stderr,
    childPids: childrenOf(child.pid!),
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `picbot runner list --json` on the demo's database. */
export function runnerList(dataDir: string): Array<{ id: string; labels: string[]; revokedAt: string | null; name: string }> {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bot/cli.js'), 'runner', 'list', '--json', '--db', join(dataDir, 'picbot.db')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`picbot runner list: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
