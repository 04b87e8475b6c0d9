/**
 * The preflight port: what the workflows call to check DNS and the Access Edge certificate before
 * anything changes (docs/architecture.md, One turn). Types and zod schemas only, so workflows, views and
 * stores can import it without pulling in node:dns or node:tls.
 */
import { z } from 'zod';

/** Check ids, as printed by `picbot preflight --json` and stored with the request. */
export const PREFLIGHT_CHECKS = [
  'federation-srv',
  'federation-srv-suffix',
  'client-srv',
  'edge-address',
  'edge-certificate',
] as const;
export const PreflightCheck = z.enum(PREFLIGHT_CHECKS);
export type PreflightCheck = z.infer<typeof PreflightCheck>;

export const PreflightStatus = z.enum(['pass', 'fail', 'warn']);
export type PreflightStatus = z.infer<typeof PreflightStatus>;

/**
 * One line of the result. `subject` is the SIP domain for the three SRV checks and the Access
 * Edge FQDN for edge-address and edge-certificate; `detail` is a plain-words reason.
 */
export const PreflightResult = z.object({
  check: PreflightCheck,
  subject: z.string().min(1),
  status: PreflightStatus,
  detail: z.string(),
}).strict();
export type PreflightResult = z.infer<typeof PreflightResult>;

/** A stored run: the latest results of a request, with when they were taken (parsed on read). */
export const PreflightRun = z.object({
  ranAt: z.iso.datetime(),
  results: z.array(PreflightResult),
}).strict();
export type PreflightRun = z.infer<typeof PreflightRun>;

/** The part of a provisioning request the checks look at (names normalised by the request schema). */
export interface PreflightRequest {
  accessEdgeFqdns: readonly string[];
  sipDomains: readonly string[];
}

/** Runs every check; never throws for network trouble (that is a `fail` line), and is time-bounded. */
export interface Preflight {
  run(request: PreflightRequest): Promise<PreflightResult[]>;
}

/** Counts by status; `ok` is false when any check failed (warnings do not count). */
export function summarizePreflight(results: readonly PreflightResult[]): { pass: number; fail: number; warn: number; ok: boolean } {
  const count = (s: PreflightStatus) => results.filter((r) => r.status === s).length;
  const fail = count('fail');
  return { pass: count('pass'), fail, warn: count('warn'), ok: fail === 0 };
}
