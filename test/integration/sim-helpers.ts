import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../src/contracts/profiles';
import { createShellHost, SIM_MAIN, type ShellHost, type ShellHostOptions } from '../../src/runner/shell-host';
import { initialState, type SimState } from '../../src/lync-sim/state';

/** Helpers for tests that drive the real picbot-lync-sim process (built into dist/ by pretest). */
export const FIXED_NOW = new Date('2026-01-01T00:00:00.000Z');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'picbot-sim-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a state file: a fresh server for the profile, changed by `tweak`. */
export function writeState(dir: string, profile: Profile = 'lync2013', tweak?: (s: SimState) => void): string {
  const state = initialState(profile, FIXED_NOW);
  tweak?.(state);
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state, null, 2));
  return file;
}

export function startSim(file: string, extra: Partial<ShellHostOptions> = {}): ShellHost {
  return createShellHost({ kind: 'sim', simState: file, opTimeoutMs: 10_000, graceMs: 2_000, ...extra });
}

/** Runs the simulator CLI to completion with the given stdin. */
export function runSimCli(args: string[], input = '', env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [SIM_MAIN, ...args], { input, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const filesIn = (dir: string): string[] => readdirSync(dir).sort();
