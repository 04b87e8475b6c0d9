/**
 * The runner API (docs/architecture.md, Runner protocol) at /api/runner/v1 on the bot's restify server. Bodies are parsed
 * by the zod schemas in src/contracts/runner-api.ts (400 naming the bad field); every call but
 * enroll needs `Authorization: Bearer <runnerToken>` (401 JSON otherwise, checked before the
 * body is read). Lease conflicts are 409, unknown jobs 404.
 */
import type { Request } from 'restify';
import {
  EnrollRequest, EventsRequest, HeartbeatRequest, LeaseRequest, ResultRequest, RUNNER_API_BASE, ServerKeyRequest,
} from '../../contracts/runner-api';
import type { KeyRotation } from '../../contracts/signing';
import { idPattern } from '../../shared/ids';
import { HttpError } from '../http/http-error';
import { jsonRoute } from '../http/json-route';
import type { HttpServer } from '../http/server';
import type { Logger } from '../../shared/logger';
import type { RunnerInfo } from '../workflows/ports';
import type { GatewayJobQueue, LeaseFound } from './job-queue';
import { MAX_WAIT_SECONDS } from './job-queue';
import type { GatewayRegistry } from './registry';
import type { LeaseWaiters } from './waiters';

export interface GatewayRoutesDeps {
  jobs: GatewayJobQueue;
  registry: GatewayRegistry;
  waiters: LeaseWaiters;
  /** The Ed25519 public key the runner pins at enrollment. */
  serverKeyPem: string;
  /** The signed key rotations, oldest first (picbot keys rotate). */
  rotations: () => Promise<KeyRotation[]>;
  /** Look for a job at least this often while a runner waits (several instances: a missed wake-up); absent: only when woken. */
  pollMs?: number;
  /** Debug lines of the long-polls (a shutdown test waits for a poll to be waiting). */
  logger?: Logger;
}

const JOB_ID = idPattern('job');

