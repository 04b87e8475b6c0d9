/**
 * The composition root of the server: config → logger → SQLite stores → keys → roles → Teams
 * edge → handlers → router → HTTP. Wiring mistakes (a verb without a handler, a bad config value)
 * throw before anything listens. `node dist/bot/main.js serve` (= `picbot serve`) runs it.
 */
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
import { createConversationRefStore } from './stores/conversation-refs';
import { openDatabase } from './stores/db';
import { createServerKeyStore } from './stores/server-keys';
import { loadSigningKeys, openKeyedAuditLog } from './stores/server-secrets';
import { createUserIdStore } from './stores/user-ids';
import { createActivityGate, createRefusedActivityCounter, createTeamsBridge, type TeamsOptions } from './teams';
import { planNoticeCard } from './views/plan';
import { AUDIT_CHECKPOINT_EVERY, withAuditCheckpoints } from './workflows/audit-checkpoints';

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
    // The keys live in files outside the database (docs/deploy.md, Keys); the audit log first,
    // so moving the signing key out of an older database is itself recorded.
    const keyedAudit = await openKeyedAuditLog(db, config, clock, logger);
    const signingKeys = await loadSigningKeys(db, config.signingKeyFile, keyedAudit, logger);
    const refs = createConversationRefStore(db, clock);
    const userIds = createUserIdStore(db, clock);
    const roles = createRoles({ localMode: config.mode === 'local', admins: config.roleEntries.admins, approvers: config.roleEntries.approvers, homeTenant: config.bot.appTenantId });
    // Built here so a metrics endpoint can read the same counter the gate adds to.
    const refusedActivities = createRefusedActivityCounter();
    const gate = createActivityGate({ channels: config.channels, tenants: config.tenants, counter: refusedActivities, clock, logger });
    const teams = createTeamsBridge({ config, logger, refs, userIds, gate }, options.teams);
    const approvalsConversation = config.approvalsConversation;
    const audit = approvalsConversation === null
      ? keyedAudit
      : withAuditCheckpoints(keyedAudit, {
          every: AUDIT_CHECKPOINT_EVERY,
          logger,
          post: async (tip) => {
            await teams.notifier.send(approvalsConversation, planNoticeCard({
              heading: 'Audit', title: 'Audit checkpoint', color: 'default', planId: null,
              lines: [`${tip.seq}:${tip.hash}`, 'picbot audit verify --checkpoint SEQ:HASH checks the audit log against this line.'],
            }));
          },
        });
    gateway = createRunnerGateway({ db, clock, logger, audit, auditInTransaction: audit.inTransaction, signingKeys }, { ...options.runnerGateway, leaseMs: options.runnerGateway?.leaseMs ?? config.leaseSeconds * 1000 });
    // Known once the server listens; nothing asks for it before (handlers run on requests).
    const listening = { url: '' };
    const deps: AppDeps = {
      config,
      roles,
      audit,
      auditInTransaction: audit.inTransaction,
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
      refusedActivities,
      runnerUrl: () => (config.publicHost ? `https://${config.publicHost}` : listening.url),
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
    listening.url = url;
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
