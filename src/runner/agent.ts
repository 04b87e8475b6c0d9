/**
 * The runner's loop: long-poll for a job, run it with a heartbeat beside it, send its events in
 * order, report its result, poll again. Network failures are retried with backoff (the server
 * may be restarting); a 401 ends the loop (the token was revoked: enroll again). `stop()` (SIGINT/
 * SIGTERM) ends a long-poll at once, or lets the job in hand stop after its current step and be
 * reported as cancelled.
 *
 * Fencing: the runner dates its lease on its own monotonic clock, from when it sent the call the
 * server answered (lease or heartbeat) plus the lease length, so it never believes in a lease
 * longer than the server's. A step starts only while the lease so confirmed has a third of its
 * length left and the last heartbeat succeeded; otherwise the runner beats at once and waits for
 * the answer. A step in hand is never cut off; once the lease has ended no further step starts.
 * What ran is journaled first (journal.ts) and reported when the server answers again: the
 * server records it as late when it has meanwhile marked the job interrupted.
 */
import type { Logger } from '../shared/logger';
import { performance } from 'node:perf_hooks';
import { envelopeHash, type JobEvent } from '../contracts/runner-api';
import type { EnvelopeGuard } from './envelope-guard';
import { createEventSender, resumeFrom, type EventSender } from './event-sender';
import { executeJob, type JobControl, type JobReport, type StopReason } from './execute';
import type { PinnedKeys } from './pinned-keys';
import { backoffMs, GatewayCallError, type GatewayClient, type RawLease } from './gateway-client';
import type { Journal, JobJournal } from './journal';
import type { ShellHost } from './shell-host';

