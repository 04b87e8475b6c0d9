/**
 * The plan area's buttons and commands: request approval, approve/reject, script, refresh, open,
 * cancel, roll back, retry; `plans`, `audit <id>`, and `status <plan_/job_ id>`. Each handler
 * parses the card data, calls one workflow and returns a view or a refusal (for the clicker only).
 */
import { z } from 'zod';
import type { Roles } from '../../core/roles';
import { ReasonText } from '../../core/approval-policy';
import { idKind, idPattern } from '../../shared/ids';
import type { ActionHandler, ActionResult, ActionTurn, Card, CommandHandler, MessageTurn } from '../turn';
import type { ActionTable } from '../app-deps';
import { VERBS } from '../verbs';
import { auditTrailCard, planListCard, planNoticeCard, planScriptCard } from '../views/plan';
import type { ApprovalWorkflow } from '../workflows/plan-approval';
import type { CancelPlan } from '../workflows/plan-cancel';
import type { RetryPlan } from '../workflows/plan-retry';
import type { RollBackPlan } from '../workflows/plan-rollback';
import type { PlanReading } from '../workflows/plan-reading';
import type { PlanContext, WorkflowRefusal } from '../workflows/plan-context';
import { readCardData } from './card-data';
import { callerOf } from './caller';

const PLAN_ID = idPattern('plan');
const REQUEST_ID = idPattern('request');
const PlanRef = z.object({ planId: z.string().regex(PLAN_ID, 'not a plan id') }).loose();
const RequestRef = z.object({ requestId: z.string().regex(REQUEST_ID, 'not a request id') }).loose();
const VoteData = z.object({
  planId: z.string().regex(PLAN_ID, 'not a plan id'),
  planHash: z.string().regex(/^[0-9a-f]{64}$/, 'not a plan hash'),
  reason: ReasonText.optional(),
}).loose();

/** What the plan area's handlers work with: one use case per button, and the plan's card. */
export interface PlanHandlerDeps {
  approval: Pick<ApprovalWorkflow, 'requestApproval' | 'vote'>;
  cancel: CancelPlan;
  retry: RetryPlan;
  rollback: RollBackPlan;
  /** The plan's card now, and its message brought up to date after an answer. */
  cards: Pick<PlanContext, 'currentCard' | 'refreshCard' | 'later'>;
  /** PICBOT_APPROVALS_CONVERSATION, to say where an approval card goes. */
  approvalsConversation: string | null;
  reading: PlanReading;
  roles: Roles;
}

const notice = (title: string, lines: string[], planId: string | null = null, color: 'good' | 'attention' | 'warning' | 'accent' = 'attention', heading = ''): Card =>
  planNoticeCard({ heading, title, color, lines, planId });

const REFUSAL_TITLE: Record<WorkflowRefusal['code'], string> = {
  'not-admin': 'Admins only',
  'not-reader': 'Admins and approvers only',
  'not-found': 'Not found',
  'no-discovery': 'Discover the server first',
  'discovery-stale': 'Discover the server again',
  'plan-refused': 'The plan was refused',
  'nothing-to-change': 'Nothing to change',
  'not-allowed': 'Not allowed',
  'not-running': 'Nothing running',
  'not-final': 'Not possible yet',
  'no-rollback': 'No rollback',
  busy: 'Already under way',
  malformed: 'That card can\'t be used',
};

/**
 * A workflow refusal as a card for the clicker (and, through the router, at the bottom of the
 * chat), with a way on: the plan's card, or the request's review when the refusal is about it.
 */
export function refusedCard(r: WorkflowRefusal, requestId: string | null = null): ActionResult {
  const lines = r.refusals && r.refusals.length > 0 ? r.refusals.map((x) => x.reason) : [r.reason];
  const color = r.code === 'nothing-to-change' ? 'good' : 'attention';
  return { card: planNoticeCard({ heading: '', title: REFUSAL_TITLE[r.code], color, lines, planId: r.planId ?? null, reviewId: requestId }), scope: 'clicker', refusal: true };
}

const malformed = (reason: string): ActionResult =>
  ({ card: notice('That card can\'t be used', [`${reason}. Say "plans" for the current plans.`]), scope: 'clicker', refusal: true });

