/**
 * The runner's loop: long-poll for a job, run it with a heartbeat beside it, send its events in
 * order, report its result, poll again. Network failures are retried with backoff (the server
 * may be restarting); a 401 ends the loop (the token was revoked: enroll again). `stop()` (SIGINT/
 * SIGTERM) ends a long-poll at once, or lets the job in hand stop after its current step and be
 * reported as cancelled.
 */
import type { Logger } from '../shared/logger';
import type { EnvelopeGuard } from './envelope-guard';
import { createEventSender, type EventSender } from './event-sender';
import { executeJob, type JobControl, type JobReport, type StopReason } from './execute';
import type { PinnedKeys } from './pinned-keys';
import { backoffMs, GatewayCallError, type GatewayClient, type RawLease } from './gateway-client';
import type { ShellHost } from './shell-host';

/** The longest long-poll the protocol allows, and the heartbeat ceiling (docs/architecture.md, Runner protocol). */
export const LEASE_WAIT_SECONDS = 30;
export const MAX_HEARTBEAT_MS = 20_000;
/** How long a stopping runner keeps trying to deliver the last result. */
const SHUTDOWN_REPORT_MS = 10_000;

export interface AgentOptions {
  client: GatewayClient;
  serverKey: string;
  /** Checks on each verified envelope (target, time limit, replay, script hash). */
  guard: EnvelopeGuard;
  /** The pinned server key, following the server's signed key rotations. */
  pinned?: PinnedKeys;
  openShell: () => ShellHost;
  logger: Logger;
  /** Long-poll wait per lease call (default 30 s). */
  waitSeconds?: number;
}

export type AgentEnd = 'stopped' | 'unauthorized';

