/**
 * The composition root of the server: config → logger → SQLite stores → keys → roles → Teams
 * edge (with its one card scheduler) → runner gateway → picbot's areas (every store, workflow,
 * listener and timer) → router → HTTP. Everything is built here, once per server, and handed
 * down: handlers get workflows (never a store module), and nothing below opens a database or
 * starts a timer on its own. Wiring mistakes (a verb without a handler, a bad config value)
 * throw before anything listens. main.ts is the entry point that runs it
 * (`node dist/bot/main.js serve`, the same as `picbot serve`); docs/architecture.md walks
 * through what is built here.
 */
import { createRoles } from '../core/roles';
import { systemClock, type Clock } from '../shared/clock';
import { createLogger, type Logger } from '../shared/logger';
import type { AppDeps, CreateHandlers, HandlerSet } from './app-deps';
import { loadConfig, type AppConfig, type Env } from './config';
import { mountMessages } from './http/messages-route';
import { createMetrics } from './metrics';
import { cardObserver, countRefusals, jobObserver, readGatewayAtScrape, readPlansAtScrape, turnObserver, type PoolUse } from './metrics-sources';
import { mountMetrics } from './http/metrics-route';
import { createPeriodicTasks } from './periodic';
import { closeServer, createHttpServer, listen, type HttpServer } from './http/server';
import { storeReadiness } from './http/store-readiness';
import type { Preflight } from './preflight/port';
import { createRouter } from './routing/router';
import { observeTurns } from './routing/observed-router';
import { createRunnerGateway, mountRunnerGateway, type RunnerGatewayOptions } from './runner-gateway';
import { createSharedCardWindows } from './stores/card-windows';
import { createConversationRefStore } from './stores/conversation-refs';
import { openStore } from './stores/db';
import { createServerKeyStore } from './stores/server-keys';
import { loadSigningKeys, openKeyedAuditLog } from './stores/server-secrets';
import { createUserIdStore } from './stores/user-ids';
import { createActivityGate, createRefusedActivityCounter, createTeamsBridge, type TeamsOptions } from './teams';
import { planNoticeCard, planViews } from './views/plan';
import { localModeNote, withCardEnv } from './views/render';
import { AUDIT_CHECKPOINT_EVERY, withAuditCheckpoints } from './workflows/audit-checkpoints';
import { createIntakeHandlers } from './handlers';
import type { ReviewNextSteps } from './handlers/draft-card';
import { createLiveIntakeCard } from './handlers/live-intake-card';
import { createDriftHandlers, driftMetrics, type DriftArea } from './handlers/drift-area';
import { createPlanHandlers, PLAN_COMMANDS, planNextSteps } from './handlers/plan-area';
import { createPreflightHandlers, serverPreflightOptions } from './handlers/preflight';
import { createRunnerHandlers } from './handlers/runner-area';
import { createPreflight } from './preflight/run-preflight';
import { createDraftStore } from './stores/drafts';
import { createDriftStore } from './stores/drift-watch';
import { createIntakeCardStore } from './stores/intake-cards';
import { createPlanStore, createVoteStore } from './stores/plans';
import { createPreflightRunStore } from './stores/preflight-runs';
import { createRequestStore } from './stores/requests';
import { DRIFT_COMMANDS, driftCard, driftNotice } from './views/drift';
import { discoveryCard } from './views/discovery';
import { RUNNER_COMMANDS } from './views/runners';
import { createDiscoveryWorkflow, type DiscoveryWorkflow } from './workflows/discovery';
import { createDriftWatch, type DriftWatch } from './workflows/drift-watch';
import { createIntakeWorkflow } from './workflows/intake';
import type { ApprovalWorkflow } from './workflows/plan-approval';
import { createPlanContext } from './workflows/plan-context';
import { createPlanCore } from './workflows/plan-core';
import { createPlanReading } from './workflows/plan-reading';
import { createPreflightWorkflow } from './workflows/preflight';
import { createRunnerAdmin } from './workflows/runner-admin';

/** How often the plan sweeper looks for expired plans and due reminders. */
export const PLAN_SWEEP_EVERY_MS = 60_000;

