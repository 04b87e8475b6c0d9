/** `picbot serve`: the server alone, in the mode the environment selects. */
import { ConfigError, loadConfig } from '../config';
import type { RunningServer } from '../compose';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot serve

Starts the picbot server alone (no runner, no simulator, no client) on HOST:PORT, in production
mode when MicrosoftAppId is set and local mode (loopback only, no token check) otherwise.
Configuration comes from environment variables and .env (see README, Configuration).
Logs go to stderr as JSON lines. SIGINT/SIGTERM stop it gracefully: runners' long-polls are
answered at once (they poll again, another instance if there is one), requests in hand finish
(10 s at most), then it exits 0.

  -h, --help   print this help

Exit codes: 0 stopped by a signal, 1 bad configuration or failed start.
`;

/** Runs until SIGINT/SIGTERM. Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(usage);
    return 0;
  }
  if (argv.length > 0) {
    io.stderr(`picbot serve: unexpected argument ${argv[0]}\n${usage}`);
    return 1;
  }
  let server: RunningServer;
  try {
    const config = loadConfig();
    // Loaded only now, so --help and configuration errors answer without loading botbuilder.
    const { startServer } = await import('../compose');
    server = await startServer({ config });
  } catch (err) {
    // One line, naming the variable for a config error; no stack.
    if (err instanceof ConfigError) io.stderr(`picbot: configuration error: ${err.message}\n`);
    else io.stderr(`picbot: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  const logger = server.deps.logger;
  // A request must never take the process down; a stray rejection is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'a second signal while stopping: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      void server.close().then(() => resolve(0), (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        resolve(1);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
