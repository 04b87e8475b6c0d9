/**
 * Helpers for tests that run the REAL runner process (node dist/runner/main.js, built by pretest)
 * against the real server on loopback, with the real simulator as its shell.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../src/bot/config';
import { startServer, type RunningServer } from '../../src/bot/main';
import type { CreateHandlers } from '../../src/bot/app-deps';
import type { JobChange, NewJob } from '../../src/bot/workflows/ports';
import type { Clock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { echoArea } from '../fakes/echo-area';

export const RUNNER_MAIN = resolve(__dirname, '..', '..', 'dist', 'runner', 'main.js');

export interface TestServer {
  server: RunningServer;
  dir: string;
  /** Every job change since the start, and a wait for the first (past or future) that matches. */
  changes: JobChange[];
  nextChange(match: (c: JobChange) => boolean): Promise<JobChange>;
  close(): Promise<void>;
}

export async function startTestServer(options: { leaseMs?: number; clock?: Clock; areas?: CreateHandlers[] } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'picbot-runner-'));
  const config = parseConfig({ HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, 'picbot.db'), PICBOT_LOG_LEVEL: process.env.PICBOT_TEST_LOG ?? 'silent' });
  const server = await startServer({
    config,
    areas: options.areas ?? [echoArea],
    logger: createLogger({ level: config.logLevel }),
    clock: options.clock,
    runnerGateway: { leaseMs: options.leaseMs },
  });
  const changes: JobChange[] = [];
  const waiting: { match: (c: JobChange) => boolean; resolve: (c: JobChange) => void }[] = [];
  server.deps.jobs.onChange((c) => {
    changes.push(c);
    for (const w of [...waiting]) {
      if (w.match(c)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(c);
      }
    }
  });
  return {
    server,
    dir,
    changes,
    nextChange(match) {
      const found = changes.find(match);
      return found ? Promise.resolve(found) : new Promise((r) => waiting.push({ match, resolve: r }));
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the job ends and returns the final change. */
export function finished(t: TestServer, jobId: string): Promise<Extract<JobChange, { type: 'finished' }>> {
  return t.nextChange((c) => c.type === 'finished' && c.job.id === jobId) as Promise<Extract<JobChange, { type: 'finished' }>>;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface RunnerProcess {
  proc: ChildProcessWithoutNullStreams;
  /** Parsed JSON log lines so far (stderr). */
  logs: LogLine[];
  /** Raw stderr and stdout text so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the first log line (past or future) whose msg matches. */
  waitForLog(match: RegExp | ((line: LogLine) => boolean)): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<RunnerProcess>();

/** Starts `node dist/runner/main.js ARGS`. */
export function spawnRunner(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): RunnerProcess {
  const proc = spawn(process.execPath, [RUNNER_MAIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  let partial = '';
  const logs: LogLine[] = [];
  const waiting: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      logs.push(parsed);
      for (const w of [...waiting]) {
        if (w.match(parsed)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const runner: RunnerProcess = {
    proc,
    logs,
    stderr: () => err,
    stdout: () => out,
    waitForLog(match) {
      const test = match instanceof RegExp ? (l: LogLine) => match.test(l.msg) : match;
      const found = logs.find(test);
      return found ? Promise.resolve(found) : new Promise((r) => waiting.push({ match: test, resolve: r }));
    },
    exited,
    kill(signal = 'SIGTERM') {
      proc.kill(signal);
    },
  };
  running.add(runner);
  void exited.then(() => running.delete(runner));
  return runner;
}

/** Kills every runner still running (afterEach). */
export async function killRunners(): Promise<void> {
  const all = [...running];
  for (const r of all) r.kill('SIGKILL');
  await Promise.all(all.map((r) => r.exited));
}

/** Enrolls a runner process with a fresh token and waits until it polls for jobs. */
export async function enrolledRunner(
  t: TestServer,
  options: { labels?: string[]; name?: string; simState: string; extra?: string[]; config?: string },
): Promise<RunnerProcess & { config: string }> {
  const labels = options.labels ?? ['pool-eu'];
  const { token } = await t.server.deps.runners.createEnrollmentToken({ labels, createdBy: 'test' });
  const config = options.config ?? join(t.dir, `runner-${Math.random().toString(36).slice(2)}.json`);
  const runner = spawnRunner([
    '--server', t.server.url, '--enroll', token, '--labels', labels.join(','), '--shell', 'sim', '--sim-state', options.simState,
    '--config', config, '--name', options.name ?? 'fe01', ...(options.extra ?? []),
  ]);
  await Promise.race([
    runner.waitForLog(/waiting for jobs/),
    runner.exited.then((code) => { throw new Error(`runner exited ${code} before polling: ${runner.stderr()}`); }),
  ]);
  return Object.assign(runner, { config });
}

export const discoverJob = (target = 'pool-eu', extra: Partial<NewJob> = {}): NewJob => ({
  kind: 'discover',
  target,
  profile: 'lync2013',
  discovery: { users: ['sip:alice@contoso.com', 'sip:nobody@contoso.com'], clientPolicyIdentities: ['Global'] },
  context: { purpose: 'test', requestId: 'req_0123456789abcdef', planId: null, card: null },
  createdBy: 'test',
  ...extra,
});
