import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  checkOpCall, isReadOp, READ_OPS, ShellAnswer, type OpName, type OpParams, type OpResult,
} from '../contracts/ops';
import { CodedError } from '../shared/errors';
import { cleanForLog, silentLogger, type Logger } from '../shared/logger';

/**
 * The runner's side of the stdio shell protocol (docs/architecture.md, Shell protocol): one child process per job, JSON
 * requests with increasing ids on its stdin, one JSON answer per line on its stdout.
 *
 * - Calls run one at a time, in order (a PowerShell host is single-threaded anyway), so each
 *   op's timeout measures that op alone.
 * - An ok:false answer is a value (the cmdlet refused or failed); a broken host is an exception:
 *   CodedError 'timeout' (no answer in time), 'protocol_error' (an answer that is not valid, for
 *   another id, or a read result that does not match the catalog) or 'shell_failed' (the process
 *   could not start, exited, or was closed). After any of those the host is unusable: it is
 *   stopped (stdin ended, killed after the grace period) and every later call fails at once.
 */
export type ShellKind = 'sim' | 'powershell';

export interface ShellHostOptions {
  kind: ShellKind;
  /** Simulator state file (kind 'sim'). */
  simState?: string;
  /** Front End FQDN: lync-ops.ps1 opens a remote session to https://<fe>/OcsPowershell (kind 'powershell'). */
  frontEnd?: string;
  /** How long one op may take before the host is declared hung. */
  opTimeoutMs: number;
  /**
   * Extra time the first call may take while the host starts: Import-Module Lync or opening the
   * remote session takes seconds, and it happens before the first answer. Default 60 s.
   */
  startTimeoutMs?: number;
  /** How long close() waits after ending stdin before it kills the process. */
  graceMs: number;
  /** Extra environment for the child (e.g. PICBOT_SIM_FAULTS); the runner's own is inherited. */
  env?: Record<string, string>;
  logger?: Logger;
  /** Overrides for unusual installs. */
  powershellExe?: string;
  scriptPath?: string;
  /** Runs this program instead of the kind's default (another host speaking the protocol; tests). */
  command?: { file: string; args: string[] };
}

export type ShellOutcome<T> =
  | { ok: true; data: T; warnings: string[] }
  | { ok: false; error: { code: string; message: string } };

export interface ShellExit {
  code: number | null;
  signal: string | null;
  /** True when close() (or a timeout) had to kill the process after the grace period. */
  killed: boolean;
}

export interface ShellHost {
  /** Runs one catalog op; read-op results are checked against the catalog's result schema. */
  call<N extends OpName>(op: N, params: OpParams<N>): Promise<ShellOutcome<OpResult<N>>>;
  call(op: OpName, params: Record<string, unknown>): Promise<ShellOutcome<unknown>>;
  /** Ends stdin, waits up to graceMs for the process to exit, then kills it (SIGKILL). */
  close(): Promise<ShellExit>;
  readonly pid: number | undefined;
}

// Both src/runner and dist/runner sit two levels below the package root.
const PACKAGE_ROOT = resolve(__dirname, '..', '..');
export const SIM_MAIN = resolve(PACKAGE_ROOT, 'dist', 'lync-sim', 'main.js');
export const LYNC_OPS_SCRIPT = resolve(PACKAGE_ROOT, 'src', 'runner', 'scripts', 'lync-ops.ps1');

const FQDN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const STDERR_TAIL = 20;
const DEFAULT_START_TIMEOUT_MS = 60_000;

function command(options: ShellHostOptions): { file: string; args: string[] } {
  if (options.command) return options.command;
  if (options.kind === 'sim') {
    if (!options.simState) throw new CodedError('bad_request', 'starting the simulated shell: simState (the state file) is required');
    if (!existsSync(SIM_MAIN)) throw new CodedError('shell_failed', `starting the simulated shell: ${SIM_MAIN} is missing; run npm run build`);
    return { file: process.execPath, args: [SIM_MAIN, '--state', options.simState] };
  }
  const args = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', options.scriptPath ?? LYNC_OPS_SCRIPT];
  if (options.frontEnd !== undefined) {
    if (!FQDN.test(options.frontEnd)) throw new CodedError('bad_request', `starting the PowerShell host: "${cleanForLog(options.frontEnd)}" is not a Front End FQDN`);
    args.push('-FrontEnd', options.frontEnd);
  }
  return { file: options.powershellExe ?? 'powershell.exe', args };
}

interface Pending {
  id: number;
  op: OpName;
  resolve: (outcome: ShellOutcome<unknown>) => void;
  reject: (err: CodedError) => void;
  timer: NodeJS.Timeout;
}

