/**
 * The intake area (issue 2): the `start`/`resume`/`status`/`whoami`/`help` commands, the welcome
 * card, and the handlers of every intake and request verb. main.ts serves it through AREAS.
 */
import type { AppDeps, HandlerSet } from '../app-deps';
import { createDraftStore } from '../stores/drafts';
import { createIntakeCardStore } from '../stores/intake-cards';
import { createRequestStore } from '../stores/requests';
import { localModeNote, setCardEnv } from '../views/render';
import { INTAKE_COMMANDS, type CommandHelp } from '../views/common';
import { createCardScheduler, systemTimerClock } from '../workflows/card-scheduler';
import { createIntakeWorkflow } from '../workflows/intake';
import { createIntakeCommands, type CommandDeps, type StatusOf } from './commands';
import type { ReviewNextSteps } from './draft-card';
import { createIntakeNavHandlers } from './intake-nav';
import { createLiveIntakeCard } from './live-intake-card';
import { createIntakeStepHandlers } from './intake-steps';
import { createRequestActionHandlers } from './request-actions';

export interface IntakeAreaOptions {
  /** Which "Next steps" the review card shows (default none); later areas turn theirs on. */
  nextSteps?: ReviewNextSteps;
  /** Extra lines for the help card (later areas' commands). */
  commandHelp?: readonly CommandHelp[];
  /** `status <id>` for ids of other areas (plan_…, job_…), by id kind. */
  statusOf?: StatusOf;
  /** `status LABEL` for a runner label (drift watch). */
  statusOfLabel?: CommandDeps['statusOfLabel'];
}

/** Builds the intake area on AppDeps, with its SQLite stores on the shared database. */
export function createIntakeHandlers(deps: AppDeps, options: IntakeAreaOptions = {}): HandlerSet {
  // Every card of this server carries the local-mode note when it applies (DESIGN §7).
  setCardEnv({ localNote: localModeNote(deps.roles) });
  const intake = createIntakeWorkflow({
    drafts: createDraftStore(deps.db),
    requests: createRequestStore(deps.db),
    audit: deps.audit,
    clock: deps.clock,
  });
  const log = deps.logger.child({ component: 'intake-area' });
  const shown = createLiveIntakeCard({
    store: createIntakeCardStore(deps.db),
    cards: createCardScheduler({ notifier: deps.notifier, clock: systemTimerClock, logger: log }),
    clock: deps.clock,
    logger: log,
  });
  const handlerDeps = { intake, roles: deps.roles, nextSteps: options.nextSteps ?? (() => ({})), defaultTargetLabel: deps.config.defaultTargetLabel, shown };
  const { commands, help, added } = createIntakeCommands({ ...handlerDeps, commandHelp: [...INTAKE_COMMANDS, ...(options.commandHelp ?? [])], statusOf: options.statusOf, statusOfLabel: options.statusOfLabel });
  return {
    commands,
    actions: {
      ...createIntakeStepHandlers(handlerDeps),
      ...createIntakeNavHandlers(handlerDeps),
      ...createRequestActionHandlers(handlerDeps),
    },
    help,
    added,
  };
}

/** The signature main.ts expects (CreateHandlers). */
export function createHandlers(deps: AppDeps): HandlerSet {
  return createIntakeHandlers(deps);
}