export interface ComposeOptions {
  /** Preflight's checks (tests route DNS and TLS to a loopback lab); default from the configuration. */
  preflight?: Preflight;
}

/** The plan side as the rest of the server (and tests) use it. */
export interface PlanArea {
  /** Expiry and reminders now (the sweeper calls it; tests too). */
  sweep(): ReturnType<ApprovalWorkflow['sweep']>;
  /** Resolves when every card send/update asked so far is done, background work included. */
  idle(): Promise<void>;
  /** Puts a computed plan up for approval (drift watch's restore plans go through it). */
  putUp: ApprovalWorkflow['putUp'];
}

/** What the composition builds: the router's handler sets and the parts others reach. */
export interface App {
  handlerSets: HandlerSet[];
  plans: PlanArea;
  drift: DriftArea & { watch: DriftWatch };
  discovery: DiscoveryWorkflow;
}

/** Builds picbot's areas on the server's shared parts (AppDeps); starts their listeners and timers. */
export function composeApp(deps: AppDeps, options: ComposeOptions = {}): App {
  const { db, clock, logger, audit, roles, config, jobs, cards } = deps;
  const now = () => clock.now().toISOString();

  // ── stores (one of each, on the server's database) ──────────────────────────────────────
  const drafts = createDraftStore(db);
  const requests = createRequestStore(db);
  // Plan moves and votes are stored with their audit rows in one transaction.
  const plans = createPlanStore(db, now, deps.auditInTransaction);
  const votes = createVoteStore(db, deps.auditInTransaction);
  const preflightRuns = createPreflightRunStore(db);
  const driftStore = createDriftStore(db);
  const intakeCards = createIntakeCardStore(db);
  readPlansAtScrape(deps.metrics, plans);

  // ── workflows ─────────────────────────────────────────────────────────────────────────────
  const intake = createIntakeWorkflow({ drafts, requests, audit, clock });
  const discovery = createDiscoveryWorkflow({ jobs, runners: deps.runners, requests, timeoutSeconds: config.discoveryTimeoutSeconds });
  const preflight = createPreflightWorkflow({
    preflight: options.preflight ?? createPreflight({ ...serverPreflightOptions(config), logger }),
    runs: preflightRuns,
    requests,
    audit,
    clock,
  });
  const ctx = createPlanContext({
    plans, votes, requests, drafts, jobs, preflightRuns, audit,
    userIds: deps.userIds,
    roster: deps.roster,
    cards,
    views: planViews,
    roles,
    clock,
    logger,
    config: {
      approvalTtlHours: config.approvalTtlHours,
      approvalQuorum: config.approvalQuorum,
      approvalsConversation: config.approvalsConversation,
      discoveryTimeoutSeconds: config.discoveryTimeoutSeconds,
      approvers: config.approvers,
    },
  });
  const core = createPlanCore(ctx);
  const approvalWorkflow = core.approval;
  const watch = createDriftWatch({
    store: driftStore,
    plans,
    jobs,
    runners: deps.runners,
    requests,
    preflightRuns,
    audit,
    cards,
    views: {
      driftCard,
      checkNotice: (lines, done) => driftNotice(done ? 'Drift check' : 'Checking for drift…', lines, 'default'),
    },
    putUp: (input) => approvalWorkflow.putUp(input),
    metrics: driftMetrics(deps.metrics),
    clock,
    logger,
    pickupTimeoutSeconds: config.discoveryTimeoutSeconds,
  });

  // ── listeners and timers ──────────────────────────────────────────────────────────────────
  jobs.onChange((change) => {
    const card = change.job.context.card;
    if (!discovery.owns(change.job) || !card) return;
    // Rendered when the update goes out, from the job as it is then: never an older state.
    cards.update(card, async () => {
      const status = await discovery.status(change.job.id);
      return status ? discoveryCard(status) : null;
    });
  });
  jobs.onChange((change) => core.onJobChange(change));
  jobs.onChange((change) => watch.onJobChange(change));
  deps.periodic.every('plan-sweep', PLAN_SWEEP_EVERY_MS, () => approvalWorkflow.sweep());
  deps.periodic.every('drift-check', config.driftIntervalMinutes * 60_000, async () => {
    if (!db.open) return;
    await watch.check('picbot', null);
  });
  // Bring plans and cards up to date after a restart, once the server is listening.
  setImmediate(() => {
    if (!db.open) return;
    core.resync().then(
      (r) => ctx.log.info(r, 'plans resynced at start'),
      (err: unknown) => ctx.log.error({ err }, 'resyncing plans at start failed'),
    );
  });

  // ── handlers ──────────────────────────────────────────────────────────────────────────────
  const shown = createLiveIntakeCard({ store: intakeCards, cards, clock, logger: logger.child({ component: 'intake-area' }) });
  const approvalStep = planNextSteps(jobs);
  // The review card's "Next steps" that are on; each flag guards one button in cards/review.json.
  const nextSteps: ReviewNextSteps = async (draft) => ({ discover: draft.position === 'review', preflight: draft.position === 'review', ...(await approvalStep(draft)) });
  const reading = createPlanReading({ plans, audit, jobs, currentCard: (planId, o) => ctx.currentCard(planId, o) });
  const planHandlers = createPlanHandlers({
    approval: approvalWorkflow, cancel: core.cancel, retry: core.retry, rollback: core.rollback, reading, roles,
    cards: ctx, approvalsConversation: config.approvalsConversation,
  });
  const drift = createDriftHandlers({ watch, roles, clock });
  const handlerSets: HandlerSet[] = [
    createIntakeHandlers({ intake, roles, defaultTargetLabel: config.defaultTargetLabel, shown }, {
      nextSteps,
      commandHelp: [...RUNNER_COMMANDS, ...PLAN_COMMANDS, ...DRIFT_COMMANDS],
      statusOf: { plan: planHandlers.status, job: planHandlers.status },
      statusOfLabel: (turn, label) => drift.statusOfLabel(turn, label),
    }),
    createRunnerHandlers({ discovery, admin: createRunnerAdmin({ runners: deps.runners }), roles, runnerUrl: deps.runnerUrl }),
    createPreflightHandlers({ workflow: preflight, drafts, cards, roles, clock, logger, nextSteps }),
    planHandlers.handlers,
    drift.handlers,
  ];

  return {
    handlerSets,
    plans: {
      sweep: () => approvalWorkflow.sweep(),
      putUp: (input) => approvalWorkflow.putUp(input),
      async idle() {
        // Background work (an approval card being posted) may ask for more card operations.
        do {
          await ctx.quiet();
          await cards.idle();
        } while (ctx.busy());
      },
    },
    drift,
    discovery,
  };
}

