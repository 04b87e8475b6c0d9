/**
 * The runner's HTTP client for the runner API (docs/architecture.md, Runner protocol): outbound calls only, JSON bodies,
 * answers parsed by the contract schemas. Failures are values the caller can act on:
 * 'network' (no answer, or 5xx/429: worth retrying), 'unauthorized' (401: the token is
 * revoked or unknown), 'conflict' (409/404 on a job: the lease is gone), 'rejected' (another 4xx:
 * a bug on one side, never retried). The runner token is sent, never logged.
 */
import { z } from 'zod';
import {
  EnrollResponse, HeartbeatResponse, LeaseResponse, RUNNER_API_BASE, type JobEvent, type ResultRequest, ServerKeyResponse } from '../contracts/runner-api';

export type CallFailure = 'network' | 'unauthorized' | 'conflict' | 'rejected';

export class GatewayCallError extends Error {
  constructor(
    readonly failure: CallFailure,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'GatewayCallError';
  }
}

/** A lease as it arrived: the envelope is kept raw, because the signature covers exactly that. */
export interface RawLease {
  jobId: string | null;
  envelope: unknown;
  signature: string;
  leaseId: string;
  leaseExpiresAt: string;
  leaseSeconds: number | null;
  /** How long the server held the long-poll before leasing (0 when it does not say). */
  leaseWaitedMs: number | null;
}

export interface GatewayClient {
  enroll(body: { enrollmentToken: string; name: string; labels: string[] }): Promise<z.infer<typeof EnrollResponse>>;
  /** Long-polls for a job; null when none came within waitSeconds. */
  lease(waitSeconds: number, signal?: AbortSignal): Promise<RawLease | null>;
  events(jobId: string, body: { leaseId: string; seq: number; events: JobEvent[] }): Promise<void>;
  heartbeat(jobId: string, leaseId: string): Promise<z.infer<typeof HeartbeatResponse>>;
  result(jobId: string, body: ResultRequest): Promise<void>;
  /** The server's current signing key and the signed rotations leading to it. */
  serverKey(): Promise<z.infer<typeof ServerKeyResponse>>;
}

/** How long a call may take beyond any long-poll wait before it counts as a network failure. */
const CALL_TIMEOUT_MS = 30_000;

export function createGatewayClient(options: { server: string; runnerToken?: string }): GatewayClient {
  const base = `${options.server}${RUNNER_API_BASE}`;

  async function call(path: string, body: unknown, opts: { auth: boolean; timeoutMs?: number; signal?: AbortSignal }): Promise<{ status: number; json: unknown }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? CALL_TIMEOUT_MS);
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.auth && options.runnerToken) headers.authorization = `Bearer ${options.runnerToken}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
      text = await res.text();
    } catch (err) {
      const why = opts.signal?.aborted ? 'stopped' : controller.signal.aborted ? 'timed out' : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new GatewayCallError('network', `POST ${path}: ${why}`);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        if (res.status < 500) throw new GatewayCallError('rejected', `POST ${path}: answer ${res.status} is not JSON`, res.status);
      }
    }
    if (res.status < 300) return { status: res.status, json };
    const message = (json as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
    const what = `POST ${path}: ${res.status} ${message}`;
    if (res.status === 401) throw new GatewayCallError('unauthorized', what, res.status);
    if (res.status === 409 || res.status === 404) throw new GatewayCallError('conflict', what, res.status);
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new GatewayCallError('network', what, res.status);
    throw new GatewayCallError('rejected', what, res.status);
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayCallError('rejected', `${what}: the server's answer does not match the protocol (${issue?.path.join('.') || '(root)'}: ${issue?.message})`);
    }
    return parsed.data;
  }

  return {
    async enroll(body) {
      const { json } = await call('/enroll', body, { auth: false });
      return parse(EnrollResponse, json, 'enrolling');
    },
    async lease(waitSeconds, signal) {
      const { status, json } = await call('/jobs/lease', { waitSeconds }, { auth: true, timeoutMs: waitSeconds * 1000 + CALL_TIMEOUT_MS, signal });
      if (status === 204) return null;
      const lease = parse(LeaseResponse, json, 'leasing a job');
      return {
        jobId: lease.jobId ?? null,
        envelope: lease.job.envelope,
        signature: lease.job.signature,
        leaseId: lease.leaseId,
        leaseExpiresAt: lease.leaseExpiresAt,
        leaseSeconds: lease.leaseSeconds ?? null,
        leaseWaitedMs: lease.leaseWaitedMs ?? null,
      };
    },
    async events(jobId, body) {
      await call(`/jobs/${encodeURIComponent(jobId)}/events`, body, { auth: true });
    },
    async heartbeat(jobId, leaseId) {
      const { json } = await call(`/jobs/${encodeURIComponent(jobId)}/heartbeat`, { leaseId }, { auth: true });
      return parse(HeartbeatResponse, json, 'heartbeat');
    },
    async result(jobId, body) {
      await call(`/jobs/${encodeURIComponent(jobId)}/result`, body, { auth: true });
    },
    async serverKey() {
      const { json } = await call('/server-key', {}, { auth: true });
      return parse(ServerKeyResponse, json, 'reading the server key');
    },
  };
}

/** Exponential backoff for retries: 0.5 s, 1 s, 2 s, … capped at `maxMs`, with ±20 % jitter. */
export function backoffMs(attempt: number, maxMs = 15_000): number {
  const base = Math.min(maxMs, 500 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
