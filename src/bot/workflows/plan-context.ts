/**
 * What the plan workflows (approval, apply, rollback/retry) share: their ports, who is acting,
 * the card model they hand to the views, and small helpers (audit, per-plan serialisation,
 * posting and updating the plan's card, telling the requester).
 */
import { tally, type PolicyConfig, type Tally, type Vote } from '../../core/approval-policy';
import type { PlanRefusal } from '../../core/planner';
import type { Roles } from '../../core/roles';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { PreflightRun } from '../preflight/port';
import type { Card } from '../turn';
import type { CardScheduler } from './card-scheduler';
import type { AuditLog, CardRef, ConversationRoster, DraftStore, JobQueue, JobView, PlanRecord, PlanStore, RequestStore, UserIdStore, VoteStore } from './ports';

/** Who is acting, as the plan workflows see it (the handler derives it from the Turn and Roles). */
export interface PlanActor {
  /** Entra object id (lower case), or `teams:<Teams user id>` when Teams gave none. */
  id: string;
  /** Only an Entra object id can be an approver. */
  aadObjectId: string | null;
  name: string;
  admin: boolean;
  /**
   * Whether this person is an approver in the tenant they act from (roles are keyed by tenant).
   * A vote needs it and the object id listed; absent only for actors built outside a chat turn.
   */
  approver?: boolean;
  /** Admins and approvers may read plans, scripts and audit trails. */
  reader: boolean;
  /** The conversation the action came from. */
  conversationId: string;
}

export type PlanRefusalCode =
  | 'not-admin' | 'not-reader' | 'not-found' | 'no-discovery' | 'discovery-stale' | 'plan-refused' | 'nothing-to-change'
  | 'not-allowed' | 'not-running' | 'not-final' | 'no-rollback' | 'busy' | 'malformed';

export interface WorkflowRefusal {
  ok: false;
  code: PlanRefusalCode;
  reason: string;
  /** plan-refused: the planner's reasons. */
  refusals?: PlanRefusal[];
  planId?: string;
}

export type Outcome<T> = ({ ok: true } & T) | WorkflowRefusal;

export const refuse = (code: PlanRefusalCode, reason: string, extra: Partial<WorkflowRefusal> = {}): WorkflowRefusal =>
  ({ ok: false, code, reason, ...extra });

/** Everything a view needs to draw a plan's card (approval, progress and report in one). */
export interface PlanCardModel {
  plan: PlanRecord;
  votes: Vote[];
  tally: Tally;
  job: JobView | null;
  preflight: PreflightRun | null;
  /** Plans made from this one (rollback, retry), newest first. */
  followUps: PlanRecord[];
  /** A re-discovery for a retry or rollback is running. */
  rediscovering: boolean;
  requesterMayCount: boolean;
  refreshUserIds: string[];
  now: Date;
  /**
   * The audit chain's tip as it stood at this plan's latest approval or job end (that record's
   * sequence number and hash): posted on the card, so Teams history keeps copies of the chain
   * that `picbot audit verify --checkpoint SEQ:HASH` checks the database against.
   */
  checkpoint: { seq: number; hash: string; action: string } | null;
  /** One viewer's extras (a refusal under the reason field, the typed reason, a note). */
  notice?: string;
  voteError?: string;
  reasonValue?: string;
}

/** The cards the plan workflows send and update on their own (the views implement it). */
export interface PlanViews {
  planCard(model: PlanCardModel): Card;
  notice(input: { heading: string; title: string; color: 'good' | 'attention' | 'warning' | 'accent' | 'default'; lines: string[]; planId: string | null }): Card;
}

export interface PlanConfig {
  approvalTtlHours: number;
  approvalQuorum: number;
  approvalsConversation: string | null;
  /** Seconds a runner has to pick up a re-discovery before it is given up. */
  discoveryTimeoutSeconds: number;
  /** PICBOT_APPROVERS (Entra object ids); empty when every local user is an approver. */
  approvers: string[];
}

/** The latest preflight run of a request (the preflight area's store), if any. */
export interface PreflightRuns {
  latest(requestId: string): Promise<PreflightRun | null>;
}

export interface PlanDeps {
  plans: PlanStore;
  votes: VoteStore;
  requests: RequestStore;
  /** The intake drafts: an applied plan closes its request's open intake (none: left open). */
  drafts?: Pick<DraftStore, 'get' | 'update'> | null;
  jobs: JobQueue;
  preflightRuns: PreflightRuns | null;
  audit: AuditLog;
  userIds: UserIdStore;
  /** Read before an approval card is posted, so `refresh.userIds` names approvers who never wrote to the bot. */
  roster: ConversationRoster | null;
  cards: CardScheduler;
  views: PlanViews;
  roles: Roles;
  clock: Clock;
  logger: Logger;
  config: PlanConfig;
}

