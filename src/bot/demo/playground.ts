/**
 * Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground), the Teams-like web client
 * of the local demo, as a child process: on loopback only (through the loopback preload, since it
 * has no host option), no browser opened, no telemetry, its log file in the data directory.
 * It takes another port when the asked one is busy, so the real one is read from its
 * "Listening on N" line.
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_WITH_PARENT, startChild, exitText, type DemoChild } from './child-process';

export interface PlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages */
  endpoint: string;
  port: number;
  /** Where its log file goes. */
  dataDir: string;
  /** The environment to run it in (its own variables are added). */
  env: NodeJS.ProcessEnv;
  /** Aborting stops it and rejects. */
  signal?: AbortSignal;
}

export interface RunningPlayground {
  child: DemoChild;
  /** The URL to open, e.g. http://127.0.0.1:56150 */
  url: string;
  port: number;
}

/** The Playground's command line entry (a devDependency; `npm ci` installs it). */
export function playgroundCli(): string {
  return require.resolve('@microsoft/m365agentsplayground/cli.js');
}

/** The preload that defaults listen()'s host to 127.0.0.1 (src/tools/loopback-preload.ts). */
export const LOOPBACK_PRELOAD = join(__dirname, '..', '..', 'tools', 'loopback-preload.js');

/** The preload that makes the files it creates owner-only (src/tools/owner-only-preload.ts). */
export const OWNER_ONLY_PRELOAD = join(__dirname, '..', '..', 'tools', 'owner-only-preload.js');

const LISTENING = /^Listening on (\d+)\s*$/;

/** Starts the Playground and resolves once it listens; rejects (the child stopped) if it exits first. */
export async function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  // The log holds the chat's activities: the owner's only, like the rest of the data folder (a
  // log left by an older picbot is fixed here; the preload covers the file the Playground writes).
  const logFile = join(options.dataDir, 'playground.log');
  if (process.platform !== 'win32' && existsSync(logFile)) chmodSync(logFile, 0o600);
  let onPort!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (onPort = resolve));
  const child = startChild(
    'playground',
    process.execPath,
    ['-r', LOOPBACK_PRELOAD, '-r', OWNER_ONLY_PRELOAD, '-r', EXIT_WITH_PARENT, playgroundCli(), 'start', '-e', options.endpoint, '-c', 'msteams', '--dt', '-p', String(options.port)],
    {
      env: {
        ...options.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      },
      cwd: options.dataDir,
      parentPipe: true,
      onStdoutLine: (line) => {
        const m = LISTENING.exec(line);
        if (m) onPort(Number(m[1]));
        else process.stderr.write(`${line}\n`);
      },
      onStderrLine: (line) => process.stderr.write(`${line}\n`),
    },
  );
  const aborted = new Promise<'aborted'>((resolve) => {
    if (options.signal?.aborted) resolve('aborted');
    options.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const first = await Promise.race([listening, child.exited, aborted]);
  if (first === 'aborted') {
    await child.stop();
    throw new Error('stopped while Agents Playground was starting');
  }
  if (typeof first !== 'number') {
    await child.stop();
    throw new Error(`Agents Playground stopped before it was ready (${exitText(first)})${child.lastLines() ? `:\n${child.lastLines()}` : ''}`);
  }
  return { child, url: `http://127.0.0.1:${first}`, port: first };
}
