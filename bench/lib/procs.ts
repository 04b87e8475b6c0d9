/**
 * Starts the processes under test as real child processes on 127.0.0.1: picbot's server
 * (`node dist/bot/main.js serve`, local mode, a fresh SQLite file), the floor
 * (`node dist/bench/floor/main.js`) and picbot's runner (`node dist/runner/main.js --shell sim`).
 * Each gets a minimal environment (nothing of the caller's bot settings leaks in) and a temporary
 * working directory (no `.env` is read). Their stderr JSON log lines are parsed as they come.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { since } from './stats';

export const ROOT = resolve(__dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist');
export const PICBOT_MAIN = join(DIST, 'bot', 'main.js');
export const FLOOR_MAIN = join(DIST, 'bench', 'floor', 'main.js');
export const RUNNER_MAIN = join(DIST, 'runner', 'main.js');
export const SIM_MAIN = join(DIST, 'lync-sim', 'main.js');

/**
 * Extra node flags for picbot's server and runner (`--cpu-prof`: a CPU profile of each, written
 * when it exits). Set once by run.ts from its command line.
 */
const nodeFlags: string[] = [];
export function profileInto(dir: string): void {
  nodeFlags.push('--cpu-prof', '--cpu-prof-dir', dir);
}

export interface LogLine {
  msg?: string;
  time?: number;
  [key: string]: unknown;
}

export interface Child {
  pid: number;
  dir: string;
  logs: LogLine[];
  /** Resolves with the first log line (past or future) that matches; rejects when the process ends first. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resident set size in MB (Linux /proc, else `ps`). */
  rssMb(): number;
  stderr(): string;
  stop(): Promise<void>;
}

function minimalEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SystemRoot', 'LOCALAPPDATA']) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, ...extra };
}

function rssOf(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(status, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  }
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) / 1024;
}

/** Spawns `node script args` with its own temp directory as cwd; stderr lines are parsed as JSON. */
export function spawnChild(script: string, args: string[], env: Record<string, string>, dir?: string, flags: string[] = []): Child {
  const cwd = dir ?? mkdtempSync(join(tmpdir(), 'picbot-bench-'));
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, [...flags, script, ...args], { cwd, env: minimalEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiting = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void; reject: (e: Error) => void }>();
  let err = '';
  let partial = '';
  let exited: string | null = null;
  proc.stdout.resume();
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (err.length < 200_000) err += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      if (logs.length > 5_000) logs.shift();
      for (const w of waiting) {
        if (w.match(line)) {
          waiting.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  const done = new Promise<void>((res) => proc.on('exit', (code, signal) => {
    exited = `exited (${code ?? signal})`;
    for (const w of waiting) w.reject(new Error(`${script} ${exited} before the expected log line; stderr: ${err.slice(-2000)}`));
    waiting.clear();
    res();
  }));
  return {
    pid: proc.pid!,
    dir: cwd,
    logs,
    waitForLog(match, timeoutMs = 60_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      if (exited) return Promise.reject(new Error(`${script} ${exited}; stderr: ${err.slice(-2000)}`));
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          waiting.delete(entry);
          rej(new Error(`${script}: no matching log line within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`));
        }, timeoutMs);
        const entry = { match, resolve: (l: LogLine) => { clearTimeout(timer); res(l); }, reject: (e: Error) => { clearTimeout(timer); rej(e); } };
        waiting.add(entry);
      });
    },
    rssMb: () => rssOf(proc.pid!),
    stderr: () => err,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await done;
        clearTimeout(killer);
      }
      if (!dir) rmSync(cwd, { recursive: true, force: true });
    },
  };
}

export interface Server extends Child {
  url: string;
  /** Spawn → the first 200 from /healthz, in ms. */
  startMs: number;
}

async function healthy(url: string): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      await res.text();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function startServer(child: Child, listening: string, t0: number): Promise<Server> {
  try {
    const line = await child.waitForLog((l) => l.msg === listening, 30_000);
    const url = String(line.url);
    await healthy(url);
    return Object.assign(child, { url, startMs: since(t0) });
  } catch (err) {
    await child.stop();
    throw err;
  }
}

export interface PicbotOptions {
  /** Write a CPU profile (run.ts's --cpu-prof). */
  profile?: boolean;
  /** PICBOT_DATABASE_URL: PostgreSQL instead of the fresh SQLite file. */
  databaseUrl?: string;
  /** More environment (the shared key files of several instances). */
  env?: Record<string, string>;
}

/**
 * picbot's server in local mode in its own directory: with a fresh SQLite file there, or on the
 * PostgreSQL that `databaseUrl` names.
 */
export function startPicbot(options: PicbotOptions = {}): Promise<Server> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'picbot-bench-'));
  const database: Record<string, string> = options.databaseUrl ? { PICBOT_DATABASE_URL: options.databaseUrl } : { PICBOT_DB: join(dir, 'picbot.db') };
  const env = { HOST: '127.0.0.1', PORT: '0', ...database, PICBOT_LOG_LEVEL: 'info', ...options.env };
  const child = spawnChild(PICBOT_MAIN, ['serve'], env, dir, options.profile ? nodeFlags : []);
  const stop = child.stop;
  child.stop = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return startServer(child, 'picbot listening', t0);
}

/** The floor echo bot. */
export function startFloor(): Promise<Server> {
  const t0 = performance.now();
  return startServer(spawnChild(FLOOR_MAIN, [], { PORT: '0' }), 'floor listening', t0);
}

/** A fresh simulated Lync Server 2013 state file in `dir`, with `users` added as Lync-enabled users. */
export function simState(dir: string, users: string[] = []): string {
  const file = join(dir, 'lync-sim.json');
  const r = spawnSync(process.execPath, [SIM_MAIN, '--state', file, '--init', 'lync2013'], { input: '', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`creating the simulator state: ${r.stderr}`);
  if (users.length > 0) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { userPolicies: { user: string; externalAccessPolicy: string | null }[] };
    state.userPolicies.push(...users.map((user) => ({ user, externalAccessPolicy: null })));
    writeFileSync(file, JSON.stringify(state, null, 2));
  }
  return file;
}

/** picbot's real runner on the simulated shell, enrolled with `token`; resolves once it polls for jobs. */
export async function startRunner(serverUrl: string, token: string, label: string, users: string[] = []): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'picbot-bench-runner-'));
  const state = simState(dir, users);
  const child = spawnChild(RUNNER_MAIN, [
    '--server', serverUrl, '--enroll', token, '--labels', label, '--shell', 'sim', '--sim-state', state,
    '--config', join(dir, 'runner.json'), '--name', 'bench-runner', '--log-level', 'info',
  ], {}, dir, nodeFlags);
  const stop = child.stop;
  child.stop = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await child.waitForLog((l) => l.msg === 'waiting for jobs', 30_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}
