import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical';
import { OpCall } from './ops';
import { Profile } from './profiles';
import { ObservedState } from './observed';

/** Bumped when a runner and a server could misunderstand each other. */
export const PROTOCOL_VERSION = 1;
export const RUNNER_API_BASE = '/api/runner/v1';
/** The environment variable that may carry picbot-runner's one-time enrollment token (not shown by `ps`). */
export const ENROLL_TOKEN_ENV = 'PICBOT_ENROLL_TOKEN';

const label = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'a label is letters, digits, dot, underscore or hyphen (1–63)');
export const RunnerLabel = label;

/** A plan step as data; its PowerShell text is rendered for people, never executed. */
export const PlanStep = z.object({
  id: z.string().min(1).max(64),
  title: z.string().max(300),
  op: z.string(),
  params: z.record(z.string(), z.unknown()),
  rollback: z.array(OpCall),
});
export type PlanStep = z.infer<typeof PlanStep>;

export const JobKind = z.enum(['discover', 'apply', 'rollback']);
export type JobKind = z.infer<typeof JobKind>;

export const Approval = z.object({ approver: z.string(), at: z.string() });

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** The job envelope the server signs and the runner verifies (docs/architecture.md, Runner protocol). */
export const JobEnvelope = z.object({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  jobId: z.string(),
  kind: JobKind,
  target: label,
  profile: Profile,
  discovery: z.object({ users: z.array(z.string()), clientPolicyIdentities: z.array(z.string()) }),
  steps: z.array(PlanStep),
  expectedFingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  planHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  approvals: z.array(Approval),
  issuedAt: z.string(),
  /**
   * SHA-256 (hex) of the lync-ops.ps1 this server's release ships: a runner whose copy differs
   * refuses the job (its script was changed, or it runs another release).
   */
  scriptSha256: Sha256Hex.optional(),
  /** The end of the job's time limit: a runner refuses the envelope after it (a stale or replayed job). */
  notAfter: z.string().optional(),
});
export type JobEnvelope = z.infer<typeof JobEnvelope>;

/**
 * The same envelope with every object closed: a runner parses what it received with this before
 * checking the signature, so a key the server never signed (an unknown field, `__proto__`)
 * refuses the job instead of riding along beside a valid signature.
 */
export const ExactJobEnvelope = z.strictObject({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  jobId: z.string(),
  kind: JobKind,
  target: label,
  profile: Profile,
  discovery: z.strictObject({ users: z.array(z.string()), clientPolicyIdentities: z.array(z.string()) }),
  steps: z.array(z.strictObject({
    id: z.string().min(1).max(64),
    title: z.string().max(300),
    op: z.string(),
    params: z.record(z.string(), z.unknown()),
    rollback: z.array(z.strictObject({ op: z.string(), params: z.record(z.string(), z.unknown()) })),
  })),
  expectedFingerprint: Sha256Hex.optional(),
  planHash: Sha256Hex.optional(),
  approvals: z.array(z.strictObject({ approver: z.string(), at: z.string() })),
  issuedAt: z.string(),
  scriptSha256: Sha256Hex.optional(),
  notAfter: z.string().optional(),
});

/** The first own key named `__proto__`, `constructor` or `prototype` anywhere in a parsed JSON value, as a path; null when none. */
export function prototypeKeyIn(value: unknown, path = ''): string | null {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = prototypeKeyIn(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `${path}${path ? '.' : ''}${key}`;
    const found = prototypeKeyIn((value as Record<string, unknown>)[key], `${path}${path ? '.' : ''}${key}`);
    if (found) return found;
  }
  return null;
}


export const EnrollRequest = z.object({
  enrollmentToken: z.string().min(1).max(512),
  name: z.string().min(1).max(128),
  labels: z.array(label).min(1).max(32),
}).strict();
export const EnrollResponse = z.object({ runnerId: z.string(), runnerToken: z.string(), serverKey: z.string() });