export function createPlanActions(deps: PlanHandlerDeps): ActionTable {
  const { cards, approval, reading, roles } = deps;

  /** The plan card for a reader (the clicker only), with an optional note. */
  async function readerCard(turn: ActionTurn, planId: string, note?: string): Promise<ActionResult> {
    const r = await reading.card(callerOf(turn, roles), planId, note);
    return r.ok ? { card: r.card, scope: 'clicker' } : refusedCard(r);
  }

  const requestApproval: ActionHandler = async (turn) => {
    const ref = readCardData(RequestRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await approval.requestApproval(callerOf(turn, roles), ref.value.requestId);
    if (!r.ok) return refusedCard(r, ref.value.requestId);
    const approvals = deps.approvalsConversation;
    const where = approvals && approvals !== turn.conversation.id ? 'being posted in the approvals conversation' : 'being posted in this conversation';
    const steps = `${r.plan.plan.steps.length} step${r.plan.plan.steps.length === 1 ? '' : 's'}`;
    const lines = r.unchanged ? [`Plan ${r.plan.id} already waits for approval with exactly these steps (${steps}).`]
      : r.replanned ? [`Plan ${r.plan.id} was planned again from the latest discovery (revision ${r.plan.revision}, ${steps}). Votes for the earlier revision no longer count; its card shows the new plan.`]
        : [`Plan ${r.plan.id} (${steps}) waits for approval; its card is ${where}. You will be told here when it is decided.`];
    return { card: notice('Approval requested', lines, r.plan.id, 'good', `${r.plan.targetLabel} · ${r.plan.requestId}`), scope: 'clicker' };
  };

  function vote(decision: 'approve' | 'reject'): ActionHandler {
    return async (turn) => {
      const data = readCardData(VoteData, turn.data);
      if (!data.ok) return malformed(data.reason);
      const answer = await approval.vote(callerOf(turn, roles), data.value.planId, {
        decision, cardHash: data.value.planHash, reason: data.value.reason ?? null,
        clickedCard: turn.messageId ? { conversationId: turn.conversation.id, activityId: turn.messageId } : null,
      });
      // The answer replaces the clicked card for the clicker; one more update of the message,
      // rendered after it, keeps that card following the plan (a double click's second answer
      // could otherwise arrive after the job's last update and leave the card behind).
      // A refused vote that did not answer with the plan card itself also goes to the bottom of the chat.
      const refusal = !answer.decision.ok && answer.decision.code !== 'reason-required' && answer.decision.code !== 'stale-plan';
      return { card: answer.card, scope: answer.scope, refusal, after: () => cards.later(data.value.planId, 'updating the card after a vote', () => cards.refreshCard(data.value.planId)) };
    };
  }

  const script: ActionHandler = async (turn) => {
    const ref = readCardData(PlanRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await reading.script(callerOf(turn, roles), ref.value.planId);
    return r.ok ? { card: planScriptCard(r.plan), scope: 'clicker' } : refusedCard(r);
  };

  /** Teams' automatic refresh for the listed approvers, and "Open": the current card, for this viewer. */
  const show: ActionHandler = async (turn) => {
    const ref = readCardData(PlanRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    return readerCard(turn, ref.value.planId);
  };

  const cancel: ActionHandler = async (turn) => {
    const ref = readCardData(PlanRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await deps.cancel.cancel(callerOf(turn, roles), ref.value.planId);
    if (!r.ok) return refusedCard(r);
    // The clicker's answer; the card everyone sees is updated by the card scheduler (cancelAsked asked for it).
    const card = await cards.currentCard(r.plan.id, { notice: `Cancel requested by ${turn.actor.name}: the runner stops after the current step.` });
    return { card: card!, scope: 'clicker' };
  };

  const rollback: ActionHandler = async (turn) => {
    const ref = readCardData(PlanRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await deps.rollback.rollback(callerOf(turn, roles), ref.value.planId);
    if (!r.ok) return refusedCard(r);
    const lines = [`picbot reads ${r.plan.targetLabel} again first (job ${r.job.id}), so the rollback is planned against the server as it is now; the rollback plan follows for approval when that is done.`];
    return { card: notice('Rollback requested', lines, r.plan.id, 'good'), scope: 'clicker' };
  };

  const retry: ActionHandler = async (turn) => {
    const ref = readCardData(PlanRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await deps.retry.retry(callerOf(turn, roles), ref.value.planId);
    if (!r.ok) return refusedCard(r);
    const next = r.plan.kind === 'rollback' ? `a new rollback of plan ${r.plan.follows ?? '?'} follows for approval when that is done` : 'a new plan follows for approval when that is done';
    return { card: notice('Re-planning', [`Reading ${r.plan.targetLabel} again (job ${r.job.id}); ${next}.`], r.plan.id, 'good'), scope: 'clicker' };
  };

  return {
    [VERBS.planRequest]: requestApproval,
    [VERBS.planApprove]: vote('approve'),
    [VERBS.planReject]: vote('reject'),
    [VERBS.planScript]: script,
    [VERBS.planRefresh]: show,
    [VERBS.planStatus]: show,
    [VERBS.jobCancel]: cancel,
    [VERBS.jobRollback]: rollback,
    [VERBS.jobRetry]: retry,
  };
}

export function createPlanCommands(deps: PlanHandlerDeps) {
  const { reading, roles } = deps;

  const plansCommand: CommandHandler = async (turn) => {
    const r = await reading.list(callerOf(turn, roles));
    await turn.say({ card: r.ok ? planListCard(r.plans, r.open) : refusedCard(r).card });
  };

  const audit: CommandHandler = async (turn, args) => {
    const id = args[0] ?? '';
    const actor = callerOf(turn, roles);
    if (actor.reader && idKind(id) === null) {
      await turn.say({ card: notice('Which id?', [`Say "audit <id>" with a request, plan, job or runner id (req_…, plan_…, job_…, run_…)${id ? `; "${id.slice(0, 40)}" is not one` : ''}.`]) });
      return;
    }
    const r = await reading.auditTrail(actor, id);
    await turn.say({ card: r.ok ? auditTrailCard(id, r.records) : refusedCard(r).card });
  };

  /** `status <plan_…|job_…>`: the plan's card (a job shows the plan it belongs to). */
  async function status(turn: MessageTurn, id: string): Promise<void> {
    const r = await reading.status(callerOf(turn, roles), id);
    if (!r.ok) {
      await turn.say({ card: r.code === 'not-found' ? notice('Not found', [r.reason], null, 'attention') : refusedCard(r).card });
      return;
    }
    if (r.card) {
      await turn.say({ card: r.card });
      return;
    }
    const { job } = r.job;
    const lines = [`Job ${id} is a ${job.kind} job for ${job.target}: ${job.status}${job.runnerName ? ` (runner ${job.runnerName})` : ''}, created ${job.createdAt.slice(0, 16).replace('T', ' ')} UTC.`];
    await turn.say({ card: notice(`Job ${id}`, lines, null, 'accent') });
  }

  return { commands: { plans: plansCommand, audit }, status };
}