export const JOB_PURPOSE = {
  /** The apply or rollback job of an approved plan. */
  apply: 'plan-apply',
  /** Retry: re-discover, then plan again. */
  replan: 'plan-replan',
  /** Roll back: read the server first; the rollback plan is checked against that read. */
  rollbackRead: 'plan-rollback-read',
} as const;

/** The audit records whose hash the plan's card posts as a checkpoint: the approval and the job's end. */
const CHECKPOINT_ACTIONS: ReadonlySet<string> = new Set(['plan.approved', 'plan.finished']);

export function createPlanContext(deps: PlanDeps) {
  const { plans, votes, roles, clock, logger, cards, views } = deps;
  const log = logger.child({ component: 'plans' });
  const locks = new Map<string, Promise<unknown>>();

  /** Local mode with PICBOT_APPROVERS unset: every user approves and the requester may count. */
  const requesterMayCount = roles.localMode && !roles.approversConfigured;
  const policyConfig: PolicyConfig = { quorum: deps.config.approvalQuorum, requesterMayCount };

  /** Whether an id is an approver now (the roles are read from the configuration, in memory). */
  function approverCheck(): (voterId: string) => boolean {
    return (voterId: string) => roles.isApproverId(voterId);
  }

  /** Runs `work` after any earlier work on the same plan (two clicks at once are decided one after the other). */
  function serialize<T>(planId: string, work: () => Promise<T>): Promise<T> {
    const before = locks.get(planId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(() => undefined, () => undefined);
    locks.set(planId, settled);
    void settled.then(() => {
      if (locks.get(planId) === settled) locks.delete(planId);
    });
    return run;
  }

  const audit = (actor: string, action: string, subjectId: string, detail: Record<string, unknown>) =>
    deps.audit.append({ action, actor, subjectId, detail });

  /**
   * Audits a refused request (who asked for what, and why not) and passes the outcome on. The
   * planner's own refusals are audited where they are made, with their codes.
   */
  async function auditRefusal<T extends { ok: boolean }>(actor: PlanActor, action: string, subjectId: string, outcome: T): Promise<T> {
    const r = outcome as unknown as WorkflowRefusal;
    if (!r.ok && r.code !== 'plan-refused' && r.code !== 'nothing-to-change') {
      await audit(actor.id, action, subjectId, { code: r.code, reason: r.reason });
    }
    return outcome;
  }

  /** The approvers' Teams user ids for `refresh.userIds` (≤ 60, only those seen in an activity). */
  async function refreshUserIds(): Promise<string[]> {
    if (!roles.approversConfigured) return [];
    const ids = await deps.userIds.teamsUserIds(approverIds());
    return ids.slice(0, 60);
  }

  /** The configured approvers' Entra object ids (empty when every local user is an approver). */
  const approverIds = (): string[] => (roles.approversConfigured ? deps.config.approvers : []);

  async function cardModel(plan: PlanRecord, extra: Pick<PlanCardModel, 'notice' | 'voteError' | 'reasonValue'> = {}): Promise<PlanCardModel> {
    const planVotes = await votes.list(plan.id);
    const job = plan.jobId ? await deps.jobs.cardView(plan.jobId) : null;
    const preflight = deps.preflightRuns && plan.kind === 'apply' ? await deps.preflightRuns.latest(plan.requestId) : null;
    const related = await plans.list({ requestId: plan.requestId, limit: 20 });
    const followUps = related.filter((p) => p.follows === plan.id);
    const reading = await deps.jobs.list({ planId: plan.id, limit: 5 });
    const rediscovering = reading.some((j) => j.context.purpose !== JOB_PURPOSE.apply && (j.status === 'queued' || j.status === 'leased'));
    return {
      plan,
      votes: planVotes,
      tally: tally({ ...plan, planHash: plan.plan.planHash }, planVotes, approverCheck(), policyConfig),
      job,
      preflight,
      followUps,
      rediscovering,
      requesterMayCount,
      refreshUserIds: await refreshUserIds(),
      now: clock.now(),
      checkpoint: await checkpointOf(plan.id),
      ...extra,
    };
  }

  /** The plan's latest approval or end record, as a chain checkpoint; null before either (or when the log cannot be read). */
  async function checkpointOf(planId: string): Promise<PlanCardModel['checkpoint']> {
    try {
      const trail = await deps.audit.list({ subjectId: planId });
      const last = trail.filter((r) => CHECKPOINT_ACTIONS.has(r.action)).at(-1);
      return last ? { seq: last.seq, hash: last.hash, action: last.action } : null;
    } catch (err) {
      log.warn({ err, planId }, 'reading the plan\'s audit trail for its checkpoint failed; the card shows none');
      return null;
    }
  }

  /** The card as it stands now (re-read), or null when the plan is gone. */
  async function currentCard(planId: string, extra: Pick<PlanCardModel, 'notice' | 'voteError' | 'reasonValue'> = {}): Promise<Card | null> {
    const plan = await plans.get(planId);
    return plan ? views.planCard(await cardModel(plan, extra)) : null;
  }

  /** A marker of what the card shows, so a restart can tell which cards fell behind. */
  const shows = (plan: PlanRecord, job: JobView | null) => `${plan.status}:${plan.revision}:${job ? `${job.job.status}:${job.job.eventCount}:${job.job.cancelRequested ? 1 : 0}:${job.job.lateAt ? 'late' : ''}:${job.result ? 'result' : ''}` : '-'}`;

  /**
   * Brings the plan's card up to date (coalesced and throttled by the card scheduler), and the
   * card of the plan it follows, which lists where its rollback or retry stands.
   */
  function updateCard(planId: string, card: CardRef | null, withSource = true): void {
    if (!card) return;
    let marker: string | null = null;
    let source: { id: string; card: CardRef | null } | null = null;
    cards.update(card, async () => {
      const plan = await plans.get(planId);
      if (!plan) return null;
      const model = await cardModel(plan);
      marker = shows(plan, model.job);
      if (withSource && plan.follows) {
        const followed = await plans.get(plan.follows);
        source = followed ? { id: followed.id, card: followed.card } : null;
      }
      return views.planCard(model);
    }, async () => {
      if (marker) await plans.note(planId, { cardShows: marker });
      if (source) updateCard(source.id, source.card, false);
    });
  }

  /** Updates the plan's card message to the plan as it is now (nothing when it has no card yet). */
  async function refreshCard(planId: string): Promise<void> {
    const plan = await plans.get(planId);
    if (plan) updateCard(plan.id, plan.card);
  }

  /** Posts the plan's card: in the approvals conversation if configured, else where it was asked. */
  async function postCard(plan: PlanRecord): Promise<{ card: CardRef; fellBack: boolean }> {
    const target = deps.config.approvalsConversation ?? plan.requestedIn;
    // The roster first: the card's refresh.userIds can then name every approver in the conversation.
    if (deps.roster && roles.approversConfigured) await deps.roster.learn(target);
    const card = views.planCard(await cardModel(plan));
    try {
      const activityId = await cards.send(target, card);
      return { card: { conversationId: target, activityId }, fellBack: false };
    } catch (err) {
      if (target === plan.requestedIn) throw err;
      // The approvals conversation could not be reached (the bot was never there, or removed):
      // the plan still needs its card, so it goes where it was asked, saying why.
      log.error({ err, planId: plan.id, conversationId: target }, 'posting the approval card in PICBOT_APPROVALS_CONVERSATION failed; posting it where it was asked');
      const activityId = await cards.send(plan.requestedIn, card);
      return { card: { conversationId: plan.requestedIn, activityId }, fellBack: true };
    }
  }

  /** Tells the requester (in the conversation they asked in); failures are logged, never thrown. */
  async function tellRequester(plan: PlanRecord, title: string, color: 'good' | 'attention' | 'warning' | 'accent', lines: string[]): Promise<void> {
    try {
      await cards.send(plan.requestedIn, views.notice({ heading: `${plan.targetLabel} · ${plan.id}`, title, color, lines, planId: plan.id }));
    } catch (err) {
      log.warn({ err, planId: plan.id }, 'telling the requester failed');
    }
  }

  const running = new Set<Promise<void>>();

  /** Runs background work after the answer went out; its failure is logged with the plan id. */
  function later(planId: string, doing: string, work: () => Promise<void>): void {
    const p = Promise.resolve().then(work).catch((err: unknown) => log.error({ err, planId }, `${doing} failed`));
    running.add(p);
    void p.then(() => running.delete(p));
  }

  /** Whether background work started by `later` is still running. */
  const busy = () => running.size > 0;

  /** Resolves when no background work started by `later` is running (tests, shutdown). */
  async function quiet(): Promise<void> {
    while (running.size > 0) await Promise.all([...running]);
  }

  return {
    deps,
    log,
    policyConfig,
    requesterMayCount,
    approverCheck,
    serialize,
    audit,
    auditRefusal,
    cardModel,
    currentCard,
    updateCard,
    refreshCard,
    postCard,
    tellRequester,
    later,
    quiet,
    busy,
    shows,
    approverIds,
  };
}

export type PlanContext = ReturnType<typeof createPlanContext>;
