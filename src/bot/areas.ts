/**
 * The areas whose handlers the router serves, in one list: each later area adds one line.
 * Each factory gets AppDeps and returns a HandlerSet (commands, verb actions, help, welcome).
 * The intake area also serves other areas' parts of its cards and commands: the review card's
 * next steps, help lines, and `status <id>` for plan_/job_ ids.
 */
import type { AppDeps, CreateHandlers } from './app-deps';
import { createIntakeHandlers } from './handlers';
import type { ReviewNextSteps } from './handlers/draft-card';
import { driftAreaFor } from './handlers/drift-area';
import { PLAN_COMMANDS, planAreaFor, planNextSteps } from './handlers/plan-area';
import { createPreflightHandlers } from './handlers/preflight';
import type { Preflight } from './preflight/port';
import { createRunnerArea } from './handlers/runner-area';
import { createPreflightRunStore } from './stores/preflight-runs';
import { DRIFT_COMMANDS } from './views/drift';
import { RUNNER_COMMANDS } from './views/runners';

/** The review card's "Next steps" that are on; each flag guards one button in cards/review.json. */
const nextStepsFor = (deps: AppDeps): ReviewNextSteps => {
  const approval = planNextSteps(deps.jobs);
  return async (draft) => ({ discover: draft.position === 'review', preflight: draft.position === 'review', ...(await approval(draft)) });
};

/** The plan area of this server (one per AppDeps), showing the latest preflight on approval cards. */
const plans = (deps: AppDeps) => planAreaFor(deps, { preflightRuns: createPreflightRunStore(deps.db) });

/** Drift watch: baselines from applied plans, checks, the drift card (it puts restore plans up through the plan area). */
const drift = (deps: AppDeps) => driftAreaFor(deps, plans(deps));

/** The preflight area: DNS and TLS checks from the configuration (PICBOT_DNS_SERVERS, …). */
const preflightArea: CreateHandlers = (deps) => createPreflightHandlers(deps, { nextSteps: nextStepsFor(deps) });

export const AREAS: CreateHandlers[] = [
  (deps) => createIntakeHandlers(deps, {
    nextSteps: nextStepsFor(deps),
    commandHelp: [...RUNNER_COMMANDS, ...PLAN_COMMANDS, ...DRIFT_COMMANDS],
    statusOf: { plan: plans(deps).status, job: plans(deps).status },
    statusOfLabel: (turn, label) => drift(deps).statusOfLabel(turn, label),
  }),
  (deps) => createRunnerArea(deps),
  preflightArea,
  (deps) => plans(deps).handlers,
  (deps) => drift(deps).handlers,
];

/** AREAS with other preflight checks (tests route DNS and TLS to a loopback lab). */
export function areasWithPreflight(preflight: Preflight): CreateHandlers[] {
  return AREAS.map((area) => (area === preflightArea ? (deps: AppDeps) => createPreflightHandlers(deps, { nextSteps: nextStepsFor(deps), preflight }) : area));
}
