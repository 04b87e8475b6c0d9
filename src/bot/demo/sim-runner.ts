/**
 * The demo's runner agent on the simulated Lync shell: the simulator's state file is created for
 * Lync Server 2013 on first run, the runner is enrolled with a fresh token made in-process (or
 * reuses its credentials file when the server still knows it), and is ready once the server has
 * heard from it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCredentials } from '../../runner/credentials';
import type { Profile } from '../../contracts/profiles';
import { ENROLL_TOKEN_ENV } from '../../contracts/runner-api';
import { FAULTS_ENV } from '../../lync-sim/faults';
import type { Logger } from '../../shared/logger';
import type { RunnerRegistry } from '../workflows/ports';
import { EXIT_WITH_PARENT, exitText, startChild, type DemoChild } from './child-process';

const DIST = join(__dirname, '..', '..');
export const SIM_MAIN = join(DIST, 'lync-sim', 'main.js');
export const RUNNER_MAIN = join(DIST, 'runner', 'main.js');

/** The profile of the simulated server `npm start` creates. */
export const DEMO_PROFILE: Profile = 'lync2013';

/** Creates the simulator's state file for `profile` unless it exists; true when it was created. */
export async function ensureSimState(path: string, profile: Profile = DEMO_PROFILE): Promise<boolean> {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  const init = startChild('lync-sim --init', process.execPath, [SIM_MAIN, '--state', path, '--init', profile]);
  const exit = await init.exited;
  if (exit.code !== 0) throw new Error(`creating the simulator state ${path} (${exitText(exit)}): ${init.lastLines()}`);
  return true;
}

export interface SimRunnerOptions {
  /** The bot's base URL, e.g. http://127.0.0.1:3978 */
  server: string;
  label: string;
  simState: string;
  /** The runner's credentials file (0600; the runner writes it at enrollment). */
  credentials: string;
  registry: RunnerRegistry;
  env: NodeJS.ProcessEnv;
  /** Each simulated cmdlet waits this long (ms; 0: no wait), unless PICBOT_SIM_FAULTS sets its own delayMs. */
  paceMs?: number;
  logger: Logger;
  /** How often to look whether the server has heard from the runner (ms). */
  pollMs?: number;
  /** Aborting stops the runner and rejects. */
  signal?: AbortSignal;
}

export interface RunningSimRunner {
  child: DemoChild;
  runnerId: string;
  /** True when this start enrolled it (first run, or the server no longer knew the old one). */
  enrolled: boolean;
}

/**
 * Whether the saved credentials can be used as they are: the file is sound, the server knows
 * the runner and has not revoked it, and it serves exactly `label`.
 */
async function usableCredentials(options: SimRunnerOptions): Promise<string | null> {
  let saved;
  try {
    saved = readCredentials(options.credentials);
  } catch (err) {
    options.logger.warn({ file: options.credentials, reason: (err as Error).message }, 'runner credentials unusable; enrolling again');
    return null;
  }
  if (!saved) return null;
  const known = await options.registry.get(saved.runnerId);
  if (!known || known.revokedAt !== null) {
    options.logger.info({ runnerId: saved.runnerId }, 'this server does not know the saved runner (new database, or revoked); enrolling again');
    return null;
  }
  if (saved.labels.length !== 1 || saved.labels[0] !== options.label) {
    options.logger.info({ runnerId: saved.runnerId, labels: saved.labels, want: options.label }, 'the saved runner serves other labels; enrolling again');
    return null;
  }
  return saved.runnerId;
}

/** Starts the runner (enrolling it when needed) and resolves once the server has heard from it. */
export async function startSimRunner(options: SimRunnerOptions): Promise<RunningSimRunner> {
  const since = new Date().toISOString();
  const known = await usableCredentials(options);
  const env: NodeJS.ProcessEnv = { ...options.env, ...paced(options.env, options.paceMs ?? 0) };
  const args = ['--server', options.server, '--labels', options.label, '--shell', 'sim', '--sim-state', options.simState,
    '--config', options.credentials, '--name', 'npm start (simulated Lync 2013)'];
  if (!known) {
    // Only the demo's own file in the demo's data directory is ever removed.
    rmSync(options.credentials, { force: true });
    const made = await options.registry.createEnrollmentToken({ labels: [options.label], createdBy: 'npm start' });
    // Through the environment, not the command line, which `ps` shows to every user of the machine.
    env[ENROLL_TOKEN_ENV] = made.token;
  }
  const child = startChild('runner', process.execPath, ['-r', EXIT_WITH_PARENT, RUNNER_MAIN, ...args], { env, parentPipe: true });
  const pollMs = options.pollMs ?? 100;
  for (;;) {
    if (options.signal?.aborted) {
      await child.stop();
      throw new Error('stopped while the runner was starting');
    }
    if (child.exit !== null) {
      await child.exited;
      throw new Error(`the runner stopped before it was ready (${exitText(child.exit)})${child.lastLines() ? `:\n${child.lastLines()}` : ''}`);
    }
    const runnerId = known ?? credentialsId(options.credentials);
    if (runnerId) {
      const info = await options.registry.get(runnerId);
      if (info && info.revokedAt === null && info.lastSeenAt >= since) return { child, runnerId, enrolled: !known };
    }
    await sleep(pollMs);
  }
}

/**
 * PICBOT_SIM_FAULTS for the runner with the demo's pace added: a delayMs the environment already
 * sets wins, and so does a value that is not valid JSON (the simulator then names the variable).
 */
function paced(env: NodeJS.ProcessEnv, paceMs: number): NodeJS.ProcessEnv {
  if (paceMs <= 0) return {};
  const raw = env[FAULTS_ENV]?.trim();
  if (!raw) return { [FAULTS_ENV]: JSON.stringify({ delayMs: paceMs }) };
  try {
    const faults = JSON.parse(raw) as unknown;
    if (typeof faults !== 'object' || faults === null || Array.isArray(faults) || 'delayMs' in faults) return {};
    return { [FAULTS_ENV]: JSON.stringify({ ...faults, delayMs: paceMs }) };
  } catch {
    return {};
  }
}

function credentialsId(path: string): string | null {
  try {
    return readCredentials(path)?.runnerId ?? null;
  } catch {
    // Being written (temp file + rename) or not yet there: look again on the next round.
    return null;
  }
}
