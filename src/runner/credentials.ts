/**
 * The runner's credentials file: what enrollment gave it (runner id, runner token, the server's
 * pinned signing key) and how it runs (server URL, labels, shell). It holds a bearer token, so it
 * is written readable by its owner only (0600, through a temp file and a rename) and refused on
 * POSIX when its mode lets anyone else read it, the way ssh treats private keys.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { RunnerLabel } from '../contracts/runner-api';
import { idPattern } from '../shared/ids';

export const RunnerCredentials = z.object({
  server: z.string().url(),
  runnerId: z.string().regex(idPattern('runner')),
  runnerToken: z.string().min(1),
  serverKey: z.string().includes('PUBLIC KEY'),
  /** Keys the server rotated away from (picbot keys rotate): a job signed with one is refused. */
  retiredKeys: z.array(z.string()).optional(),
  labels: z.array(RunnerLabel).min(1),
  name: z.string().min(1),
  shell: z.enum(['sim', 'powershell']),
  simState: z.string().nullable(),
  frontEnd: z.string().nullable(),
  enrolledAt: z.string(),
}).strict();
export type RunnerCredentials = z.infer<typeof RunnerCredentials>;

export class CredentialsError extends Error {}

/** Reads and checks the credentials file; null when it does not exist. Throws CredentialsError. */
export function readCredentials(path: string, platform: NodeJS.Platform = process.platform): RunnerCredentials | null {
  if (!existsSync(path)) return null;
  if (platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new CredentialsError(`${path} is readable by other users (mode ${mode.toString(8)}); it holds the runner token. Run: chmod 600 ${path}`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CredentialsError(`${path} is not JSON (${(err as Error).message}); remove it and enroll again`);
  }
  const parsed = RunnerCredentials.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredentialsError(`${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}; remove it and enroll again`);
  }
  return parsed.data;
}

/** Writes the credentials atomically, readable by this user only. */
export function writeCredentials(path: string, credentials: RunnerCredentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  // Created with 0600 from the first byte (not chmod'ed after), so no window where others can read it.
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(temp, 0o600); // in case a umask widened nothing but a platform default did
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