/** Mounts the runner routes on the server. */
export function mountRunnerRoutes(http: HttpServer, deps: GatewayRoutesDeps): void {
  const { jobs, registry, waiters } = deps;
  const log = deps.logger?.child({ component: 'runner-gateway' });
  const runners = new WeakMap<Request, RunnerInfo>();

  // Cheap and before the body is read: an unauthenticated caller cannot make us buffer anything.
  async function authenticate(req: Request): Promise<void> {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header);
    if (!m) throw new HttpError(401, 'unauthorized', 'missing or malformed Authorization: Bearer <runner token>');
    const runner = await registry.authenticate(m[1]!);
    if (!runner) throw new HttpError(401, 'unauthorized', 'runner token unknown or revoked; enroll the runner again');
    runners.set(req, runner);
  }
  const runnerOf = (req: Request): RunnerInfo => {
    const runner = runners.get(req);
    if (!runner) throw new HttpError(401, 'unauthorized', 'not authenticated');
    return runner;
  };
  const jobIdOf = (params: Record<string, string>): string => {
    const id = params.id ?? '';
    if (!JOB_ID.test(id)) throw new HttpError(404, 'not_found', `there is no job ${id.slice(0, 40)}`);
    return id;
  };
  const refusal = (r: { code: string; reason: string }): never => {
    if (r.code === 'not-found') throw new HttpError(404, 'not_found', r.reason);
    if (r.code === 'bad-result') throw new HttpError(400, 'bad_request', r.reason);
    if (r.code === 'too-many-events') throw new HttpError(413, 'payload_too_large', r.reason);
    throw new HttpError(409, 'conflict', r.reason);
  };

  http.post(`${RUNNER_API_BASE}/enroll`, jsonRoute(EnrollRequest, async ({ body }) => {
    const outcome = await registry.enroll(body);
    if (!outcome.ok) {
      if (outcome.code === 'labels-not-allowed') throw new HttpError(403, 'forbidden', outcome.reason);
      throw new HttpError(401, 'unauthorized', outcome.reason);
    }
    return { status: 200, body: { runnerId: outcome.runner.id, runnerToken: outcome.runnerToken, serverKey: deps.serverKeyPem } };
  }));

  http.post(`${RUNNER_API_BASE}/jobs/lease`, jsonRoute(LeaseRequest, async ({ body, req }) => {
    const runner = runnerOf(req);
    const received = Date.now();
    const deadline = received + Math.min(body.waitSeconds, MAX_WAIT_SECONDS) * 1000;
    // A runner that hangs up ends its wait (and is not handed a job it would never see). One
    // listener per request, removed at the end: keep-alive sockets carry many long-polls.
    let abortWait: (() => void) | null = null;
    const onClose = () => abortWait?.();
    req.socket.once('close', onClose);
    // How this look was prompted (logged with a lease): the request's first look, a wake-up (a job
    // created here, or NOTIFY from another instance), or the fallback poll.
    let found: LeaseFound = 'first-look';
    try {
      for (;;) {
        // Register first, then look: a job created in between still wakes this waiter.
        const waiter = waiters.register(runner.labels, (abort) => { abortWait = abort; }, runner.id);
        // Shutting down: no new lease from this instance; the runner polls again (another instance).
        if (req.socket.destroyed || waiters.closed()) {
          waiter.cancel();
          return { status: 204 };
        }
        // Measured before the lease is made, so the runner never dates the lease later than the server does.
        const waitedMs = Math.max(0, Date.now() - received);
        const lease = await jobs.tryLease(runner, found);
        if (lease) {
          waiter.cancel();
          return {
            status: 200,
            body: {
              jobId: lease.jobId,
              job: { envelope: lease.envelope, signature: lease.signature },
              leaseId: lease.leaseId,
              leaseExpiresAt: lease.leaseExpiresAt,
              leaseSeconds: jobs.leaseMs / 1000,
              // The runner dates the lease from its request's send time plus this wait.
              leaseWaitedMs: waitedMs,
            },
          };
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          waiter.cancel();
          return { status: 204 };
        }
        log?.debug({ runnerId: runner.id, waitMs: remaining }, 'runner long-poll waiting for a job');
        const end = await waiter.wait(Math.min(remaining, deps.pollMs ?? remaining));
        if (end === 'timeout' && Date.now() < deadline) {
          found = 'poll';
          continue;
        }
        if (end !== 'woken') return { status: 204 };
        found = 'woken';
        // Woken by a revocation (or a job): a revoked runner gets its 401 now, not at its next poll.
        if ((await registry.get(runner.id))?.revokedAt) throw new HttpError(401, 'unauthorized', 'runner token revoked; enroll the runner again');
      }
    } finally {
      req.socket.off('close', onClose);
    }
  }, { before: authenticate }));

  http.post(`${RUNNER_API_BASE}/jobs/:id/events`, jsonRoute(EventsRequest, async ({ body, req, params }) => {
    const r = await jobs.appendEvents(jobIdOf(params), runnerOf(req), body.leaseId, body.seq, body.events, body.envelopeHash);
    if (!r.ok) return refusal(r);
    return { status: 200, body: { ok: true, duplicate: r.duplicate } };
  }, { before: authenticate, maxBytes: 4 * 1024 * 1024 }));

  http.post(`${RUNNER_API_BASE}/jobs/:id/heartbeat`, jsonRoute(HeartbeatRequest, async ({ body, req, params }) => {
    const r = await jobs.heartbeat(jobIdOf(params), runnerOf(req), body.leaseId);
    if (!r.ok) return refusal(r);
    return { status: 200, body: { leaseExpiresAt: r.job.leaseExpiresAt, cancel: r.job.cancelRequested, leaseSeconds: jobs.leaseMs / 1000 } };
  }, { before: authenticate }));

  // A result can carry two observed states; allow more than the default 256 KiB.
  http.post(`${RUNNER_API_BASE}/jobs/:id/result`, jsonRoute(ResultRequest, async ({ body, req, params }) => {
    const r = await jobs.finish(jobIdOf(params), runnerOf(req), body);
    if (!r.ok) return refusal(r);
    return { status: 200, body: { ok: true, duplicate: r.duplicate } };
  }, { before: authenticate, maxBytes: 4 * 1024 * 1024 }));

  // The current job-signing key and the rotations leading to it, each signed by the key before:
  // a runner pinned to an older key follows the chain (it trusts no key it cannot reach that way).
  http.post(`${RUNNER_API_BASE}/server-key`, jsonRoute(ServerKeyRequest, async () => {
    return { status: 200, body: { serverKey: deps.serverKeyPem, rotations: await deps.rotations() } };
  }, { before: authenticate }));
}
