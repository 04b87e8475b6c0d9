/**
 * Approval in chat (docs/architecture.md, One turn): a plan computed from a request and the latest
 * discovery is put up for approval; every Approve/Reject click is decided by the approval policy
 * on what the server has stored, never on what the card shows; quorum approves the plan and says
 * so (`onApproved`: the apply use case listens and dispatches it, src/bot/workflows/plan-core.ts);
 * rejects, expiry and reminders are handled here. Every decision and refusal is audited.
 */
import { decideVote, dueAction, tally, type Decision, type Tally, type Vote, type VoteDecision } from '../../core/approval-policy';
import { discoveryScope, type DiscoveryScope } from '../../core/discovery-scope';
import { nextPlanStatus, type PlanKind } from '../../core/plan-status';
import { plan as computePlan, type Plan } from '../../core/planner';
import type { ProvisioningRequest } from '../../core/request';
import { canonicalJson } from '../../contracts/canonical';
import type { ObservedState } from '../../contracts/observed';
import { newId } from '../../shared/ids';
import type { Card } from '../turn';
import { refuse, type Outcome, type PlanActor, type PlanContext, type PlanDeps } from './plan-context';
import type { CardRef, PlanRecord } from './ports';

const HOUR = 3_600_000;
const sameScope = (a: DiscoveryScope, b: DiscoveryScope) => canonicalJson(a) === canonicalJson(b);
const sentence = (s: string) => s.replace(/\s+/g, ' ').trim();

export interface VoteInput {
  decision: VoteDecision;
  /** The plan hash the clicked card showed. */
  cardHash: string;
  reason: string | null;
  /** The card message the click came from, when Teams says (its conversation and activity id). */
  clickedCard?: CardRef | null;
}

/**
 * What a click gets back: the card for the clicker (the invoke response) and how it was decided.
 * The card message everyone sees is updated through the card scheduler (throttled, retried, and
 * rendered when its turn comes, so the latest state always lands last), never by the click itself.
 */
export interface VoteAnswer {
  card: Card;
  scope: 'clicker';
  decision: Decision;
}

export interface NewPlanInput {
  kind: PlanKind;
  requestId: string;
  request: ProvisioningRequest;
  plan: Plan;
  discovery: DiscoveryScope;
  actor: PlanActor;
  rollbackOf: string | null;
  follows: string | null;
}

/** Requesting a plan, voting on it, and its expiry: the approval side of the plan core. */
export interface ApprovalWorkflow {
  /** "Request approval" on the review card: plan from the stored request and its latest discovery. */
  requestApproval(actor: PlanActor, requestId: string): Promise<Outcome<{ plan: PlanRecord; replanned: boolean; unchanged: boolean }>>;
  /** Puts a computed plan up for approval and posts its card (retry, rollback and drift restores too). */
  putUp(input: NewPlanInput): Promise<Outcome<{ plan: PlanRecord; replanned: boolean; unchanged: boolean }>>;
  /** The plan of a request from an observed state, or why there is none to approve. */
  planFor(request: ProvisioningRequest, observed: ObservedState): Outcome<{ plan: Plan }>;
  /** One Approve/Reject click. */
  vote(actor: PlanActor, planId: string, input: VoteInput): Promise<VoteAnswer>;
  /** Expiry and reminders now. */
  sweep(): Promise<{ expired: number; reminded: number }>;
  /** Closes a pending plan that expired; null when it moved first. */
  expire(plan: PlanRecord, by: string): Promise<PlanRecord | null>;
  /** At start: moves a pending plan its stored votes already decide; true when it moved. */
  recount(planId: string): Promise<boolean>;
  /** Tells `listener` of every plan that reaches its quorum (after the move is stored). */
  onApproved(listener: (planId: string) => Promise<void>): void;
}

