import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { checkOpCall, isOpName, OPS, type OpName } from '../contracts/ops';
import { Profile, PROFILES } from '../contracts/profiles';
import type { ShellAnswer } from '../contracts/ops';
import type { ShellErrorCode } from '../contracts/shell-errors';
import { createLogger, cleanForLog, type Logger } from '../shared/logger';
import { runOp } from './cmdlets';
import { FAULT_EXIT_CODE, FAULTS_ENV, faultsFromEnv, mergeFaults, type Faults } from './faults';
import { initialState, loadState, saveState, type SimState } from './state';

/**
 * picbot-lync-sim: a simulated Lync Management Shell speaking the stdio shell protocol (docs/architecture.md, Shell protocol).
 * One JSON request per line on stdin, one JSON answer per line on stdout and nothing else there;
 * logs go to stderr. Requests run one at a time, in order, like a PowerShell host.
 */
const USAGE = `usage: picbot-lync-sim --state FILE [--init PROFILE [--edge FQDN]... [--site NAME]...]

  --state FILE     the state file (an observed-state document plus optional "faults" and "replicas")
  --init PROFILE   create FILE as a fresh server for PROFILE (${PROFILES.join(', ')});
                   refuses if FILE exists
  --edge FQDN      with --init: one more Edge pool with this external FQDN (the first is sip.contoso.com)
  --site NAME      with --init: one more site (the first is Redmond)
  Faults may also come from ${FAULTS_ENV} (JSON, see src/lync-sim/README.md).
`;

class UsageError extends Error {}

// Two or more labels of letters, digits and inner hyphens.
const FQDN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

interface Cli { state: string; init?: Profile; edges: string[]; sites: string[] }

function parseCli(argv: string[]): Cli | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        state: { type: 'string' },
        init: { type: 'string' },
        edge: { type: 'string', multiple: true },
        site: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!values.state) throw new UsageError('--state FILE is required');
  const edges = values.edge ?? [];
  const sites = values.site ?? [];
  if (values.init === undefined) {
    if (edges.length > 0 || sites.length > 0) throw new UsageError('--edge and --site go with --init');
    return { state: values.state, edges, sites };
  }
  const profile = Profile.safeParse(values.init);
  if (!profile.success) throw new UsageError(`--init: unknown profile "${values.init}"; expected one of ${PROFILES.join(', ')}`);
  for (const edge of edges) {
    if (!FQDN.test(edge.toLowerCase())) throw new UsageError(`--edge ${edge}: expected a DNS name such as sip.fabrikam.com`);
  }
  for (const site of sites) {
    if (!/^[A-Za-z0-9 _.-]{1,64}$/.test(site)) throw new UsageError(`--site ${site}: letters, digits, space, dot, underscore or hyphen`);
  }
  return { state: values.state, init: profile.data, edges: edges.map((e) => e.toLowerCase()), sites };
}

/** Turns a catalog refusal into the answer PowerShell's parameter binder would give. */
function badCall(op: string, params: Record<string, unknown>, reason: string): { code: ShellErrorCode; message: string } {
  if (!isOpName(op)) return { code: 'unknown_op', message: `The op "${op}" is not in the catalog.` };
  const parsed = OPS[op].params.safeParse(params);
  const issue = parsed.success ? undefined : parsed.error.issues[0];
  const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
  if (issue?.code === 'unrecognized_keys') {
    return { code: 'bad_params', message: `A parameter cannot be found that matches parameter name '${pascal(issue.keys[0])}'.` };
  }
  if (issue && issue.path.length > 0) {
    return { code: 'bad_params', message: `Cannot bind parameter '${pascal(String(issue.path[0]))}': ${issue.message} (${reason})` };
  }
  return { code: 'bad_params', message: reason };
}

