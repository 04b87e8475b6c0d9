/** Plans and votes. (Ports the workflows call: src/bot/workflows/ports/index.ts.) */
import type { Vote } from '../../../core/approval-policy';
import type { DiscoveryScope } from '../../../core/discovery-scope';
import type { PlanKind, PlanStatus } from '../../../core/plan-status';
import type { Plan } from '../../../core/planner';
import type { ProvisioningRequest } from '../../../core/request';
import type { AuditEntry } from './audit';
/** Where a card message lives, so it can be updated in place later (after a restart too). */
export interface CardRef {
  conversationId: string;
  activityId: string;
}

/** The message that holds each intake's live card. */
export interface IntakeCardStore {
  /** Records where the draft's card now is; resolves to where it was before (null: nowhere known). */
  moveTo(draftId: string, card: CardRef, at: string): Promise<CardRef | null>;
}

/** A plan put up for approval: what was planned, from what, by whom, and where it stands. */
export interface PlanRecord {
  id: string;
  kind: PlanKind;
  requestId: string;
  /** Bumped by every re-plan while pending; votes bind to `plan.planHash`, so a re-plan voids them. */
  revision: number;
  targetLabel: string;
  /** The request as it was when planned (a later edit of the request does not change the plan). */
  request: ProvisioningRequest;
  plan: Plan;
  /** What discovery read and the apply job re-reads (carried in the job envelope). */
  discovery: DiscoveryScope;
  /** Entra object id (lower case) or `teams:<id>` of the admin who asked for approval. */
  requesterId: string;
  requesterName: string;
  /** The conversation the requester asked in (told there when the plan is decided). */
  requestedIn: string;
  status: PlanStatus;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  remindedAt: string | null;
  /** The approval card, which becomes the status and report card. */
  card: CardRef | null;
  /** The apply/rollback job, once dispatched. */
  jobId: string | null;
  /** Rollback plans: the job whose changes they undo. */
  rollbackOf: string | null;
  /** The plan this one was made from by "Roll back" or "Retry", if any. */
  follows: string | null;
  /** The job the card last showed, as `<event count>:<job status>` (a restart brings changed cards up to date). */
  cardShows: string | null;
}

/** Only the fields a status move may change. */
export type PlanPatch = Partial<Pick<PlanRecord, 'status' | 'revision' | 'plan' | 'request' | 'discovery' | 'expiresAt' | 'remindedAt' | 'card' | 'jobId' | 'cardShows' | 'createdAt' | 'requesterId' | 'requesterName' | 'requestedIn'>>;

export interface PlanStore {
  create(record: PlanRecord): Promise<void>;
  get(id: string): Promise<PlanRecord | null>;
  byJob(jobId: string): Promise<PlanRecord | null>;
  /**
   * The id and card message of the plan a job applies, without reading the plan itself: a job's
   * progress arrives in many batches, and a plan of thousands of steps is costly to read each time.
   */
  cardOfJob(jobId: string): Promise<{ id: string; card: CardRef | null } | null>;
  /** Most recently changed first; optionally only some statuses or one request. */
  list(filter?: { statuses?: PlanStatus[]; requestId?: string; limit?: number }): Promise<PlanRecord[]>;
  /**
   * Compare-and-set: applies `patch` only if the plan still has `expect.status` and
   * `expect.revision`; returns the updated record, or null when somebody moved it first. The
   * `audit` rows are stored in the same transaction, only when the plan moved.
   */
  update(id: string, expect: { status: PlanStatus; revision: number }, patch: PlanPatch, audit?: AuditEntry[]): Promise<PlanRecord | null>;
  /** Unconditional bookkeeping that never changes the plan's meaning (card ref, what the card shows). */
  note(id: string, patch: Pick<PlanPatch, 'card' | 'cardShows'>): Promise<void>;
}

/** Votes, unique per plan, voter and plan hash. */
export interface VoteStore {
  /** Stores the vote with its audit rows in one transaction; false when this voter already has a vote on this plan hash (a raced double-click). */
  add(planId: string, vote: Vote, audit?: AuditEntry[]): Promise<boolean>;
  /** The plan's votes in the order they were cast (every hash). */
  list(planId: string): Promise<Vote[]>;
}