export interface StartOptions {
  /** A ready configuration (tests); otherwise read from the environment and `.env`. */
  config?: AppConfig;
  /** Variables laid over the environment when `config` is not given. */
  env?: Env;
  /** Handler sets the router serves instead of picbot's own areas (tests: a small echo area). */
  areas?: CreateHandlers[];
  /** Preflight's checks (tests route DNS and TLS to a loopback lab); default from the configuration. */
  preflight?: Preflight;
  teams?: TeamsOptions;
  logger?: Logger;
  clock?: Clock;
  /** Runner gateway tuning (tests shorten the lease to see it expire). */
  runnerGateway?: RunnerGatewayOptions;
  /** The database pool's use for /metrics; absent or null on SQLite (no pool). */
  poolUse?: () => PoolUse | null;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3978 */
  url: string;
  config: AppConfig;
  deps: AppDeps;
  /** picbot's own areas as composed (null when `areas` replaced them). */
  app: App | null;
  http: HttpServer;
  close(): Promise<void>;
}

/** Builds everything and starts listening; throws (nothing listening) on any wiring or config error. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig(options.env);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const db = await openStore(config);
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
    // One registry per server (tests run several in a process); GET /metrics prints it.
    const metrics = createMetrics({ logger });
    // The gate counts refusals into the metrics as they happen.
    const refusedActivities = countRefusals(createRefusedActivityCounter(), metrics);
    const gate = createActivityGate({ channels: config.channels, tenants: config.tenants, counter: refusedActivities, clock, logger });
    // Several instances on one PostgreSQL pace each conversation's cards together (one SQLite process needs no sharing).
    const sharedCardWindows = db.engine === 'postgres' ? createSharedCardWindows(db) : undefined;
    const teams = createTeamsBridge({ config, logger, refs, userIds, gate, cardObserver: cardObserver(metrics), sharedCardWindows }, options.teams);
    const approvalsConversation = config.approvalsConversation;
    const audit = approvalsConversation === null
      ? keyedAudit
      : withAuditCheckpoints(keyedAudit, {
          every: AUDIT_CHECKPOINT_EVERY,
          logger,
          post: async (tip) => {
            await teams.cards.send(approvalsConversation, planNoticeCard({
              heading: 'Audit', title: 'Audit checkpoint', color: 'default', planId: null,
              lines: [`${tip.seq}:${tip.hash}`, 'picbot audit verify --checkpoint SEQ:HASH checks the audit log against this line.'],
            }));
          },
        });
    gateway = createRunnerGateway(
      { db, clock, logger, audit, auditInTransaction: audit.inTransaction, signingKeys, observeJobs: jobObserver(metrics) },
      { ...options.runnerGateway, leaseMs: options.runnerGateway?.leaseMs ?? config.leaseSeconds * 1000 },
    );
    readGatewayAtScrape(metrics, { jobs: gateway.jobs, runners: gateway.runners, clock, poolUse: options.poolUse ?? (() => db.poolUse()) });
    // Known once the server listens; nothing asks for it before (handlers run on requests).
    const listening = { url: '' };
    const deps: AppDeps = {
      config,
      roles,
      audit,
      auditInTransaction: audit.inTransaction,
      cards: teams.cards,
      roster: teams.roster,
      clock,
      logger,
      db,
      userIds,
      serverKeys,
      signingKeys,
      jobs: gateway.jobs,
      runners: gateway.runners,
      metrics,
      periodic,
      refusedActivities,
      runnerUrl: () => (config.publicHost ? `https://${config.publicHost}` : listening.url),
    };
    // Every card this server renders carries the local-mode note when it applies (README, Modes):
    // its areas (their timers and listeners) are built, and each request is served, in its env.
    const cardEnv = { localNote: localModeNote(roles) };
    const app = options.areas ? null : withCardEnv(cardEnv, () => composeApp(deps, { preflight: options.preflight }));
    const router = observeTurns(createRouter(options.areas ? options.areas.map((make) => make(deps)) : app!.handlerSets), turnObserver(metrics));

    const http = createHttpServer({
      logger,
      ready: storeReadiness(db, logger),
      loopbackHostOnly: config.mode === 'local',
    });
    http.pre((_req, _res, next) => withCardEnv(cardEnv, () => next()));
    mountMessages(http, teams.createEndpoint(router), { requiresToken: teams.requiresToken });
    // Later areas mount their HTTP routes here.
    mountRunnerGateway(http, gateway);
    if (config.metrics) mountMetrics(http, metrics);

    const url = await listen(http, config.host, config.port);
    listening.url = url;
    if (config.mode === 'local') {
      logger.warn({ host: config.host }, 'local mode: no Bot Framework token is checked; loopback only' + (roles.adminsConfigured ? '' : ', every local user is an admin and approver'));
    }
    logger.info({ url, mode: config.mode, db: db.describe }, 'picbot listening');
    return {
      url,
      config,
      deps,
      app,
      http,
      async close() {
        periodic.stop();
        // A graceful stop (docs/deploy.md, Stopping): long-polling runners get
        // their "no job" answer at once and new polls no lease, so nothing waits on them; the
        // requests in hand finish; then the job listeners stop and the database closes.
        gateway?.releasePolls();
        await closeServer(http);
        gateway?.close();
        await db.close();
      },
    };
  } catch (err) {
    periodic.stop();
    gateway?.close();
    await db.close();
    throw err;
  }
}
