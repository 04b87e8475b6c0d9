import { fingerprint as observedFingerprint, type ObservedState } from '../contracts/observed';
import type { Profile } from '../contracts/profiles';
import type { PlanStep, StepStatus } from '../contracts/runner-api';
import { planHash, type Plan } from './planner';

/** What a finished, failed, cancelled or interrupted apply job leaves behind for a rollback. */
export interface RollbackInput {
  profile: Profile;
  /** The executed plan's steps, in plan order, with the rollback entries captured when it was planned. */
  steps: readonly PlanStep[];
  /** Each step's last status from the job's events; a step with no status never started. */
  statuses: Readonly<Record<string, StepStatus | undefined>>;
  /** The state now (the job's verify read, or a fresh discovery): the rollback plan is checked against it at apply. */
  current: ObservedState;
  /** The executed plan's fingerprint and the state the apply job read before changing anything, if known: they must agree. */
  planFingerprint?: string;
  captured?: ObservedState;
}

/**
 * Statuses whose step may have changed the server: done, and also failed or running (the change
 * may have landed before the verify failed or the runner vanished). A rollback step whose desired
 * state already holds is skipped by the runner's own check, so including them is safe.
 */
const MAY_HAVE_CHANGED: ReadonlySet<StepStatus> = new Set(['done', 'failed', 'running']);

/**
 * The rollback plan: for each step that may have changed the server, in reverse order, its
 * rollback entries as normal steps (so it goes through approval and the runner's check → change →
 * verify like any plan). Each rollback step's own rollback is the original change. Nothing is
 * listed as "already configured": whether an undo is needed depends on the undos before it (undoing
 * a re-created Skype provider removes it first), so only the runner's check at each step decides.
 */
export function rollbackPlan(input: RollbackInput): Plan {
  const fp = observedFingerprint(input.current);
  if (input.captured && input.planFingerprint && observedFingerprint(input.captured) !== input.planFingerprint) {
    return {
      profile: input.profile,
      steps: [],
      alreadyConfigured: [],
      warnings: [],
      refusals: [{ code: 'observed_incomplete', reason: 'The state the apply job read is not the state the plan was made from, so its captured values cannot be trusted for a rollback. Re-discover and plan again.' }],
      fingerprint: fp,
      planHash: planHash(input.profile, fp, []),
    };
  }
  const steps: PlanStep[] = [];
  for (const original of [...input.steps].reverse()) {
    const status = input.statuses[original.id];
    if (!status || !MAY_HAVE_CHANGED.has(status)) continue;
    original.rollback.forEach((entry, k) => {
      steps.push({
        id: original.rollback.length === 1 ? `undo-${original.id}` : `undo-${original.id}-${k + 1}`,
        title: `Undo: ${original.title}`.slice(0, 300),
        op: entry.op,
        params: entry.params,
        rollback: [{ op: original.op, params: original.params }],
      });
    });
  }
  return { profile: input.profile, steps, alreadyConfigured: [], refusals: [], warnings: [], fingerprint: fp, planHash: planHash(input.profile, fp, steps) };
}
