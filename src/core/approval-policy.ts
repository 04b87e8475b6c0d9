import { z } from 'zod';
import type { PlanStatus } from './plan-status';

/**
 * The approval policy (docs/architecture.md, One turn): a pure function deciding one Approve/Reject
 * click from what the server knows, never from what the card shows. Rules, in the order checked:
 *
 *  1. Fail closed: if the plan, its votes or the clicker's role could not be read, nothing counts.
 *  2. The clicker must be an approver.
 *  3. Idempotent: the same person repeating the same vote on the same plan hash (double-click,
 *     Teams retrying the invoke) records nothing and gets the same answer.
 *  4. Only a plan waiting for approval takes votes; an expired one takes none.
 *  5. The vote names the plan hash the card showed: a card showing another hash is refused (the
 *     plan changed since; votes for the old hash no longer count).
 *  6. A reject needs a reason and ends the request.
 *  7. The requester never counts, except in local mode with PICBOT_APPROVERS unset (the card says so).
 *     A requester who is an approver may still reject (withdraw) their own plan: that is the safe side.
 *  8. One vote per person per plan hash.
 *  9. Quorum: that many approvals from distinct eligible approvers on the current hash.
 */

export type VoteDecision = 'approve' | 'reject';

/** A stored vote. `planHash` is the hash the voter's card showed (always the plan's hash at the time). */
export interface Vote {
  voterId: string;
  voterName: string;
  planHash: string;
  decision: VoteDecision;
  reason: string | null;
  at: string;
}

/** The plan as the policy sees it. */
export interface PolicyPlan {
  planHash: string;
  status: PlanStatus;
  /** The requester's id (Entra object id, lower case). */
  requesterId: string;
  expiresAt: string;
}

export interface PolicyConfig {
  quorum: number;
  /** Local mode with PICBOT_APPROVERS unset: everyone approves and the requester may count. */
  requesterMayCount: boolean;
}

/** One click. `cardHash` is the plan hash the clicked card carried. */
export interface Click {
  /** The clicker's Entra object id (lower case), or null when Teams gave none. */
  voterId: string | null;
  voterName: string;
  decision: VoteDecision;
  cardHash: string;
  reason: string | null;
}

export interface PolicyInput {
  /** null: the plan could not be read. */
  plan: PolicyPlan | null;
  /** null: the votes could not be read. */
  votes: readonly Vote[] | null;
  click: Click;
  /** Whether an id is an approver now; null: the approver list could not be read. */
  isApprover: ((voterId: string) => boolean) | null;
  now: Date;
  config: PolicyConfig;
}

export type VoteRefusalCode =
  | 'unverifiable'
  | 'not-approver'
  | 'not-pending'
  | 'expired'
  | 'stale-plan'
  | 'reason-required'
  | 'requester'
  | 'already-voted';

export type Outcome = 'pending' | 'approved' | 'rejected';

export interface Tally {
  /** Counting approvals on the current hash, in the order they were cast. */
  approvals: Vote[];
  /** The reject that ended the request, if any. */
  rejection: Vote | null;
  quorum: number;
  outcome: Outcome;
}

export type Decision =
  | { ok: true; effect: 'recorded'; vote: Vote; tally: Tally }
  | { ok: true; effect: 'repeat'; vote: Vote; tally: Tally }
  | { ok: false; code: VoteRefusalCode; reason: string };

const refuse = (code: VoteRefusalCode, reason: string): Decision => ({ ok: false, code, reason });

/**
 * The most a reject reason (or a drift acceptance reason) may hold: it goes on the card and into
 * the audit log. The cards' reason fields say the same (maxLength in cards/approval.json and
 * cards/drift.json; test/unit/cards-reason-limit.test.ts keeps them equal).
 */
export const MAX_REASON = 500;

/** A reason as a card submits it. */
export const ReasonText = z.string().max(MAX_REASON, `the reason is too long (${MAX_REASON} characters at most)`);

/**
 * The votes that count for the plan as it is now: on its current hash, from people who are
 * approvers now (someone removed from the list no longer counts), one per person, the requester
 * only where allowed. Fails closed: an unreadable approver list counts nobody.
 */
