/**
 * `npm start` (node dist/bot/start.js): the local demo — bot, simulated runner and Agents
 * Playground on 127.0.0.1 (src/bot/demo/). Prints one line on stdout with the URL to open once
 * everything is up; logs go to stderr. Ctrl-C (SIGINT) or SIGTERM stops every part and waits for
 * it; a second one kills them at once.
 */
import { parseArgs } from 'node:util';
import { ConfigError, readEnvironment } from './config';
import { DemoRefusal, startDemo, type RunningDemo } from './demo/demo';

export const usage = `Usage: npm start [-- options]      (node dist/bot/start.js [options])

Runs the local demo on 127.0.0.1: the picbot server in local mode, a runner agent on the
simulated Lync shell (a Lync Server 2013 state created on first run), and Microsoft 365 Agents
Playground, a Teams-like web client. Prints one line with the URL to open; logs go to stderr.
Ctrl-C stops everything.

  --no-playground   the server and the runner only (talk to the bot with your own client)
  --fast            no pace: the simulated cmdlets run at once (by default each takes about
                    400 ms, so the plan card's steps can be watched as they tick)
  --data DIR        the data directory (default ./data): picbot.db, lync-sim.json, runner.json,
                    playground.log. Given explicitly, it wins over PICBOT_DB and PICBOT_SIM_STATE.
  -h, --help        print this help

Configuration comes from the environment and .env as for "npm run serve" (PORT, PICBOT_PLAYGROUND_PORT,
PICBOT_DNS_SERVERS, …), except that MicrosoftAppId must not be set: the demo is local only.
Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 bad options or configuration, failed start, or a part
stopped on its own.
`;

interface StartArgs {
  playground: boolean;
  fast: boolean;
  dataDir?: string;
}

function parseStartArgs(argv: string[]): StartArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: { 'no-playground': { type: 'boolean' }, fast: { type: 'boolean' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return 'help';
  if (values.data !== undefined && values.data.trim() === '') throw new Error('--data: give a directory');
  return { playground: !values['no-playground'], fast: values.fast === true, dataDir: values.data };
}

/** Runs the demo until a signal; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: StartArgs | 'help';
  try {
    args = parseStartArgs(argv);
  } catch (err) {
    process.stderr.write(`picbot start: ${(err as Error).message}\n\n${usage}`);
    return 1;
  }
  if (args === 'help') {
    process.stdout.write(usage);
    return 0;
  }

  const abort = new AbortController();
  let demo: RunningDemo | null = null;
  let signals = 0;
  let onStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (onStopped = resolve));
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice (from the terminal and forwarded by npm): a repeat within a
    // second is the same press, not the "kill now" second press.
    if (signals > 0 && Date.now() - firstSignalAt < 1000) return;
    signals += 1;
    if (signals === 1) firstSignalAt = Date.now();
    if (signals > 1) {
      process.stderr.write(`picbot start: ${signal} again: killing every part now\n`);
      demo?.kill();
      process.exit(130);
    }
    process.stderr.write(`picbot start: ${signal}: stopping every part\n`);
    if (!demo) {
      abort.abort();
      return;
    }
    void demo.stop().then(() => onStopped(0), () => onStopped(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    demo = await startDemo({
      env: readEnvironment(),
      dataDir: args.dataDir,
      dataDirExplicit: args.dataDir !== undefined,
      playground: args.playground,
      ...(args.fast ? { paceMs: 0 } : {}),
      signal: abort.signal,
    });
  } catch (err) {
    if (abort.signal.aborted) return 0;
    if (err instanceof ConfigError) process.stderr.write(`picbot start: configuration error: ${err.message}\n`);
    else if (err instanceof DemoRefusal) process.stderr.write(`picbot start: ${err.message}\n`);
    else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`picbot start: ${(err as Error).message}: another program uses that port; set PORT to a free one (PORT=0 picks any)\n`);
    } else process.stderr.write(`picbot start: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  const running = demo;
  const logger = running.server.deps.logger;
  // A request must never take the process down; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  void running.childStopped.then(async (reason) => {
    if (reason === 'stopping') return;
    logger.error({ reason }, 'a part of the demo stopped on its own; stopping the rest');
    process.stderr.write(`picbot start: ${reason}; stopping the rest\n`);
    await running.stop();
    onStopped(1);
  }).catch((err: unknown) => {
    logger.error({ err }, 'stopping the demo failed');
    onStopped(1);
  });
  process.stdout.write(`${running.readyLine}\n`);
  return stopped;
}

if (require.main === module) {
  void run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Every part is stopped by now; do not wait on a lingering keep-alive timer.
      setImmediate(() => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`picbot start: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
