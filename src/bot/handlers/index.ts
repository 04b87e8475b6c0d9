/**
 * The intake area: the `start`/`resume`/`status`/`whoami`/`help` commands, the welcome
 * card, and the handlers of every intake and request verb. Built by the composition root
 * (src/bot/compose.ts) on the intake workflow it made.
 */
import type { Roles } from '../../core/roles';
import type { HandlerSet } from '../app-deps';
import { INTAKE_COMMANDS, type CommandHelp } from '../views/common';
import type { IntakeWorkflow } from '../workflows/intake';
import { createIntakeCommands, type CommandDeps, type StatusOf } from './commands';
import type { ReviewNextSteps } from './draft-card';
import type { ShowDraft } from './live-intake-card';
import { createIntakeNavHandlers } from './intake-nav';
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

/** What the intake area's handlers work with. */
export interface IntakeAreaDeps {
  intake: IntakeWorkflow;
  roles: Roles;
  /** PICBOT_DEFAULT_TARGET_LABEL: the target card's label filled in. */
  defaultTargetLabel: string | null;
  /** Records which message shows an intake's card, retiring an older copy (live-intake-card.ts). */
  shown: ShowDraft;
}

/** The intake area's handlers, on the intake workflow. */
export function createIntakeHandlers(deps: IntakeAreaDeps, options: IntakeAreaOptions = {}): HandlerSet {
  const { intake } = deps;
  const handlerDeps = { intake, roles: deps.roles, nextSteps: options.nextSteps ?? (() => ({})), defaultTargetLabel: deps.defaultTargetLabel, shown: deps.shown };
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