export function tally(plan: PolicyPlan, votes: readonly Vote[], isApprover: ((voterId: string) => boolean) | null, config: PolicyConfig): Tally {
  const approvals: Vote[] = [];
  let rejection: Vote | null = null;
  const seen = new Set<string>();
  for (const v of votes) {
    if (v.planHash !== plan.planHash || !isApprover || !isApprover(v.voterId)) continue;
    if (v.decision === 'reject') {
      rejection ??= v;
      continue;
    }
    if (seen.has(v.voterId)) continue;
    if (v.voterId === plan.requesterId && !config.requesterMayCount) continue;
    seen.add(v.voterId);
    approvals.push(v);
  }
  const outcome: Outcome = rejection ? 'rejected' : approvals.length >= config.quorum ? 'approved' : 'pending';
  return { approvals, rejection, quorum: config.quorum, outcome };
}

/** Whether the plan's approval window has closed at `now`. */
export function isExpired(plan: Pick<PolicyPlan, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(plan.expiresAt);
}

/** Decides one Approve/Reject click. The caller stores `vote` only when `effect` is 'recorded'. */
export function decideVote(input: PolicyInput): Decision {
  const { plan, votes, click, isApprover, now, config } = input;
  if (plan === null || votes === null || isApprover === null) {
    return refuse('unverifiable', 'picbot could not read the plan, its votes or the approver list, so nothing was recorded and nothing is approved. Try again in a moment.');
  }
  if (click.voterId === null || !isApprover(click.voterId)) {
    return refuse('not-approver', 'Only picbot approvers may vote on a plan. Say "whoami" for your Entra object id; an operator adds it to PICBOT_APPROVERS.');
  }
  const voterId = click.voterId;
  const mine = votes.filter((v) => v.voterId === voterId && v.planHash === plan.planHash);
  const same = mine.find((v) => v.decision === click.decision && v.planHash === click.cardHash);
  if (same) return { ok: true, effect: 'repeat', vote: same, tally: tally(plan, votes, isApprover, config) };

  if (plan.status !== 'pending-approval') {
    return refuse('not-pending', plan.status === 'expired'
      ? 'This plan expired without enough approvals. Ask the requester to request approval again.'
      : `This plan no longer takes votes: it is ${plan.status}.`);
  }
  if (isExpired(plan, now)) {
    return refuse('expired', 'This plan expired without enough approvals. Ask the requester to request approval again.');
  }
  if (click.cardHash !== plan.planHash) {
    return refuse('stale-plan', `The plan changed since this card was shown (the card showed ${click.cardHash.slice(0, 12)}, the plan is now ${plan.planHash.slice(0, 12)}). Votes for the old plan no longer count: review the current card and vote again.`);
  }
  const reason = click.reason?.trim() ?? '';
  if (click.decision === 'reject' && reason.length === 0) {
    return refuse('reason-required', 'Give a reason to reject the plan: the requester sees it.');
  }
  if (click.decision === 'approve' && voterId === plan.requesterId && !config.requesterMayCount) {
    return refuse('requester', 'You requested this plan, so your approval does not count: another approver must approve it.');
  }
  if (mine.length > 0) {
    return refuse('already-voted', `You already voted to ${mine[0]!.decision} this plan; one vote per person.`);
  }
  const vote: Vote = {
    voterId,
    voterName: click.voterName,
    planHash: plan.planHash,
    decision: click.decision,
    reason: click.decision === 'reject' ? reason.slice(0, MAX_REASON) : null,
    at: now.toISOString(),
  };
  return { ok: true, effect: 'recorded', vote, tally: tally(plan, [...votes, vote], isApprover, config) };
}

/** What the sweeper owes a pending plan at `now`: expire it, remind the approvers once, or nothing. */
export function dueAction(plan: { status: PlanStatus; createdAt: string; expiresAt: string; remindedAt: string | null }, now: Date): 'expire' | 'remind' | null {
  if (plan.status !== 'pending-approval') return null;
  const created = Date.parse(plan.createdAt);
  const expires = Date.parse(plan.expiresAt);
  if (now.getTime() >= expires) return 'expire';
  if (plan.remindedAt === null && now.getTime() >= created + (expires - created) / 2) return 'remind';
  return null;
}
