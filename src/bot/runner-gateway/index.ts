/**
 * The server side of the runner protocol (docs/architecture.md, Runner protocol), built once by the composition root (src/bot/compose.ts): the JobQueue and
 * RunnerRegistry ports the workflows use, and the HTTP routes the runners call. One object, so
 * the lease waiters, the sweeper timer and the change listeners are shared by both.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { HttpServer } from '../http/server';
import type { Sql } from '../stores/sql';
import type { AuditInTransaction } from '../stores/audit-log';
import { createJobStore } from '../stores/jobs';
import { createKeyRotationStore } from '../stores/key-rotations';
import { createRunnerStore } from '../stores/runners';
import type { AuditLog, JobChange } from '../workflows/ports';
import { createJobQueue, jobAudit, type GatewayJobQueue } from './job-queue';
import { createRunnerRegistry, type GatewayRegistry } from './registry';
import { mountRunnerRoutes } from './routes';
import { shippedScriptSha256 } from './script-hash';
import { createPgJobNotifier, type JobNotifier } from './job-notify';
import { createLeaseWaiters, type LeaseWaiters } from './waiters';

export interface RunnerGatewayOptions {
  /** Lease life in ms (default 60 s); tests shorten it to see leases expire. */
  leaseMs?: number;
  /**
   * With PostgreSQL, how often a long-poll looks for a job even without a wake-up (a NOTIFY that
   * never came); default 2 s. Sweeps run at least this often too (times 5).
   */
  pollMs?: number;
}

export interface RunnerGatewayDeps {
  db: Sql;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  /** Appends an audit record inside the job store's own transaction. */
  auditInTransaction: AuditInTransaction;
  signingKeys: { privateKeyPem: string; publicKeyPem: string };
  /** SHA-256 of the shipped lync-ops.ps1 (default: read from the file, script-hash.ts). */
  scriptSha256?: string;
  /** Hears of each job change this instance makes (metrics: pickup latency, ended jobs). */
  observeJobs?: (change: JobChange) => void;
}

export interface RunnerGateway {
  jobs: GatewayJobQueue;
  runners: GatewayRegistry;
  /**
   * Shutdown begins: every long-poll in flight is answered "no job" at once, and new ones too,
   * without leasing. Other runner calls (events, heartbeats, results) are still served.
   */
  releasePolls(): void;
  /** Releases long-polls and stops the sweeper and the change listeners (the server has closed). */
  close(): void;
}

export function createRunnerGateway(deps: RunnerGatewayDeps, options: RunnerGatewayOptions = {}): RunnerGateway & { mount(http: HttpServer): void } {
  const local = createLeaseWaiters();
  // Several instances on one PostgreSQL: jobs queued elsewhere wake this instance's runners.
  const pool = deps.db.pool;
  const notifier: JobNotifier | null = pool ? createPgJobNotifier({ pool, schema: deps.db.schema ?? 'public', waiters: local, logger: deps.logger }) : null;
  const waiters: LeaseWaiters = notifier
    ? {
        ...local,
        register(labels, onGone, runnerId) {
          notifier.listen(labels);
          return local.register(labels, onGone, runnerId);
        },
      }
    : local;
  const pollMs = notifier ? (options.pollMs ?? 2000) : undefined;
  const rotations = createKeyRotationStore(deps.db);
  const jobs = createJobQueue({
    // Audit rows go into each change's own transaction, so the store appends them itself.
    store: createJobStore(deps.db, deps.clock, deps.auditInTransaction, jobAudit),
    clock: deps.clock,
    logger: deps.logger,
    signingKeys: deps.signingKeys,
    scriptSha256: deps.scriptSha256 ?? shippedScriptSha256(),
    waiters,
    leaseMs: options.leaseMs,
    ...(notifier ? { announce: (label: string) => notifier.announce(label), sweepEveryMs: pollMs! * 5 } : {}),
    observe: deps.observeJobs,
  });
  const registry = createRunnerRegistry({ store: createRunnerStore(deps.db, deps.clock), audit: deps.audit });
  const runners: GatewayRegistry = {
    ...registry,
    async revoke(runnerId, by) {
      const outcome = await registry.revoke(runnerId, by);
      if (outcome.ok) waiters.wakeRunner(runnerId);
      return outcome;
    },
  };
  return {
    jobs,
    runners,
    mount(http) {
      mountRunnerRoutes(http, { jobs, registry: runners, waiters, serverKeyPem: deps.signingKeys.publicKeyPem, rotations: () => rotations.list(), pollMs, logger: deps.logger });
    },
    releasePolls() {
      waiters.close();
    },
    close() {
      waiters.close();
      jobs.close();
      void notifier?.close();
    },
  };
}

/** Mounts the runner API on the server (src/bot/compose.ts: `mountRunnerGateway(http, gateway)`). */
export function mountRunnerGateway(http: HttpServer, gateway: { mount(http: HttpServer): void }): void {
  gateway.mount(http);
}