/** Starts a shell host child process and returns the client for it. */
export function createShellHost(options: ShellHostOptions): ShellHost {
  const log = options.logger ?? silentLogger();
  const { file, args } = command(options);
  const child: ChildProcessWithoutNullStreams = spawn(file, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    windowsHide: true,
  });
  const stderrTail: string[] = [];
  let nextId = 1;
  let pending: Pending | null = null;
  let broken: CodedError | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let killTimer: NodeJS.Timeout | null = null;
  let killed = false;
  let exitInfo: { code: number | null; signal: string | null } | null = null;
  let onExit: () => void = () => undefined;
  const exited = new Promise<void>((done) => { onExit = done; });

  const tail = () => (stderrTail.length ? `; stderr: ${stderrTail.slice(-5).join(' | ')}` : '');

  function fail(err: CodedError): void {
    if (!broken) broken = err;
    if (pending) {
      const p = pending;
      pending = null;
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  function stop(): void {
    if (killTimer || exitInfo) return;
    child.stdin.end();
    killTimer = setTimeout(() => {
      if (exitInfo) return;
      killed = true;
      log.warn({ pid: child.pid, graceMs: options.graceMs }, 'shell host did not exit after stdin closed; killing it');
      child.kill('SIGKILL');
    }, options.graceMs);
  }

  child.on('error', (err) => {
    fail(new CodedError('shell_failed', `starting ${file}: ${err.message}`, { cause: err }));
    if (!exitInfo && child.pid === undefined) {
      exitInfo = { code: null, signal: null };
      onExit();
    }
  });
  // 'close', not 'exit': by then stdout and stderr are drained, so an answer written just before
  // the process ended is matched, and the stderr tail is complete.
  child.on('close', (code, signal) => {
    exitInfo = { code, signal };
    if (killTimer) clearTimeout(killTimer);
    const what = pending ? `${pending.op} (id ${pending.id})` : 'the shell host';
    fail(new CodedError('shell_failed', `${what}: shell host exited (code ${code}, signal ${signal}) before answering${tail()}`));
    onExit();
  });
  // EPIPE when the child dies between our check and the write; 'exit' reports that.
  child.stdin.on('error', (err) => log.debug({ err: err.message }, 'shell host stdin error'));

  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    stderrTail.push(cleanForLog(line, 300));
    if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
    log.debug({ shell: options.kind, line: cleanForLog(line, 1000) }, 'shell host stderr');
  });

  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // Not an answer (the host should print nothing else); it cannot be matched to a call.
      log.warn({ line: cleanForLog(line) }, 'ignoring a non-JSON line on the shell host stdout');
      return;
    }
    const p = pending;
    if (!p) {
      log.warn({ line: cleanForLog(line) }, 'ignoring an answer nobody is waiting for');
      return;
    }
    const parsed = ShellAnswer.safeParse(raw);
    if (!parsed.success) {
      fail(new CodedError('protocol_error', `${p.op} (id ${p.id}): the shell host answered something that is not a protocol answer`));
      stop();
      return;
    }
    const ans = parsed.data;
    if (ans.id !== p.id) {
      const detail = ans.ok ? '' : `: ${ans.error.code}: ${ans.error.message}`;
      fail(new CodedError('protocol_error', `${p.op} (id ${p.id}): the shell host answered id ${ans.id}${detail}`));
      stop();
      return;
    }
    let outcome: ShellOutcome<unknown>;
    if (!ans.ok) {
      outcome = { ok: false, error: ans.error };
    } else if (isReadOp(p.op)) {
      const result = READ_OPS[p.op].result.safeParse(ans.data);
      if (!result.success) {
        const issue = result.error.issues[0];
        fail(new CodedError('protocol_error', `${p.op} (id ${p.id}): the result does not match the catalog: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
        stop();
        return;
      }
      outcome = { ok: true, data: result.data, warnings: ans.warnings ?? [] };
    } else {
      outcome = { ok: true, data: ans.data, warnings: ans.warnings ?? [] };
    }
    pending = null;
    clearTimeout(p.timer);
    p.resolve(outcome);
  });

  function send(op: OpName, params: Record<string, unknown>): Promise<ShellOutcome<unknown>> {
    if (broken) return Promise.reject(broken);
    if (exitInfo || killTimer) return Promise.reject(new CodedError('shell_failed', `${op}: the shell host is closed`));
    return new Promise((resolveCall, rejectCall) => {
      const id = nextId++;
      const limitMs = options.opTimeoutMs + (id === 1 ? options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS : 0);
      const timer = setTimeout(() => {
        fail(new CodedError('timeout', `${op} (id ${id}): no answer within ${limitMs} ms; stopping the shell host`));
        stop();
      }, limitMs);
      pending = { id, op, resolve: resolveCall, reject: rejectCall, timer };
      child.stdin.write(`${JSON.stringify({ id, op, params })}\n`);
    });
  }

  function call(op: OpName, params: Record<string, unknown>): Promise<ShellOutcome<unknown>> {
    // Second line of defence: the runner validates job steps already, but nothing unchecked is sent.
    const checked = checkOpCall({ op, params });
    if (!checked.ok) return Promise.reject(new CodedError('bad_request', `refusing to send to the shell host: ${checked.reason}`));
    const run = queue.then(() => send(checked.op, checked.params));
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    call: call as ShellHost['call'],
    async close(): Promise<ShellExit> {
      stop();
      await exited;
      return { code: exitInfo?.code ?? null, signal: exitInfo?.signal ?? null, killed };
    },
    get pid() {
      return child.pid;
    },
  };
}
