import { fingerprint as observedFingerprint, type ObservedState } from '../contracts/observed';
import type { Profile } from '../contracts/profiles';
import type { PlanStep, StepStatus } from '../contracts/runner-api';
import { checkSatisfied, objectOf, satisfied } from '../contracts/satisfied';
import { planHash, type AlreadyConfigured, type Plan } from './planner';

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
  /**
   * The state before the apply. With it, `current` is compared key by key: a step whose change
   * shows on the server is undone even if no event reported it, and a key someone else changed
   * since is left alone and named.
   */
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
/**
 * Which steps' changes show on the server and which keys someone else has changed since, from the
 * state before the apply and a fresh read. For each object (the access edge, a policy, a user, a
 * provider) the last step on it decides: its value holds now and did not before → it was applied
 * (and so were the earlier steps on that object that were needed); its undo already holds → the
 * key is back at its captured value; neither → someone else changed it.
 */
function compareWithCapture(steps: readonly PlanStep[], captured: ObservedState, current: ObservedState): { applied: Set<string>; changedElsewhere: Map<string, string>; needed: Set<string> } {
  const applied = new Set<string>();
  const changedElsewhere = new Map<string, string>();
  const neededIds = new Set<string>();
  const byObject = new Map<string, PlanStep[]>();
  for (const step of steps) {
    if (isSetStep(step)) continue; // judged key by key (keysOf)
    const key = objectOf(step);
    byObject.set(key, [...(byObject.get(key) ?? []), step]);
  }
  const holds = (op: string, params: Record<string, unknown>, state: ObservedState) => {
    try {
      return satisfied(op, params, state);
    } catch {
      return false;
    }
  };
  for (const group of byObject.values()) {
    const last = group[group.length - 1]!;
    const needed = group.filter((s) => !holds(s.op, s.params, captured));
    if (needed.length === 0) continue; // the plan changed nothing here (every step was already so)
    for (const s of needed) neededIds.add(s.id);
    if (holds(last.op, last.params, current)) {
      for (const s of needed) applied.add(s.id);
      continue;
    }
    const undone = last.rollback.every((u) => holds(u.op, u.params, current));
    if (undone) continue;
    const why = checkSatisfied(last.op, last.params, current).differences.join('; ');
    changedElsewhere.set(objectOf(last), why);
  }
  return { applied, changedElsewhere, needed: neededIds };
}

/** A step that sets some keys of one object, undone by setting them back (its one rollback entry is the same op). */
const isSetStep = (step: PlanStep): boolean => step.op.endsWith('.set') && step.rollback.length === 1 && step.rollback[0]!.op === step.op;

/**
 * A set step's keys, one by one, against the capture and a fresh read: those the plan changed
 * and that still hold its value are undone; those someone else changed since are left alone.
 */
function keysOf(step: PlanStep, captured: ObservedState, current: ObservedState): { undo: string[]; elsewhere: string[]; all: string[] } {
  const undoParams = step.rollback[0]!.params;
  const base = step.params.identity === undefined ? {} : { identity: step.params.identity };
  const holds = (params: Record<string, unknown>, state: ObservedState) => {
    try {
      return satisfied(step.op, params, state);
    } catch {
      return false;
    }
  };
  const all = Object.keys(step.params).filter((k) => k !== 'identity');
  const undo: string[] = [];
  const elsewhere: string[] = [];
  for (const key of all) {
    const planned = { ...base, [key]: step.params[key] };
    if (holds(planned, current)) {
      if (!holds(planned, captured)) undo.push(key);
      continue;
    }
    if (key in undoParams && holds({ ...base, [key]: undoParams[key] }, current)) continue;
    elsewhere.push(key);
  }
  return { undo, elsewhere, all };
}

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
  const seen = input.captured ? compareWithCapture(input.steps, input.captured, input.current) : null;
  const steps: PlanStep[] = [];
  // Shown with the rollback's "already configured" entries, under ids of their own (a card folds
  // runs of `grant-…` ids as users who already have the policy, which these are not).
  const leftAlone: AlreadyConfigured[] = [];
  for (const original of [...input.steps].reverse()) {
    const status = input.statuses[original.id];
    const reported = status !== undefined && MAY_HAVE_CHANGED.has(status);
    if (input.captured && isSetStep(original)) {
      const keys = keysOf(original, input.captured, input.current);
      if (keys.elsewhere.length > 0) {
        leftAlone.push({ id: `left-alone-${original.id}`, title: original.title, reason: `left alone: ${keys.elsewhere.join(', ')} changed since the apply by someone else` });
      }
      if (keys.undo.length === 0) continue;
      const entry = original.rollback[0]!;
      // Only the keys to undo: a key set back by someone else, or changed since, is not touched.
      const params = keys.undo.length === keys.all.length ? entry.params : Object.fromEntries(Object.entries(entry.params).filter(([k]) => k === 'identity' || keys.undo.includes(k)));
      steps.push({ id: `undo-${original.id}`, title: `Undo: ${original.title}`.slice(0, 300), op: entry.op, params, rollback: [{ op: original.op, params: original.params }] });
      continue;
    }
    const elsewhere = seen?.changedElsewhere.get(objectOf(original));
    if (elsewhere !== undefined && (reported || seen!.needed.has(original.id))) {
      leftAlone.push({ id: `left-alone-${original.id}`, title: original.title, reason: `left alone: changed since the apply by someone else (${elsewhere})` });
      continue;
    }
    if (!reported && !seen?.applied.has(original.id)) continue;
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
  return { profile: input.profile, steps, alreadyConfigured: leftAlone.reverse(), refusals: [], warnings: [], fingerprint: fp, planHash: planHash(input.profile, fp, steps) };
}