export const LeaseRequest = z.object({ waitSeconds: z.number().int().min(0).max(30) }).strict();
/**
 * The answer to a lease. The envelope stays raw here: the runner checks the signature over
 * exactly what arrived, and only then parses it as a JobEnvelope.
 */
export const LeaseResponse = z.object({
  job: z.object({ envelope: z.unknown(), signature: z.string() }),
  leaseId: z.string(),
  leaseExpiresAt: z.string(),
  /** The job's id, so a runner can report on a job whose envelope it refuses (tampered, unparsable). */
  jobId: z.string().optional(),
  /** The lease's life in seconds: the runner heartbeats every third of it, skew-free. */
  leaseSeconds: z.number().positive().optional(),
  /**
   * How long the server held the long-poll before it leased the job. The lease ran for
   * `leaseSeconds` from then, so the runner dates it on its own monotonic clock from when it sent
   * the request plus this wait: never later than the server's own expiry.
   */
  leaseWaitedMs: z.number().nonnegative().optional(),
});

export const StepStatus = z.enum(['pending', 'running', 'done', 'skipped', 'failed']);
export type StepStatus = z.infer<typeof StepStatus>;

/** The most characters an event's output, error message or log line may hold (the runner cuts to it). */
export const MAX_EVENT_TEXT = 65536;

export const JobEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('step-started'), stepId: z.string(), at: z.string() }),
  z.object({
    type: z.literal('step-finished'),
    stepId: z.string(),
    at: z.string(),
    status: z.enum(['done', 'skipped', 'failed']),
    durationMs: z.number().nonnegative(),
    output: z.string().max(MAX_EVENT_TEXT).optional(),
    error: z.object({ code: z.string(), message: z.string().max(MAX_EVENT_TEXT) }).optional(),
  }),
  z.object({ type: z.literal('log'), at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string().max(MAX_EVENT_TEXT) }),
]);
export type JobEvent = z.infer<typeof JobEvent>;

/**
 * The SHA-256 of the canonical JSON of the job's signed envelope (`envelopeHash`). A runner sends
 * it with events and a result, so a job the server marked interrupted can still take the late
 * record of what its last lease holder did, and nobody else's.
 */
const EnvelopeHash = z.string().regex(/^[0-9a-f]{64}$/);

export const EventsRequest = z.object({
  leaseId: z.string(),
  seq: z.number().int().min(0),
  events: z.array(JobEvent).max(100),
  envelopeHash: EnvelopeHash.optional(),
}).strict();
export const HeartbeatRequest = z.object({ leaseId: z.string() }).strict();
export const HeartbeatResponse = z.object({ leaseExpiresAt: z.string(), cancel: z.boolean(), leaseSeconds: z.number().positive().optional() });

/** The hash a runner sends as `envelopeHash`: over the envelope exactly as it was signed. */
export function envelopeHash(envelope: unknown): string {
  return sha256Hex(canonicalJson(envelope));
}

export const JobResultStatus = z.enum(['succeeded', 'failed', 'aborted-drift', 'cancelled']);
export type JobResultStatus = z.infer<typeof JobResultStatus>;
export const ResultRequest = z.object({
  leaseId: z.string(),
  status: JobResultStatus,
  /** What the runner read: the discovery result, or the state before (`observed`) an apply. */
  observed: ObservedState.optional(),
  /** For apply/rollback: the state read after the last change (the verify read). */
  after: ObservedState.optional(),
  replication: z.array(z.object({ replicaFqdn: z.string(), upToDate: z.boolean(), lastUpdate: z.string().nullable() })).optional(),
  error: z.object({ code: z.string(), message: z.string().max(65536) }).optional(),
  envelopeHash: EnvelopeHash.optional(),
}).strict();
export type ResultRequest = z.infer<typeof ResultRequest>;

/** `POST /server-key`: the server's current key and the signed rotations that lead to it, oldest first. */
export const ServerKeyRequest = z.object({}).strict();
export const ServerKeyResponse = z.object({
  serverKey: z.string(),
  rotations: z.array(z.object({ previousKey: z.string(), nextKey: z.string(), at: z.string(), signature: z.string() })),
});

