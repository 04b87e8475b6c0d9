/**
 * The ports and records of drift watch (docs/drift.md): per target (runner label) its baseline,
 * its last check and its drift card. Zod schemas, because the store parses every row it reads.
 */
import { z } from 'zod';
import { BaselineEntry, DriftKey, KeyValue } from '../../core/drift';
import { ObservedState } from '../../contracts/observed';
import { Profile } from '../../contracts/profiles';

const CardRef = z.object({ conversationId: z.string(), activityId: z.string() });

export const DifferenceRecord = z.object({ key: DriftKey, id: z.string(), baseline: KeyValue, now: KeyValue });

/** What the watch compares against, and where its cards go. */
export const DriftBaseline = z.object({
  /** The runner label, lower case. */
  target: z.string(),
  profile: Profile,
  /** The request and plan whose apply set (or last extended) the baseline. */
  requestId: z.string(),
  planId: z.string(),
  /** Where that plan was approved: drift cards are posted there. */
  conversationId: z.string(),
  /** What a check reads: the union of the applied plans' discovery scopes. */
  scope: z.object({ users: z.array(z.string()), clientPolicyIdentities: z.array(z.string()) }),
  entries: z.array(BaselineEntry),
  /** When the baseline was last set, extended or accepted. */
  since: z.string(),
  /** Who set it last: `plan_…` for an applied plan, an actor id for an accepted drift. */
  setBy: z.string(),
});
export type DriftBaseline = z.infer<typeof DriftBaseline>;

export const CHECK_STATUSES = ['checking', 'clean', 'drift', 'not-checked'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The last check of a target. */
export const DriftCheck = z.object({
  status: z.enum(CHECK_STATUSES),
  /** When the check was asked for, and when it ended (null while checking). */
  askedAt: z.string(),
  at: z.string().nullable(),
  jobId: z.string().nullable(),
  /** not-checked: why. */
  reason: z.string().nullable(),
  differences: z.array(DifferenceRecord),
  /** What the check read (a restore plan is made from it). */
  observed: ObservedState.nullable(),
});
export type DriftCheck = z.infer<typeof DriftCheck>;

/** The drift card of a target: posted once per drift, updated while it lasts. */
export const DriftAlert = z.object({
  state: z.enum(['open', 'resolved', 'accepted']),
  card: CardRef.nullable(),
  /** driftSignature of the differences the card shows. */
  signature: z.string(),
  openedAt: z.string(),
  checkedAt: z.string(),
  differences: z.array(DifferenceRecord),
  snoozedUntil: z.string().nullable(),
  restorePlanId: z.string().nullable(),
  /** Who closed it and how (accepted with a reason, or back to baseline). */
  closedAt: z.string().nullable(),
  closedBy: z.string().nullable(),
  note: z.string().nullable(),
});
export type DriftAlert = z.infer<typeof DriftAlert>;

export interface DriftWatchRecord {
  baseline: DriftBaseline;
  lastCheck: DriftCheck | null;
  alert: DriftAlert | null;
  updatedAt: string;
}

/** The watched targets (SQLite: src/bot/stores/drift-watch.ts). */
export interface DriftStore {
  get(target: string): Promise<DriftWatchRecord | null>;
  /** Every watched target, by label. */
  list(): Promise<DriftWatchRecord[]>;
  /** Inserts or replaces the target's row. */
  save(record: DriftWatchRecord): Promise<void>;
}

/** The counters drift watch keeps (built in the composition root; a later /metrics reads them). */
export interface DriftMetrics {
  /** A check finished (clean, drift or not checked). */
  checkRun(status: Exclude<CheckStatus, 'checking'>): void;
  /** How many targets have an open drift now. */
  driftsOpen(count: number): void;
  restorePlan(): void;
}