/** The id of a request line that is not a valid request, or -1 when it has none. */
function idOf(raw: unknown): number {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'number' && Number.isInteger(id) ? id : -1;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Never settles, and keeps the process alive: a cmdlet stuck for good. */
function hangForever(): Promise<never> {
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}

function answer(line: ShellAnswer): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(line)}\n`, () => resolve()));
}

async function serve(file: string, state: SimState, faults: Faults, log: Logger): Promise<void> {
  let handled = 0;
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of input) {
    if (line.trim() === '') continue;
    if (faults.exitAfter !== undefined && handled >= faults.exitAfter) {
      log.warn({ handled }, 'fault exitAfter: exiting without answering');
      process.exit(FAULT_EXIT_CODE);
    }
    handled += 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      await answer({ id: -1, ok: false, error: { code: 'bad_request', message: 'the request line is not JSON' } });
      continue;
    }
    const request = raw as { id?: unknown; op?: unknown; params?: unknown };
    const id = idOf(raw);
    if (id === -1 || typeof request.op !== 'string' || typeof request.params !== 'object' || request.params === null || Array.isArray(request.params)) {
      await answer({ id, ok: false, error: { code: 'bad_request', message: 'a request is {"id": integer, "op": string, "params": object}' } });
      continue;
    }
    const params = request.params as Record<string, unknown>;
    if (faults.delayMs) await sleep(faults.delayMs);
    if (faults.hang?.includes(request.op)) {
      log.warn({ id, op: cleanForLog(request.op) }, 'fault hang: this op never answers');
      input.close();
      await hangForever();
    }
    const failure = faults.fail?.[request.op];
    if (failure !== undefined) {
      await answer({ id, ok: false, error: { code: 'cmdlet_failed', message: failure } });
      continue;
    }
    const checked = checkOpCall({ op: request.op, params });
    if (!checked.ok) {
      await answer({ id, ok: false, error: badCall(request.op, params, checked.reason) });
      continue;
    }
    const outcome = runOp(state, checked.op as OpName, checked.params, new Date(), faults);
    // The file changes only when something was written, never on reads alone.
    if (outcome.ok && outcome.changed) saveState(file, state);
    log.debug({ id, op: checked.op, ok: outcome.ok }, 'op');
    await answer(outcome.ok ? { id, ok: true, data: outcome.data } : { id, ok: false, error: outcome.error });
  }
}

async function main(): Promise<void> {
  const log = createLogger({ name: 'lync-sim', level: process.env.PICBOT_SIM_LOG_LEVEL ?? 'info' });
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`picbot-lync-sim: ${(err as Error).message}\n${USAGE}`);
    process.exit(1);
  }
  if (cli === 'help') {
    // Usage asked for is command output (stdout, exit 0), like every other picbot CLI.
    process.stdout.write(USAGE);
    return;
  }
  try {
    const envFaults = faultsFromEnv(process.env[FAULTS_ENV]);
    if (cli.init) {
      if (existsSync(cli.state)) throw new Error(`refusing to overwrite the existing state file ${cli.state} (--init creates a new one)`);
      saveState(cli.state, initialState(cli.init, new Date(), { edges: cli.edges, sites: cli.sites }), { exclusive: true });
      log.info({ file: cli.state, profile: cli.init }, 'created a fresh simulator state');
    } else if (!existsSync(cli.state)) {
      throw new Error(`state file ${cli.state} does not exist; create it with --init PROFILE`);
    }
    const state = loadState(cli.state);
    const faults = mergeFaults(state.faults, envFaults);
    log.info({ file: cli.state, product: state.serverVersion.product, faults }, 'lync-sim ready');
    await serve(cli.state, state, faults, log);
  } catch (err) {
    const message = (err as NodeJS.ErrnoException).code === 'EEXIST'
      ? `refusing to overwrite the existing state file ${cli.state}`
      : (err as Error).message;
    process.stderr.write(`picbot-lync-sim: ${message}\n`);
    process.exit(1);
  }
}

// A parent that goes away closes our stdout; there is no one left to answer.
process.stdout.on('error', () => process.exit(1));
void main().catch((err: unknown) => {
  process.stderr.write(`picbot-lync-sim: ${(err as Error).message}\n`);
  process.exit(1);
});
