/**
 * The demo's child processes (runner agent, Agents Playground, simulator init), each started in a
 * process group of its own so that stopping it also stops what it started (the runner's shell
 * hosts), and so a Ctrl-C in the terminal reaches only `npm start`, which then stops the
 * children in order instead of all at once.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DemoChild {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Settles when the process has exited (never rejects). */
  exited: Promise<Exit>;
  /** Set once the process has exited. */
  exit: Exit | null;
  /** The last lines it wrote to stderr (for an error message when it fails to start). */
  lastLines(): string;
  /**
   * SIGTERM to the whole group, then SIGKILL after `graceMs`; resolves when the process has
   * exited. Whatever is left in the group afterwards gets SIGKILL, so nothing is orphaned.
   */
  stop(graceMs?: number): Promise<Exit>;
}

export interface StartChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each stdout line (default: copied to our stderr, since our stdout is for the ready line). */
  onStdoutLine?: (line: string) => void;
  /** Each stderr line (default: copied to our stderr). */
  onStderrLine?: (line: string) => void;
  /**
   * Hand the child a pipe as fd 3 (PICBOT_PARENT_FD) that closes when this process ends, however
   * it ends; the child must load dist/tools/exit-with-parent.js (`node -r`) to act on it.
   */
  parentPipe?: boolean;
}

/** The preload that stops a child when its parent's pipe closes (src/tools/exit-with-parent.ts). */
export const EXIT_WITH_PARENT = join(__dirname, '..', '..', 'tools', 'exit-with-parent.js');

const KEEP_LINES = 20;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    // ESRCH: the group is gone already, which is what we want.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Spawns `command args` in a new process group, stdin closed, output read line by line. */
export function startChild(name: string, command: string, args: string[], options: StartChildOptions = {}): DemoChild {
  const spawnOptions: SpawnOptions = {
    env: { ...(options.env ?? process.env), ...(options.parentPipe ? { PICBOT_PARENT_FD: '3' } : {}) },
    cwd: options.cwd,
    stdio: options.parentPipe ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    // A group of its own: kill(-pid) reaches its children, and the terminal's Ctrl-C does not.
    detached: true,
  };
  const child = spawn(command, args, spawnOptions);
  const recent: string[] = [];
  const toStderr = (line: string) => process.stderr.write(`${line}\n`);
  const onErr = options.onStderrLine ?? toStderr;
  const onOut = options.onStdoutLine ?? toStderr;
  createInterface({ input: child.stdout! }).on('line', (line) => onOut(line));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    recent.push(line);
    if (recent.length > KEEP_LINES) recent.shift();
    onErr(line);
  });

  let resolveExit!: (exit: Exit) => void;
  let resolveLeader!: () => void;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  const leaderGone = new Promise<void>((resolve) => (resolveLeader = resolve));
  const handle: DemoChild = {
    name,
    pid: child.pid ?? -1,
    process: child,
    exited,
    exit: null,
    lastLines: () => recent.join('\n'),
    async stop(graceMs = 10_000) {
      if (handle.pid > 0) {
        if (handle.exit === null) {
          signalGroup(handle.pid, 'SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          });
          await Promise.race([leaderGone, late]);
          clearTimeout(timer);
        }
        // The leader is gone (or too slow): the group goes, with anything the leader left behind.
        signalGroup(handle.pid, 'SIGKILL');
      }
      return exited;
    },
  };
  child.once('exit', (code, signal) => {
    handle.exit = { code, signal };
    resolveLeader();
  });
  // 'close' comes after the output streams ended, so every line was seen before `exited` settles.
  child.once('close', (code, signal) => {
    handle.exit ??= { code, signal };
    resolveLeader();
    resolveExit(handle.exit);
  });
  child.once('error', (err) => {
    // Could not be started (or signalled): there is no process to wait for.
    recent.push(`${name}: ${err.message}`);
    handle.exit ??= { code: null, signal: null };
    resolveLeader();
    resolveExit(handle.exit);
  });
  return handle;
}

/** "exit code 1" / "signal SIGKILL", for messages. */
export function exitText(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