/** The longest long-poll the protocol allows (docs/architecture.md, Runner protocol). */
export const LEASE_WAIT_SECONDS = 30;
/** How long step events wait to go out together (one journal fsync per batch): cards lag by at most this. */
const COALESCE_MS = 100;
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
  /** Where events and results are kept until the server has them (none: memory only, for unit tests). */
  journal?: Journal;
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
      // A lost or expired lease outranks a cancel or a shutdown: it says why the job ended.
      if (reason === 'lease-lost' || reason === 'lease-expired' || reason === next) return;
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
  // The sender of the job being delivered: a stop gives up on it after a while (the journal keeps the rest).
  let delivering: EventSender | null = null;
  let unauthorized = false;

  /** Sends the rest of a job's events, then its result, until the server has them (or refuses them for good). */
  async function deliver(jobId: string, leaseId: string, hash: string | null, events: EventSender, report: JobReport, journal: JobJournal | null, log: Logger): Promise<void> {
    let shutdownTimer: NodeJS.Timeout | null = null;
    if (stopping.signal.aborted) shutdownTimer = setTimeout(() => events.abandon(), SHUTDOWN_REPORT_MS).unref();
    delivering = events;
    await events.flush();
    delivering = null;
    const deadline = Date.now() + SHUTDOWN_REPORT_MS;
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await client.result(jobId, { leaseId, ...report, ...(hash ? { envelopeHash: hash } : {}) });
          // journalMs: the time spent appending and fsync'ing this job's journal.
          log.info({ status: report.status, error: report.error?.code, journalMs: Math.round(journal?.elapsedMs ?? 0) }, 'result reported');
          journal?.done();
          return;
        } catch (err) {
          const failure = err instanceof GatewayCallError ? err.failure : 'network';
          if (failure === 'unauthorized') {
            unauthorized = true;
            log.error({ err: (err as Error).message }, 'the server refused the runner token while reporting; the journal keeps the result');
            journal?.close();
            return;
          }
          if (failure !== 'network') {
            log.error({ err: (err as Error).message, status: report.status }, 'the server refused the result');
            journal?.refused((err as Error).message);
            return;
          }
          if (stopping.signal.aborted && Date.now() > deadline) {
            log.error({ err: (err as Error).message, status: report.status }, 'could not deliver the result before stopping; the journal keeps it for the next start');
            journal?.close();
            return;
          }
          const wait = backoffMs(attempt, 5_000);
          log.warn({ err: (err as Error).message, attempt, retryInMs: wait }, 'reporting the result failed; sending it again');
          await sleep(wait, stopping.signal.aborted ? undefined : stopping.signal);
        }
      }
    } finally {
      if (shutdownTimer) clearTimeout(shutdownTimer);
    }
  }

  /**
   * At start: a journal left by an earlier run (server down, runner killed, machine rebooted) is
   * delivered before any new job is taken. A job the runner did not finish is reported failed,
   * and a step it started but never finished is reported as such: whether its change landed is
   * for the rollback's fresh read to find out.
   */
  async function recover(): Promise<void> {
    const journal = options.journal;
    if (!journal) return;
    let pending: string[];
    try {
      pending = journal.pending();
    } catch (err) {
      logger.error({ err: (err as Error).message, dir: journal.dir }, 'reading the journal failed; its jobs are not delivered');
      return;
    }
    for (const jobId of pending) {
      if (stopping.signal.aborted || unauthorized) return;
      const log = logger.child({ jobId });
      let resumed: ReturnType<Journal['resume']>;
      try {
        resumed = journal.resume(jobId);
      } catch (err) {
        log.error({ err: (err as Error).message, dir: journal.dir }, 'reading a job journal failed; it is left in place and not delivered');
        continue;
      }
      const { journal: file, state } = resumed;
      const sender = createEventSender({ client, jobId, leaseId: state.leaseId, logger: log, journal: file, resume: resumeFrom(state), ...(state.envelopeHash ? { envelopeHash: state.envelopeHash } : {}) });
      let report = state.result;
      if (!report) {
        const at = new Date().toISOString();
        const finishedSteps = new Set(state.events.flatMap((e) => (e.type === 'step-finished' ? [e.stepId] : [])));
        const inHand = state.events.flatMap((e) => (e.type === 'step-started' && !finishedSteps.has(e.stepId) ? [e.stepId] : []));
        for (const stepId of inHand) {
          const event: JobEvent = {
            type: 'step-finished', stepId, at, status: 'failed', durationMs: 0,
            error: { code: 'runner_restarted', message: 'the runner stopped while this step ran; whether its change landed is not known (a rollback reads the server to find out)' },
          };
          sender.push(event);
        }
        report = { status: 'failed', error: { code: 'runner_restarted', message: `the runner stopped during the job${inHand.length > 0 ? ` (in step ${inHand.join(', ')})` : ''} and did not finish it; every step it started is reported` } };
        file.result(report);
      }
      log.warn({ events: state.events.length, status: report.status }, 'delivering a journaled job from before the restart');
      await deliver(jobId, state.leaseId, state.envelopeHash, sender, report, file, log);
    }
  }

  async function runJob(lease: RawLease, sentAt: number): Promise<void> {
    const rawId = (lease.envelope as { jobId?: unknown } | null)?.jobId;
    const jobId = lease.jobId ?? (typeof rawId === 'string' ? rawId : null);
    if (jobId === null) {
      logger.error('leased a job without an id; cannot report on it');
      return;
    }
    const log = logger.child({ jobId });
    const leaseMs = (lease.leaseSeconds ?? 60) * 1000;
    // Counted from when the lease call was sent, plus the time the server says it held the
    // long-poll: never later than the server's own expiry.
    let confirmedUntil = sentAt + (lease.leaseWaitedMs ?? 0) + leaseMs;
    log.info({ leaseExpiresAt: lease.leaseExpiresAt, leaseSeconds: leaseMs / 1000 }, 'job leased');
    const control = createControl();
    current = control;
    if (stopping.signal.aborted) control.request('shutdown');
    const hash = envelopeHash(lease.envelope);
    let file: JobJournal | null = null;
    try {
      file = options.journal?.open({ jobId, leaseId: lease.leaseId, envelopeHash: hash }) ?? null;
    } catch (err) {
      // Without a journal nothing may change: a crash would lose the record of it.
      log.error({ err: (err as Error).message }, 'opening the job journal failed; refusing to run the job');
      control.request('shutdown');
    }
    const events = createEventSender({ client, jobId, leaseId: lease.leaseId, logger: log, envelopeHash: hash, coalesceMs: COALESCE_MS, ...(file ? { journal: file } : {}) });

    // Heartbeats every third of the lease; after a failure sooner, as long as the lease lasts.
    let beating = true;
    let healthy = true;
    let failures = 0;
    // Ends the wait for the next beat early (a step wants a fresh confirmation of the lease).
    let wake: () => void = () => undefined;
    const settled: (() => void)[] = [];
    const beatStop = new AbortController();
    const beat = async (): Promise<void> => {
      const sent = performance.now();
      try {
        const answer = await client.heartbeat(jobId, lease.leaseId);
        confirmedUntil = Math.max(confirmedUntil, sent + (answer.leaseSeconds ?? leaseMs / 1000) * 1000);
        if (!healthy) log.info('a heartbeat succeeded again; the lease is renewed');
        healthy = true;
        failures = 0;
        if (answer.cancel && control.stopReason() === null) {
          log.info('the server asked to cancel the job; stopping after the current step');
          control.request('cancel');
        }
      } catch (err) {
        const failure = err instanceof GatewayCallError ? err.failure : 'network';
        healthy = false;
        if (failure === 'network') {
          failures += 1;
          log.warn({ err: (err as Error).message, leaseLeftMs: Math.round(confirmedUntil - performance.now()) }, 'heartbeat failed; no new step starts until one succeeds');
          return;
        }
        if (failure === 'unauthorized') unauthorized = true;
        log.warn({ err: (err as Error).message }, 'the server refused the heartbeat: the lease is gone; no further step starts');
        control.request('lease-lost');
        beating = false;
      } finally {
        for (const done of settled.splice(0)) done();
      }
    };
    const heartbeat = (async () => {
      while (beating) {
        const wait = healthy ? leaseMs / 3 : Math.min(leaseMs / 6, backoffMs(failures, 2_000));
        await new Promise<void>((resolve) => {
          wake = resolve;
          void sleep(wait, beatStop.signal).then(resolve);
        });
        wake = () => undefined;
        if (!beating) return;
        await beat();
      }
    })();

    control.beforeStep = async () => {
      for (;;) {
        const reason = control.stopReason();
        if (reason) return reason;
        const left = confirmedUntil - performance.now();
        if (left <= 0) {
          log.warn('the lease has ended by this runner\'s clock; no further step starts');
          control.request('lease-expired');
          return 'lease-expired';
        }
        if (healthy && left >= leaseMs / 3) return null;
        // Too little lease left, or the server did not answer: beat now and wait for the answer.
        const answered = new Promise<void>((resolve) => settled.push(resolve));
        wake();
        await Promise.race([answered, sleep(left)]);
        if (!healthy) await sleep(Math.min(500, Math.max(0, confirmedUntil - performance.now())));
      }
    };

    const executed = await executeJob({
      lease,
      serverKey: options.serverKey,
      guard: options.guard,
      pinned: options.pinned,
      openShell: options.openShell,
      events: {
        push(event) {
          events.push(event);
          // Logged once journaled (push writes it first).
          if (event.type === 'step-started') log.info({ stepId: event.stepId, leaseLeftMs: Math.round(confirmedUntil - performance.now()) }, 'step started');
          if (events.leaseLost) control.request('lease-lost');
        },
      },
      control,
      logger,
      journalMs: () => file?.elapsedMs ?? 0,
    });
    current = null;
    const report = executed.report;
    file?.result(report);
    if (control.stopReason() === 'lease-lost' || control.stopReason() === 'lease-expired' || events.leaseLost) {
      log.warn({ status: report.status }, 'the lease ended during the job; reporting what ran (the server records it as late)');
    }
    // The lease is kept alive until the result is in: a job of thousands of steps leaves a
    // backlog of events that can take the server longer than a lease to take in.
    try {
      await deliver(jobId, lease.leaseId, hash, events, report, file, log);
    } finally {
      beating = false;
      beatStop.abort();
      await heartbeat;
    }
  }

  return {
    async run() {
      const waitSeconds = options.waitSeconds ?? LEASE_WAIT_SECONDS;
      let failures = 0;
      await recover();
      logger.info('waiting for jobs');
      while (!stopping.signal.aborted && !unauthorized) {
        let lease: RawLease | null;
        const sentAt = performance.now();
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
        if (lease) await runJob(lease, sentAt);
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
      const sender = delivering;
      if (sender) setTimeout(() => sender.abandon(), SHUTDOWN_REPORT_MS).unref();
    },
  };
}
