/**
 * The areas whose handlers the router serves, in one list: each later area adds one line.
 * Each factory gets AppDeps and returns a HandlerSet (commands, verb actions, help, welcome).
 */
import type { CreateHandlers } from './app-deps';
import { createIntakeHandlers } from './handlers';
import { createRunnerArea } from './handlers/runner-area';
import { RUNNER_COMMANDS } from './views/runners';

export const AREAS: CreateHandlers[] = [
  (deps) => createIntakeHandlers(deps, { nextSteps: (draft) => ({ discover: draft.position === 'review' }), commandHelp: RUNNER_COMMANDS }),
  (deps) => createRunnerArea(deps),
];
