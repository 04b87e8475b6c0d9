/**
 * The areas whose handlers the router serves, in one list: each later area adds one line.
 * Each factory gets AppDeps and returns a HandlerSet (commands, verb actions, help, welcome).
 * The intake area also serves other areas' parts of its cards and commands: the review card's
 * next steps, help lines, and `status <id>` for plan_/job_ ids.
 */
import type { AppDeps, CreateHandlers } from './app-deps';
import { createIntakeHandlers } from './handlers';
import type { ReviewNextSteps } from './handlers/draft-card';
import { PLAN_COMMANDS, planAreaFor, planNextSteps } from './handlers/plan-area';
import { createRunnerArea } from './handlers/runner-area';
import { RUNNER_COMMANDS } from './views/runners';

/** The review card's "Next steps" that are on; each flag guards one button in cards/review.json. */
const nextSteps: ReviewNextSteps = (draft) => ({ discover: draft.position === 'review', ...planNextSteps(draft) });

/** The plan area of this server (one per AppDeps). */
const plans = (deps: AppDeps) => planAreaFor(deps);

export const AREAS: CreateHandlers[] = [
  (deps) => createIntakeHandlers(deps, {
    nextSteps,
    commandHelp: [...RUNNER_COMMANDS, ...PLAN_COMMANDS],
    statusOf: { plan: plans(deps).status, job: plans(deps).status },
  }),
  (deps) => createRunnerArea(deps),
  (deps) => plans(deps).handlers,
];