/** What approval works with: the plan context's helpers it calls and the ports it reads. */
export type ApprovalContext = Pick<PlanContext,
  'log' | 'serialize' | 'audit' | 'auditRefusal' | 'approverCheck' | 'approverIds' | 'policyConfig' | 'requesterMayCount'
  | 'cardModel' | 'postCard' | 'updateCard' | 'later' | 'tellRequester'>
  & { deps: Pick<PlanDeps, 'plans' | 'votes' | 'requests' | 'jobs' | 'userIds' | 'cards' | 'views' | 'clock' | 'config'> };

export function createApprovalWorkflow(ctx: ApprovalContext): ApprovalWorkflow {
  const approvedListeners: ((planId: string) => Promise<void>)[] = [];
  /** The hand-off to whoever applies approved plans; each listener's failure is its own. */
  const approved = async (planId: string) => {
    for (const listener of approvedListeners) await listener(planId);
  };
  const { deps, log } = ctx;
  const { plans, votes, clock } = deps;
  const now = () => clock.now();
  const expiry = (from: Date) => new Date(from.getTime() + deps.config.approvalTtlHours * HOUR).toISOString();

  /**
   * Puts a computed plan up for approval and posts its card. A pending plan of the same request
   * and kind is re-planned in place instead (same card, new hash): the votes for the old hash no
   * longer count, and the approval window starts again.
   */
  async function putUp(input: NewPlanInput): Promise<Outcome<{ plan: PlanRecord; replanned: boolean; unchanged: boolean }>> {
    const at = now();
    const pending = input.kind === 'apply'
      ? (await plans.list({ requestId: input.requestId, statuses: ['pending-approval'] })).find((p) => p.kind === 'apply')
      : undefined;
    if (pending) {
      return ctx.serialize(pending.id, async () => {
        const current = await plans.get(pending.id);
        if (!current || current.status !== 'pending-approval') return putUp(input);
        if (current.plan.planHash === input.plan.planHash) return { ok: true, plan: current, replanned: false, unchanged: true };
        const updated = await plans.update(current.id, { status: 'pending-approval', revision: current.revision }, {
          revision: current.revision + 1, plan: input.plan, request: input.request, discovery: input.discovery,
          createdAt: at.toISOString(), expiresAt: expiry(at), remindedAt: null,
          requesterId: input.actor.id, requesterName: input.actor.name, requestedIn: input.actor.conversationId,
        });
        if (!updated) return putUp(input);
        await ctx.audit(input.actor.id, 'plan.replanned', updated.id, {
          revision: updated.revision, planHash: updated.plan.planHash, previousHash: current.plan.planHash,
          fingerprint: updated.plan.fingerprint, steps: updated.plan.steps.length, expiresAt: updated.expiresAt,
        });
        ctx.updateCard(updated.id, updated.card);
        return { ok: true, plan: updated, replanned: true, unchanged: false };
      });
    }
    const record: PlanRecord = {
      id: newId('plan'), kind: input.kind, requestId: input.requestId, revision: 1, targetLabel: input.request.target.label,
      request: input.request, plan: input.plan, discovery: input.discovery,
      requesterId: input.actor.id, requesterName: input.actor.name, requestedIn: input.actor.conversationId,
      status: 'pending-approval', createdAt: at.toISOString(), updatedAt: at.toISOString(), expiresAt: expiry(at), remindedAt: null,
      card: null, jobId: null, rollbackOf: input.rollbackOf, cardShows: null, follows: input.follows,
    };
    await plans.create(record);
    await ctx.audit(input.actor.id, input.kind === 'rollback' ? 'plan.rollback-requested' : 'plan.requested', record.id, {
      requestId: record.requestId, kind: record.kind, planHash: record.plan.planHash, fingerprint: record.plan.fingerprint,
      steps: record.plan.steps.map((s) => ({ id: s.id, op: s.op })), alreadyConfigured: record.plan.alreadyConfigured.map((a) => a.id),
      expiresAt: record.expiresAt, quorum: ctx.policyConfig.quorum, requesterMayCount: ctx.requesterMayCount,
      ...(record.rollbackOf ? { rollbackOf: record.rollbackOf } : {}), ...(record.follows ? { follows: record.follows } : {}),
    });
    // Answer at once: the card goes out through the card scheduler, which may back off for a long
    // time on a throttled channel, while Teams gives up on an invoke after about 15 s.
    ctx.later(record.id, 'posting the approval card', () => post(record));
    return { ok: true, plan: record, replanned: false, unchanged: false };
  }

  /** Posts a new plan's card (in the background) and remembers where it is. */
  async function post(record: PlanRecord): Promise<void> {
    let posted: Awaited<ReturnType<typeof ctx.postCard>>;
    try {
      posted = await ctx.postCard(record);
    } catch (err) {
      log.error({ err, planId: record.id }, 'posting the approval card failed');
      await ctx.audit('picbot', 'plan.card-failed', record.id, { reason: (err as Error)?.message ?? String(err) });
      await ctx.tellRequester(record, 'The approval card could not be posted', 'attention', [
        `picbot could not post the card of plan ${record.id} in the approvals conversation or here. Say "status ${record.id}" to see it, or ask again later.`,
      ]);
      return;
    }
    await plans.note(record.id, { card: posted.card });
    if (posted.fellBack) {
      await ctx.tellRequester(record, 'The approval card was posted here', 'warning', [
        `The approvals conversation (PICBOT_APPROVALS_CONVERSATION) could not be reached, so the card of plan ${record.id} was posted in this conversation instead.`,
      ]);
    }
    // The plan may have moved while its card waited for its turn (re-planned in place, expired).
    const now = await plans.get(record.id);
    if (now && (now.revision !== record.revision || now.status !== record.status)) ctx.updateCard(now.id, posted.card);
  }

  /** The plan of a request from an observed state, or why there is none to approve. */
  function planFor(request: ProvisioningRequest, observed: ObservedState): Outcome<{ plan: Plan }> {
    const p = computePlan(request, observed, request.target.profile);
    if (p.refusals.length > 0) {
      return refuse('plan-refused', 'The plan was refused: nothing would be changed.', { refusals: p.refusals });
    }
    if (p.steps.length === 0) {
      return refuse('nothing-to-change', 'The server is already configured as requested: there is nothing to approve.');
    }
    return { ok: true, plan: p };
  }

  /** "Request approval" on the review card: plan from the stored request and its latest discovery. */
  async function requestApproval(actor: PlanActor, requestId: string) {
    return ctx.auditRefusal(actor, 'plan.request-refused', requestId, await planRequested(actor, requestId));
  }

  async function planRequested(actor: PlanActor, requestId: string) {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may request approval of a plan.');
    const record = await deps.requests.get(requestId);
    if (!record) return refuse('not-found', `There is no provisioning request ${requestId}. Finish the intake first.`);
    const running = (await plans.list({ requestId, statuses: ['approved', 'applying'], limit: 1 }))[0];
    if (running) return refuse('busy', `Plan ${running.id} of this request is being applied; wait for its report, then discover again.`, { planId: running.id });
    const snapshot = await deps.jobs.latestObserved(requestId);
    if (!snapshot) return refuse('no-discovery', 'picbot has not read this server yet: choose "Discover current state" first, then request approval.');
    const scope = discoveryScope(record.request);
    if (!sameScope(scope, snapshot.discovery)) {
      return refuse('discovery-stale', 'The request changed since the last discovery (other users or client policies to read): discover the current state again, then request approval.');
    }
    const planned = planFor(record.request, snapshot.observed);
    if (!planned.ok) {
      await ctx.audit(actor.id, planned.code === 'plan-refused' ? 'plan.refused' : 'plan.nothing-to-change', requestId, {
        fingerprint: snapshot.fingerprint, refusals: planned.refusals?.map((r) => r.code) ?? [],
      });
      return planned;
    }
    return putUp({ kind: 'apply', requestId, request: record.request, plan: planned.plan, discovery: scope, actor, rollbackOf: null, follows: null });
  }

  /** Closes a pending plan that expired (CAS: a vote that got there first wins). */
  async function expire(plan: PlanRecord, by: string): Promise<PlanRecord | null> {
    const t = nextPlanStatus(plan.status, { type: 'expire' });
    if (!t.ok) return null;
    const planVotes = await votes.list(plan.id);
    const expired = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [{
      action: 'plan.expired', actor: by, subjectId: plan.id,
      detail: { expiresAt: plan.expiresAt, approvals: planVotes.filter((v) => v.planHash === plan.plan.planHash).length, quorum: ctx.policyConfig.quorum },
    }]);
    if (!expired) return null;
    ctx.updateCard(plan.id, expired.card);
    ctx.later(plan.id, 'telling the requester of the expiry', () => ctx.tellRequester(expired, 'Your plan expired', 'warning', [
      `Plan ${plan.id} for ${plan.targetLabel} did not get ${ctx.policyConfig.quorum === 1 ? 'an approval' : `${ctx.policyConfig.quorum} approvals`} before ${plan.expiresAt.slice(0, 16).replace('T', ' ')} UTC, so it will not run.`,
      'Request approval again from the review card (it plans again from the latest discovery).',
    ]));
    return expired;
  }

  /**
   * One Approve/Reject click. Serialised per plan, so a double-click is decided after the first
   * click was stored; the vote table's unique key catches a second bot instance.
   */
  async function vote(actor: PlanActor, planId: string, input: VoteInput): Promise<VoteAnswer> {
    return ctx.serialize(planId, async () => {
      let plan: PlanRecord | null = null;
      let planVotes: Vote[] | null = null;
      try {
        plan = await plans.get(planId);
        planVotes = plan ? await votes.list(planId) : [];
      } catch (err) {
        // Fail closed: what cannot be read approves nothing (the policy refuses with 'unverifiable').
        log.error({ err, planId }, 'reading the plan or its votes failed; refusing the vote');
        plan = null;
        planVotes = null;
      }
      if (plan === null && planVotes !== null) {
        return { card: notFoundCard(planId), scope: 'clicker', decision: { ok: false, code: 'unverifiable', reason: `There is no plan ${planId}.` } };
      }
      const clicked = plan && plan.card === null && input.clickedCard ? cardPostedFor(plan, input.clickedCard) : null;
      if (plan && clicked) {
        // The card was posted but the server stopped before it stored where: the click says
        // where it is, so later updates (the vote, the apply, the result) reach that card.
        await plans.note(plan.id, { card: clicked });
        plan = { ...plan, card: clicked };
      }
      const click = { voterId: actor.aadObjectId?.toLowerCase() ?? null, voterName: actor.name, decision: input.decision, cardHash: input.cardHash, reason: input.reason };
      const listed = ctx.approverCheck();
      // The clicker must be an approver in the tenant they click from; stored votes passed that when cast.
      const isApprover = listed && ((id: string) => listed(id) && (id !== click.voterId || actor.approver !== false));
      let decision = decideVote({ plan: plan && { ...plan, planHash: plan.plan.planHash }, votes: planVotes, click, isApprover, now: now(), config: ctx.policyConfig });

      if (decision.ok && decision.effect === 'recorded' && plan) {
        const stored = await votes.add(plan.id, decision.vote, [{
          action: 'plan.vote',
          actor: actor.id,
          subjectId: plan.id,
          detail: {
            decision: decision.vote.decision, planHash: decision.vote.planHash, revision: plan.revision,
            ...(decision.vote.reason ? { reason: decision.vote.reason } : {}),
            approvals: decision.tally.approvals.length, quorum: decision.tally.quorum, outcome: decision.tally.outcome,
          },
        }]);
        if (!stored) {
          // Another instance stored this person's vote first: decide again on what is stored.
          const again = await votes.list(plan.id);
          decision = decideVote({ plan: { ...plan, planHash: plan.plan.planHash }, votes: again, click, isApprover, now: now(), config: ctx.policyConfig });
        } else {
          plan = await settle(plan, decision.tally, actor.id);
          ctx.updateCard(plan.id, plan.card);
        }
      }

      if (!decision.ok) {
        await ctx.audit(actor.id, 'plan.vote-refused', planId, { code: decision.code, decision: input.decision, cardHash: input.cardHash.slice(0, 64) });
        if (decision.code === 'expired' && plan) plan = (await expire(plan, 'picbot')) ?? plan;
        if (decision.code === 'reason-required' && plan) {
          // Bad input on the card: the same card for the clicker, the message under the field.
          return { card: ctx.deps.views.planCard(await ctx.cardModel(plan, { voteError: decision.reason, reasonValue: input.reason ?? '' })), scope: 'clicker', decision };
        }
        if (decision.code === 'stale-plan' && plan) {
          // The clicker's card is old: show them the current one, saying why.
          return { card: ctx.deps.views.planCard(await ctx.cardModel(plan, { notice: decision.reason })), scope: 'clicker', decision };
        }
        return { card: ctx.deps.views.notice({ heading: planId, title: 'Vote not counted', color: 'attention', lines: [decision.reason], planId: plan ? planId : null }), scope: 'clicker', decision };
      }
      const card = ctx.deps.views.planCard(await ctx.cardModel(plan!, decision.effect === 'repeat' ? { notice: `Your vote to ${decision.vote.decision} was already recorded at ${decision.vote.at.slice(11, 16)} UTC.` } : {}));
      return { card, scope: 'clicker', decision };
    });
  }

  /**
   * The clicked card as the plan's card, when it is where the plan's card is posted (the approvals
   * conversation, or where it was asked; a card posted into a channel is clicked from its thread,
   * `<channel>;messageid=<card>`), else null.
   */
  function cardPostedFor(plan: PlanRecord, clicked: CardRef): CardRef | null {
    for (const place of [ctx.deps.config.approvalsConversation, plan.requestedIn]) {
      if (place === null) continue;
      if (clicked.conversationId === place) return clicked;
      if (clicked.conversationId === `${place};messageid=${clicked.activityId}`) return { conversationId: place, activityId: clicked.activityId };
    }
    return null;
  }

  function notFoundCard(planId: string): Card {
    return ctx.deps.views.notice({ heading: planId, title: 'No such plan', color: 'attention', lines: [`There is no plan ${planId}.`], planId: null });
  }

  /** After a recorded vote: quorum moves the plan to approved (and dispatches it); a reject ends it. */
  async function settle(plan: PlanRecord, counted: Tally, actorId: string): Promise<PlanRecord> {
    const decision = { tally: counted };
    const actor = { id: actorId };
    const outcome = decision.tally.outcome;
    if (outcome === 'pending') return plan;
    const event = outcome === 'approved' ? { type: 'quorum' as const } : { type: 'reject' as const };
    const t = nextPlanStatus(plan.status, event);
    if (!t.ok) return plan;
    const entry = t.status === 'approved'
      ? { action: 'plan.approved', actor: actor.id, subjectId: plan.id, detail: { planHash: plan.plan.planHash, approvers: decision.tally.approvals.map((v) => ({ id: v.voterId, name: v.voterName, at: v.at })), quorum: decision.tally.quorum } }
      : { action: 'plan.rejected', actor: actor.id, subjectId: plan.id, detail: { planHash: plan.plan.planHash, by: decision.tally.rejection!.voterId, reason: decision.tally.rejection!.reason } };
    const moved = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [entry]);
    if (!moved) return (await plans.get(plan.id)) ?? plan;
    if (t.status === 'approved') {
      ctx.later(plan.id, 'telling the requester of the approval', () => ctx.tellRequester(moved, 'Your plan was approved', 'good', [
        `Plan ${plan.id} for ${plan.targetLabel} was approved by ${decision.tally.approvals.map((v) => v.voterName).join(', ')}. It is being applied now; the plan's card shows the progress.`,
      ]));
      ctx.later(plan.id, 'dispatching the approved plan', () => approved(plan.id));
    } else {
      const by = decision.tally.rejection!;
      ctx.later(plan.id, 'telling the requester of the rejection', () => ctx.tellRequester(moved, 'Your plan was rejected', 'attention', [
        `${by.voterName} rejected plan ${plan.id} for ${plan.targetLabel}: ${sentence(by.reason ?? '')}`,
        'Nothing was changed. Fix what was asked, then request approval again from the review card.',
      ]));
    }
    return moved;
  }

  /**
   * The sweeper: expires pending plans past their time and reminds the approvers who have not
   * voted, once, halfway to expiry. Safe to run often and from several instances (CAS moves).
   */
  async function sweep(): Promise<{ expired: number; reminded: number }> {
    let expired = 0;
    let reminded = 0;
    for (const plan of await plans.list({ statuses: ['pending-approval'], limit: 500 })) {
      const due = dueAction(plan, now());
      if (due === 'expire') {
        if (await ctx.serialize(plan.id, () => expire(plan, 'picbot'))) expired += 1;
      } else if (due === 'remind') {
        if (await remind(plan)) reminded += 1;
      }
    }
    return { expired, reminded };
  }

  async function remind(plan: PlanRecord): Promise<boolean> {
    const marked = await plans.update(plan.id, { status: 'pending-approval', revision: plan.revision }, { remindedAt: now().toISOString() });
    if (!marked) return false;
    const planVotes = (await votes.list(plan.id)).filter((v) => v.planHash === plan.plan.planHash);
    const voted = new Set(planVotes.map((v) => v.voterId));
    const waiting = ctx.approverIds().filter((id) => !voted.has(id) && id !== plan.requesterId);
    const names: string[] = [];
    for (const id of waiting) names.push((await deps.userIds.get(id))?.name || id);
    const missing = Math.max(0, ctx.policyConfig.quorum - planVotes.filter((v) => v.decision === 'approve').length);
    const lines = [
      `Plan ${plan.id} for ${plan.targetLabel}, requested by ${plan.requesterName}, needs ${missing === 1 ? 'one more approval' : `${missing} more approvals`} before ${plan.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`,
      names.length > 0 ? `Not voted yet: ${names.join(', ')}.` : 'Any approver may vote on the plan\'s card.',
    ];
    const conversationId = plan.card?.conversationId ?? deps.config.approvalsConversation ?? plan.requestedIn;
    try {
      await deps.cards.send(conversationId, deps.views.notice({ heading: `${plan.targetLabel} · ${plan.id}`, title: 'Reminder: a plan waits for approval', color: 'warning', lines, planId: plan.id }));
    } catch (err) {
      log.warn({ err, planId: plan.id }, 'sending the approval reminder failed');
    }
    await ctx.audit('picbot', 'plan.reminded', plan.id, { waiting, missing, expiresAt: plan.expiresAt });
    return true;
  }

  /**
   * At start: a pending plan whose stored votes already decide it (the server stopped after
   * storing the deciding vote, before moving the plan) moves now, and an approved one is dispatched.
   */
  async function recount(planId: string): Promise<boolean> {
    return ctx.serialize(planId, async () => {
      const plan = await plans.get(planId);
      if (!plan || plan.status !== 'pending-approval') return false;
      const counted = tally({ ...plan, planHash: plan.plan.planHash }, await votes.list(planId), ctx.approverCheck(), ctx.policyConfig);
      if (counted.outcome === 'pending') return false;
      const moved = await settle(plan, counted, 'picbot');
      ctx.updateCard(moved.id, moved.card);
      return moved.status !== plan.status;
    });
  }

  return {
    requestApproval, putUp, planFor, vote, sweep, expire, recount,
    onApproved(listener) {
      approvedListeners.push(listener);
    },
  };
}
