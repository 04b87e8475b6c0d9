/**
 * The plan area: approval in chat, apply/progress/report through the runner, rollback
 * and retry. Its handlers work on the plan workflows the composition root (src/bot/compose.ts)
 * builds, with the job listener, the sweeper (expiry and reminders) and the start-up resync.
 */
import type { HandlerSet } from '../app-deps';
import type { CommandHandler, MessageTurn } from '../turn';
import type { CommandHelp } from '../views/common';
import type { IntakeDraft, JobQueue } from '../workflows/ports';
import { createPlanActions, createPlanCommands, type PlanHandlerDeps } from './plan-actions';

export const PLAN_COMMANDS: readonly CommandHelp[] = [
  { name: 'plans', text: 'open and recent plans with their status' },
  { name: 'status plan_…|job_…', text: 'one plan (its approval, progress or report card)' },
  { name: 'audit <id>', text: 'the audit trail of a request, plan, job or runner' },
];


export interface PlanHandlers {
  handlers: HandlerSet;
  /** `status <plan_…|job_…>` for the intake area's status command. */
  status(turn: MessageTurn, id: string): Promise<void>;
}

/** The plan area's handlers on the plan workflows. */
export function createPlanHandlers(deps: PlanHandlerDeps): PlanHandlers {
  const { commands, status } = createPlanCommands(deps);
  return {
    handlers: { commands: commands as Record<string, CommandHandler>, actions: createPlanActions(deps) },
    status,
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