export interface Agent {
  run(): Promise<AgentEnd>;
  /** Ends the loop: at once when idle, after the current step (reported as cancelled) when busy. */
  stop(): void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function createControl(): JobControl & { request(reason: StopReason): void } {
  let reason: StopReason | null = null;
  const listeners: (() => void)[] = [];
  return {
    stopReason: () => reason,
    onStop(listener) {
      if (reason) listener();
      else listeners.push(listener);
    },
    request(next) {
      // A lost lease outranks a cancel: nothing may be reported on a lease that is gone.
      if (reason === 'lease-lost' || reason === next) return;
      const first = reason === null;
      reason = next;
      if (first) for (const l of listeners.splice(0)) l();
    },
  };
}

export function createAgent(options: AgentOptions): Agent {
  const { client, logger } = options;
  const stopping = new AbortController();
  let current: (JobControl & { request(reason: StopReason): void }) | null = null;
  let unauthorized = false;

  async function runJob(lease: RawLease): Promise<void> {
    const rawId = (lease.envelope as { jobId?: unknown } | null)?.jobId;
    const jobId = lease.jobId ?? (typeof rawId === 'string' ? rawId : null);
    if (jobId === null) {
      logger.error('leased a job without an id; cannot report on it');
      return;
    }
    const log = logger.child({ jobId });
    log.info({ leaseExpiresAt: lease.leaseExpiresAt }, 'job leased');
    const control = createControl();
    current = control;
    if (stopping.signal.aborted) control.request('shutdown');
    const events = createEventSender({ client, jobId, leaseId: lease.leaseId, logger: log });

    // Heartbeat every third of the lease (at most 20 s), measured from the server's lease length
    // rather than its clock, so clock skew between the machines does not matter.
    const heartbeatMs = Math.min(MAX_HEARTBEAT_MS, Math.max(100, ((lease.leaseSeconds ?? 60) * 1000) / 3));
    let beating = true;
    const beatStop = new AbortController();
    const heartbeat = (async () => {
      while (beating) {
        await sleep(heartbeatMs, beatStop.signal);
        if (!beating) return;
        try {
          const answer = await client.heartbeat(jobId, lease.leaseId);
          if (answer.cancel && control.stopReason() === null) {
            log.info('the server asked to cancel the job; stopping after the current step');
            control.request('cancel');
          }
        } catch (err) {
          const failure = err instanceof GatewayCallError ? err.failure : 'network';
          if (failure === 'network') {
            log.warn({ err: (err as Error).message }, 'heartbeat failed; trying again at the next beat');
            continue;
          }
          if (failure === 'unauthorized') unauthorized = true;
          log.warn({ err: (err as Error).message }, 'the server refused the heartbeat: the lease is gone; stopping the job without reporting');
          control.request('lease-lost');
          return;
        }
      }
    })();

    const executed = await executeJob({
      lease,
      serverKey: options.serverKey,
      guard: options.guard,
      pinned: options.pinned,
      openShell: options.openShell,
      events: {
        push(event) {
          events.push(event);
          if (events.leaseLost) control.request('lease-lost');
        },
      },
      control,
      logger,
    });
    current = null;
    // The lease is kept alive until the result is in: a job of thousands of steps leaves a
    // backlog of events that can take the server longer than a lease to take in.
    try {
      await report(jobId, lease.leaseId, executed.report, control, events);
    } finally {
      beating = false;
      beatStop.abort();
      await heartbeat;
    }
  }

  /** Sends the job's remaining events, then its result (retried on network errors). */
  async function report(jobId: string, leaseId: string, report: JobReport, control: JobControl, events: EventSender): Promise<void> {
    const log = logger.child({ jobId });
    if (control.stopReason() === 'lease-lost' || events.leaseLost) {
      events.abandon();
      log.warn('the lease was lost while running the job; its result is not reported (the server has marked it interrupted)');
      return;
    }
    if (stopping.signal.aborted) setTimeout(() => events.abandon(), SHUTDOWN_REPORT_MS).unref();
    await events.flush();
    const deadline = Date.now() + SHUTDOWN_REPORT_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.result(jobId, { leaseId, ...report });
        log.info({ status: report.status, error: report.error?.code }, 'result reported');
        return;
      } catch (err) {
        const failure = err instanceof GatewayCallError ? err.failure : 'network';
        if (failure === 'unauthorized') unauthorized = true;
        if (failure !== 'network') {
          log.error({ err: (err as Error).message, status: report.status }, 'the server refused the result');
          return;
        }
        if (stopping.signal.aborted && Date.now() > deadline) {
          log.error({ err: (err as Error).message, status: report.status }, 'could not deliver the result before stopping');
          return;
        }
        const wait = backoffMs(attempt);
        log.warn({ err: (err as Error).message, attempt, retryInMs: wait }, 'reporting the result failed; sending it again');
        await sleep(wait);
      }
    }
  }

  return {
    async run() {
      const waitSeconds = options.waitSeconds ?? LEASE_WAIT_SECONDS;
      let failures = 0;
      logger.info('waiting for jobs');
      while (!stopping.signal.aborted && !unauthorized) {
        let lease: RawLease | null;
        try {
          lease = await client.lease(waitSeconds, stopping.signal);
          if (failures > 0) logger.info('the server answers again; waiting for jobs');
          failures = 0;
        } catch (err) {
          if (stopping.signal.aborted) break;
          const failure = err instanceof GatewayCallError ? err.failure : 'network';
          if (failure === 'unauthorized') {
            unauthorized = true;
            break;
          }
          const wait = backoffMs(failures);
          failures += 1;
          logger.warn({ err: (err as Error).message, attempt: failures, retryInMs: wait }, failure === 'network' ? 'the server is not reachable; trying again' : 'the server refused the lease call; trying again');
          await sleep(wait, stopping.signal);
          continue;
        }
        if (lease) await runJob(lease);
      }
      if (unauthorized) {
        logger.error('the server refused the runner token (401): this runner was revoked or the server does not know it; enroll again with a new token');
        return 'unauthorized';
      }
      logger.info('stopped');
      return 'stopped';
    },
    stop() {
      if (!stopping.signal.aborted) stopping.abort();
      current?.request('shutdown');
    },
  };
}
