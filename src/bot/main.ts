/**
 * The composition root of the server: config → logger → SQLite stores → keys → roles → Teams
 * edge → handlers → router → HTTP. Wiring mistakes (a verb without a handler, a bad config value)
 * throw before anything listens. `node dist/bot/main.js serve` (= `picbot serve`) runs it.
 */
import { z } from 'zod';
import { generateSigningKeys } from '../contracts/signing';
import { createRoles } from '../core/roles';
import { systemClock, type Clock } from '../shared/clock';
import { createLogger, type Logger } from '../shared/logger';
import type { AppDeps, CreateHandlers } from './app-deps';
import { AREAS } from './areas';
import { loadConfig, type AppConfig, type Env } from './config';
import { mountMessages } from './http/messages-route';
import { createMetrics } from './metrics';
import { createPeriodicTasks } from './periodic';
import { closeServer, createHttpServer, listen, type HttpServer } from './http/server';
import { createRouter } from './routing/router';
import { createRunnerGateway, mountRunnerGateway, type RunnerGatewayOptions } from './runner-gateway';
import { createAuditLog } from './stores/audit-log';
import { createConversationRefStore } from './stores/conversation-refs';
import { openDatabase } from './stores/db';
import { createServerKeyStore, JOB_SIGNING_KEY } from './stores/server-keys';
import { createUserIdStore } from './stores/user-ids';
import { createTeamsBridge, type TeamsOptions } from './teams';

export interface StartOptions {
  /** A ready configuration (tests); otherwise read from the environment and `.env`. */
  config?: AppConfig;
  /** Variables laid over the environment when `config` is not given. */
  env?: Env;
  /** The areas the router serves (default: AREAS). */
  areas?: CreateHandlers[];
  teams?: TeamsOptions;
  logger?: Logger;
  clock?: Clock;
  /** Runner gateway tuning (tests shorten the lease to see it expire). */
  runnerGateway?: RunnerGatewayOptions;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3978 */
  url: string;
  config: AppConfig;
  deps: AppDeps;
  http: HttpServer;
  close(): Promise<void>;
}

const SigningKeys = z.object({ privateKeyPem: z.string().min(1), publicKeyPem: z.string().min(1) });

/** Builds everything and starts listening; throws (nothing listening) on any wiring or config error. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig(options.env);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const db = openDatabase(config.dbPath);
  let gateway: ReturnType<typeof createRunnerGateway> | null = null;
  const periodic = createPeriodicTasks(logger);
  try {
    const serverKeys = createServerKeyStore(db, clock);
    const signingKeys = SigningKeys.parse(JSON.parse(await serverKeys.getOrCreate(JOB_SIGNING_KEY, () => JSON.stringify(generateSigningKeys()))));
    const refs = createConversationRefStore(db, clock);
    const userIds = createUserIdStore(db, clock);
    const roles = createRoles({ localMode: config.mode === 'local', admins: config.admins, approvers: config.approvers });
    const teams = createTeamsBridge({ config, logger, refs, userIds }, options.teams);
    const audit = createAuditLog(db, clock);
    gateway = createRunnerGateway({ db, clock, logger, audit, signingKeys }, options.runnerGateway);
    const deps: AppDeps = {
      config,
      roles,
      audit,
      notifier: teams.notifier,
      roster: teams.roster,
      clock,
      logger,
      db,
      userIds,
      serverKeys,
      signingKeys,
      jobs: gateway.jobs,
      runners: gateway.runners,
      metrics: createMetrics(),
      periodic,
    };
    const router = createRouter((options.areas ?? AREAS).map((make) => make(deps)));

    const http = createHttpServer({
      logger,
      ready: async () => db.prepare('SELECT 1 AS ok').get() !== undefined,
      loopbackHostOnly: config.mode === 'local',
    });
    mountMessages(http, teams.createEndpoint(router), { requiresToken: teams.requiresToken });
    // Later areas mount their HTTP routes here.
    mountRunnerGateway(http, gateway);

    const url = await listen(http, config.host, config.port);
    if (config.mode === 'local') {
      logger.warn({ host: config.host }, 'local mode: no Bot Framework token is checked; loopback only' + (roles.adminsConfigured ? '' : ', every local user is an admin and approver'));
    }
    logger.info({ url, mode: config.mode, db: config.dbPath }, 'picbot listening');
    return {
      url,
      config,
      deps,
      http,
      async close() {
        periodic.stop();
        // Release long-polling runners first, so closing the server does not wait on them.
        gateway?.close();
        await closeServer(http);
        db.close();
      },
    };
  } catch (err) {
    periodic.stop();
    gateway?.close();
    db.close();
    throw err;
  }
}

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'serve') {
    process.stderr.write('Usage: node dist/bot/main.js serve   (the same as: picbot serve)\n');
    process.exitCode = 1;
  } else {
    void import('./cli/serve').then((serve) => serve.run(rest)).then((code) => {
      if (code !== 0) process.exit(code);
    });
  }
}
