/**
 * The local demo behind `npm start`: the bot in local mode (in this process) with its SQLite
 * file, a runner agent on the simulated Lync shell, and Microsoft 365 Agents Playground pointed
 * at the bot, all on 127.0.0.1. Everything lives in one data directory (./data by default).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CodedError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logger';
import { parseConfig, type AppConfig, type Env } from '../config';
import { startServer, type RunningServer } from '../main';
import { exitText } from './child-process';
import { startPlayground, type RunningPlayground } from './playground';
import { DEMO_PROFILE, ensureSimState, startSimRunner, type RunningSimRunner } from './sim-runner';

/** The label the simulated runner enrolls with, unless PICBOT_DEFAULT_TARGET names another. */
export const DEMO_LABEL = 'lync-sim';

/** The demo runner's pace: about what one Lync Management Shell cmdlet takes on a real server. */
export const DEMO_PACE_MS = 400;

export interface DemoOptions {
  /** The environment (process.env with .env under it). */
  env: Env;
  /** The data directory (database, simulator state, runner credentials, Playground log). */
  dataDir?: string;
  /** Whether the data directory was asked for explicitly (--data): then it wins over PICBOT_DB/PICBOT_SIM_STATE. */
  dataDirExplicit?: boolean;
  playground: boolean;
  /**
   * How long each simulated cmdlet of the demo's runner waits (ms), so a person can watch the
   * plan card's steps tick; 0 (`npm start -- --fast`) runs them at the simulator's own speed.
   */
  paceMs?: number;
  /** Aborting stops the start and everything started so far. */
  signal?: AbortSignal;
  logger?: Logger;
}

export interface RunningDemo {
  config: AppConfig;
  server: RunningServer;
  runner: RunningSimRunner;
  playground: RunningPlayground | null;
  /** The one line printed on stdout. */
  readyLine: string;
  /** Settles with a reason if the runner or the Playground stops on its own. */
  childStopped: Promise<string>;
  /** Stops the runner, the Playground and the server, in that order; waits for every exit. */
  stop(): Promise<void>;
  /** Second Ctrl-C: SIGKILL to every child group at once. */
  kill(): void;
}

/** The refusal for a production identity: the demo checks no Bot Framework token. */
export class DemoRefusal extends CodedError {
  constructor(message: string) {
    super('config_invalid', message);
    this.name = 'DemoRefusal';
  }
}

/** The demo's configuration: local mode, files in the data directory, the runner's label as default target. */
export function demoConfig(options: Pick<DemoOptions, 'env' | 'dataDir' | 'dataDirExplicit'>): { config: AppConfig; dataDir: string; label: string } {
  const { env } = options;
  if (env.MicrosoftAppId !== undefined && env.MicrosoftAppId.trim() !== '') {
    throw new DemoRefusal('MicrosoftAppId is set (in the environment or .env), but `npm start` is the local demo only: it checks no Bot Framework token. ' +
      'Unset MicrosoftAppId to run the demo, or use `npm run serve` for the production server.');
  }
  const dataDir = resolve(options.dataDir ?? 'data');
  const pick = (name: string, file: string) => (!options.dataDirExplicit && env[name]?.trim() ? env[name]!.trim() : join(dataDir, file));
  const label = env.PICBOT_DEFAULT_TARGET?.trim() || DEMO_LABEL;
  const config = parseConfig({
    ...env,
    PICBOT_DB: pick('PICBOT_DB', 'picbot.db'),
    PICBOT_SIM_STATE: pick('PICBOT_SIM_STATE', 'lync-sim.json'),
    PICBOT_DEFAULT_TARGET: label,
  });
  return { config, dataDir, label: config.defaultTargetLabel ?? label };
}

class Aborted extends Error {}

/** Starts the whole demo; on any failure (or abort) stops what was started and rethrows. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { config, dataDir, label } = demoConfig(options);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const childEnv = process.env;
  // The folder holds the database (the job-signing key) and the runner's token: a folder this
  // start creates is the owner's only (README, Security). An existing folder is the admin's choice.
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') chmodSync(dataDir, 0o700);
  }

  const stops: Array<() => Promise<void>> = [];
  const kills: Array<() => void> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err }, 'stopping the demo');
      }
    }
  };
  const check = () => {
    if (options.signal?.aborted) throw new Aborted('stopped while starting');
  };

  try {
    if (await ensureSimState(config.simStatePath, DEMO_PROFILE)) {
      logger.info({ file: config.simStatePath, profile: DEMO_PROFILE }, 'created the simulated Lync server state');
    }
    check();
    const server = await startServer({ config, logger });
    stops.push(() => server.close());
    check();

    const runner = await startSimRunner({
      server: server.url,
      label,
      simState: config.simStatePath,
      credentials: join(dataDir, 'runner.json'),
      registry: server.deps.runners,
      env: childEnv,
      paceMs: options.paceMs ?? DEMO_PACE_MS,
      logger,
      signal: options.signal,
    });
    stops.push(async () => {
      await runner.child.stop(10_000);
    });
    kills.push(() => void runner.child.stop(0).catch(() => undefined)); // a kill at exit: nothing is left to tell
    logger.info({ runnerId: runner.runnerId, label, enrolled: runner.enrolled }, 'simulated runner connected');
    check();

    let playground: RunningPlayground | null = null;
    if (options.playground) {
      playground = await startPlayground({ endpoint: `${server.url}/api/messages`, port: config.playgroundPort, dataDir, env: childEnv, signal: options.signal });
      const child = playground.child;
      stops.push(async () => {
        await child.stop(5_000);
      });
      kills.push(() => void child.stop(0).catch(() => undefined)); // a kill at exit: nothing is left to tell
      if (playground.port !== config.playgroundPort) {
        logger.warn({ asked: config.playgroundPort, port: playground.port }, 'the Playground port was busy; it took another one');
      }
      check();
    }

    let stopping = false;
    const watched = [runner.child, ...(playground ? [playground.child] : [])];
    const childStopped = Promise.race(watched.map((c) => c.exited.then((exit) => ({ c, exit })))).then(({ c, exit }) =>
      stopping ? 'stopping' : `the ${c.name} stopped on its own (${exitText(exit)})`,
    );
    const readyLine = playground
      ? `picbot is ready: open ${playground.url} (Ctrl-C to stop)`
      : `picbot is ready: bot at ${server.url}/api/messages with runner "${label}" on the simulated Lync shell (Ctrl-C to stop)`;
    return {
      config,
      server,
      runner,
      playground,
      readyLine,
      childStopped,
      async stop() {
        stopping = true;
        await stopAll();
      },
      kill() {
        stopping = true;
        for (const kill of kills) kill();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
