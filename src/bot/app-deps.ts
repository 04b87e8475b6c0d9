/**
 * The server's shared parts, built by the composition root (src/bot/compose.ts) before picbot's
 * areas: config, roles, the audit log, the card scheduler, the runner gateway's queue and
 * registry, clock, logger, timers. `composeApp` builds the areas on them; a test area (a
 * CreateHandlers) gets them too.
 */
import type { Roles } from '../core/roles';
import type { Clock } from '../shared/clock';
import type { AuditInTransaction } from './stores/audit-log';
import type { Logger } from '../shared/logger';
import type { AppConfig } from './config';
import type { Metrics } from './metrics';
import type { PeriodicTasks } from './periodic';
import type { Sql } from './stores/sql';
import type { RefusedActivityCounter } from './teams/activity-gate';
import type { ActionHandler, AddedTurn, CommandHandler } from './turn';
import type { CardScheduler } from './workflows/card-scheduler';
import type { AuditLog, ConversationRoster, JobQueue, RunnerRegistry, ServerKeyStore, UserIdStore } from './workflows/ports';
import type { Verb } from './verbs';

export interface AppDeps {
  config: AppConfig;
  roles: Roles;
  audit: AuditLog;
  /** Appends an audit record inside the caller's open transaction on `db` (stores keep a change and its record together). */
  auditInTransaction: AuditInTransaction;
  /** Every proactive card send and update (one scheduler per server, at the Teams edge). */
  cards: CardScheduler;
  /** Reads a conversation's members into `userIds` (never rejects). */
  roster: ConversationRoster;
  clock: Clock;
  logger: Logger;
  /** The open SQLite database; the composition root builds one of each store on it. */
  db: Sql;
  userIds: UserIdStore;
  serverKeys: ServerKeyStore;
  /** The Ed25519 job signing key pair, from PICBOT_SIGNING_KEY_FILE (created at first start; never in the database). */
  signingKeys: { privateKeyPem: string; publicKeyPem: string };
  /** Signed jobs for runners (src/bot/runner-gateway/): create, read, cancel, hear of changes. */
  jobs: JobQueue;
  /** Enrollment tokens and enrolled runners. */
  runners: RunnerRegistry;
  /** The server's counters (drift checks, open drifts, restore plans, …). */
  metrics: Metrics;
  /** Timers of periodic work (drift checks); the composition root stops them on close. */
  periodic: PeriodicTasks;
  /** Activities refused for their channel or tenant, per channel and tenant (for metrics). */
  refusedActivities: RefusedActivityCounter;
  /**
   * The base URL a runner should use (the enrollment card shows it): https://PICBOT_PUBLIC_HOST
   * when set, otherwise the address the server listens on, with the port it was given (PORT=0
   * asks for any free one).
   */
  runnerUrl(): string;
}

/** Handlers by verb: each area fills in its own verbs. */
export type ActionTable<V extends string = Verb> = Partial<Record<V, ActionHandler>>;

/**
 * What an area contributes to the router. Command names are the first word of a message,
 * lower-case ("start", "status"); action keys are verbs from src/bot/verbs.ts.
 * The router refuses to start on a duplicate command/verb or a verb in VERBS without a handler.
 */
export interface HandlerSet<V extends string = Verb> {
  commands?: Record<string, CommandHandler>;
  actions?: ActionTable<V>;
  /** The bot was added to a conversation (the welcome card). Only one area provides it. */
  added?: (turn: AddedTurn) => Promise<void>;
  /** Unknown text and `help` go here. Only one area provides it. */
  help?: CommandHandler;
}

/** A set of handlers built on the shared parts (tests serve their own areas through it). */
export type CreateHandlers = (deps: AppDeps) => HandlerSet;
