/**
 * Runs a compiled command (bin/picbot.js, a dist/ script) as a real child process with a minimal
 * environment, so a developer's .env, PICBOT_DB or MicrosoftAppId cannot leak in, and resolves
 * once it exits with its code and everything it wrote.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const PICBOT_BIN = resolve(__dirname, '../../bin/picbot.js');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory; the test process's own when absent. */
  cwd?: string;
  /** Variables on top of PATH, the only one taken from the outside. */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is closed at once (none of these commands read it). */
  input?: string;
}

/** `node script ...args` with PATH plus options.env as its whole environment. */
export function runNode(script: string, args: readonly string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    if (options.input === undefined) child.stdin.end();
    else child.stdin.end(options.input);
  });
}

/** `picbot ...args` in cwd, with PATH, HOME=cwd and options.env as its whole environment. */
export function runPicbot(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<Ran> {
  return runNode(PICBOT_BIN, args, { cwd: options.cwd, env: { HOME: options.cwd, ...options.env } });
}
