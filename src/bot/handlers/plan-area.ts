/**
 * The plan area (issue 4): approval in chat, apply/progress/report through the runner, rollback
 * and retry. Built once per server on AppDeps: its stores, the card scheduler, the workflows, the
 * job listener, the sweeper (expiry and reminders) and the start-up resync.
 */
import type { AppDeps, HandlerSet } from '../app-deps';
import type { CommandHandler, MessageTurn } from '../turn';
import type { CommandHelp } from '../views/common';
import { planViews } from '../views/plan';
import { createPlanStore, createVoteStore } from '../stores/plans';
import { createDraftStore } from '../stores/drafts';
import { createRequestStore } from '../stores/requests';
import { createCardScheduler, systemTimerClock, type CardScheduler, type TimerClock } from '../workflows/card-scheduler';
import { createApplyWorkflow } from '../workflows/plan-apply';
import { createApprovalWorkflow, type ApprovalWorkflow } from '../workflows/plan-approval';
import { createPlanContext, type PreflightRuns } from '../workflows/plan-context';
import type { IntakeDraft, JobQueue } from '../workflows/ports';
import { createPlanActions, createPlanCommands } from './plan-actions';

export const PLAN_COMMANDS: readonly CommandHelp[] = [
  { name: 'plans', text: 'open and recent plans with their status' },
  { name: 'status plan_…|job_…', text: 'one plan (its approval, progress or report card)' },
  { name: 'audit <id>', text: 'the audit trail of a request, plan, job or runner' },
];

export interface PlanAreaOptions {
  /** How often the sweeper looks for expired plans and due reminders (default 60 s). */
  sweepEveryMs?: number;
  /** Timers of the card scheduler (tests move them by hand). */
  timers?: TimerClock;
  /** The preflight area's latest run per request, shown on the approval card when there is one. */
  preflightRuns?: PreflightRuns;
}

export interface PlanArea {
  handlers: HandlerSet;
  /** `status <plan_…|job_…>` for the intake area's status command. */
  status(turn: MessageTurn, id: string): Promise<void>;
  /** The review card's "Request approval" (shown once the intake is complete and the server was read; the server checks the rest). */
  nextSteps(draft: IntakeDraft): Promise<Record<string, boolean>>;
  commandHelp: readonly CommandHelp[];
  /** Expiry and reminders now (the timer calls it; tests too). */
  sweep(): ReturnType<ApprovalWorkflow['sweep']>;
  /** Resolves when every card send/update asked so far is done. */
  idle(): Promise<void>;
  /** Puts a computed plan up for approval (drift watch's restore plans go through it). */
  putUp: ApprovalWorkflow['putUp'];
  /** The plan cards' scheduler: other proactive cards into the same conversations share its limits. */
  cards: CardScheduler;
  /** The preflight area's latest run per request (null when not wired). */
  preflightRuns: PreflightRuns | null;
}

export function createPlanArea(deps: AppDeps, options: PlanAreaOptions = {}): PlanArea {
  const now = () => deps.clock.now().toISOString();
  // Plan moves and votes are stored with their audit rows in one transaction.
  const auditTx = deps.auditInTransaction;
  const plans = createPlanStore(deps.db, now, auditTx);
  const cards = createCardScheduler({ notifier: deps.notifier, clock: options.timers ?? systemTimerClock, logger: deps.logger.child({ component: 'card-scheduler' }) });
  const ctx = createPlanContext({
    plans,
    votes: createVoteStore(deps.db, auditTx),
    requests: createRequestStore(deps.db),
    drafts: createDraftStore(deps.db),
    jobs: deps.jobs,
    preflightRuns: options.preflightRuns ?? null,
    audit: deps.audit,
    userIds: deps.userIds,
    roster: deps.roster,
    cards,
    views: planViews,
    roles: deps.roles,
    clock: deps.clock,
    logger: deps.logger,
    config: {
      approvalTtlHours: deps.config.approvalTtlHours,
      approvalQuorum: deps.config.approvalQuorum,
      approvalsConversation: deps.config.approvalsConversation,
      discoveryTimeoutSeconds: deps.config.discoveryTimeoutSeconds,
      approvers: deps.config.approvers,
    },
  });
  // The two workflows call each other (quorum dispatches; a retry puts a plan up): tie the knot.
  let approval: ApprovalWorkflow | null = null;
  const apply = createApplyWorkflow(ctx, () => approval!);
  approval = createApprovalWorkflow(ctx, apply.dispatch);
  const approvalWorkflow = approval;

  deps.jobs.onChange((change) => apply.onJobChange(change));

  const log = ctx.log;
  const every = options.sweepEveryMs ?? 60_000;
  const timer = setInterval(() => {
    // The server closed its database: this area is gone (a restart builds a new one).
    if (!deps.db.open) {
      clearInterval(timer);
      return;
    }
    approvalWorkflow.sweep().catch((err: unknown) => log.error({ err }, 'the plan sweeper failed'));
  }, every);
  timer.unref();
  // Bring plans and cards up to date after a restart, once the server is listening.
  setImmediate(() => {
    if (!deps.db.open) return;
    apply.resync().then(
      (r) => log.info(r, 'plans resynced at start'),
      (err: unknown) => log.error({ err }, 'resyncing plans at start failed'),
    );
  });

  const handlerDeps = { ctx, approval: approvalWorkflow, apply, plans, audit: deps.audit, roles: deps.roles };
  const { commands, status } = createPlanCommands(handlerDeps);
  const handlers: HandlerSet = {
    commands: commands as Record<string, CommandHandler>,
    actions: createPlanActions(handlerDeps),
  };
  return {
    handlers,
    status,
    nextSteps: planNextSteps(deps.jobs),
    commandHelp: PLAN_COMMANDS,
    sweep: () => approvalWorkflow.sweep(),
    putUp: (input) => approvalWorkflow.putUp(input),
    cards,
    preflightRuns: options.preflightRuns ?? null,
    async idle() {
      // Background work (an approval card being posted) may ask for more card operations.
      do {
        await ctx.quiet();
        await cards.idle();
      } while (ctx.busy());
    },
  };
}

/**
 * The review card's "Request approval": on once the intake is complete and a discovery of the
 * request succeeded (the plan is made from it); the server checks again on the click.
 */
export function planNextSteps(jobs: Pick<JobQueue, 'latestObserved'>) {
  return async (draft: IntakeDraft): Promise<Record<string, boolean>> =>
    ({ approval: draft.position === 'review' && (await jobs.latestObserved(draft.id)) !== null });
}

const built = new WeakMap<AppDeps, PlanArea>();

/**
 * The one plan area of a server (built on first use): the composition in areas.ts asks for it
 * twice (its own handlers, and the intake's status command and review card), tests to sweep.
 */
export function planAreaFor(deps: AppDeps, options: PlanAreaOptions = {}): PlanArea {
  let area = built.get(deps);
  if (!area) {
    area = createPlanArea(deps, options);
    built.set(deps, area);
  }
  return area;
}
