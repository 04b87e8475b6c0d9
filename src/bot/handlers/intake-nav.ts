/** The intake's navigation buttons: start, edit a section, resume, discard, finish. */
import { parseDraftRef, parseEditRef, parseStartRef } from '../../core/card-refs';
import type { ActionHandler } from '../turn';
import type { ActionTable } from '../app-deps';
import { VERBS } from '../verbs';
import { endedCard } from '../views/common';
import { recordCard } from '../views/request';
import { readCardData } from './card-data';
import { callerOf } from './caller';
import { choiceCard, draftCard, newTargetCard } from './draft-card';
import { showIn, type IntakeHandlerDeps } from './intake-steps';
import { malformed, refused } from './outcomes';

export function createIntakeNavHandlers(deps: IntakeHandlerDeps & { defaultTargetLabel?: string | null }): ActionTable {
  const { intake } = deps;

  /** "Start an intake" (welcome, help, ended cards): like the `start` command, in place. */
  const start: ActionHandler = async (turn) => {
    const ref = readCardData(parseStartRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const caller = callerOf(turn, deps.roles);
    const may = intake.canStart(caller);
    if (!may.ok) return refused(may);
    const open = ref.value.another ? [] : await intake.openDrafts(caller);
    if (open.length > 0) {
      return { card: await choiceCard(intake, open, { ...unfinishedText(open.length), offerNew: true }) };
    }
    return { card: newTargetCard(deps.defaultTargetLabel) };
  };

  const edit: ActionHandler = async (turn) => {
    const ref = readCardData(parseEditRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const moved = await intake.moveTo(callerOf(turn, deps.roles), ref.value.draftId, ref.value.section);
    if (!moved.ok) return refused(moved, ref.value.draftId);
    return { card: await draftCard(moved.draft, deps.nextSteps) };
  };

  const resume: ActionHandler = async (turn) => {
    const ref = readCardData(parseDraftRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await intake.resume(callerOf(turn, deps.roles), ref.value.draftId);
    if (!r.ok) return refused(r, ref.value.draftId);
    return { card: await draftCard(r.draft, deps.nextSteps), after: showIn(deps, r.draft, turn) };
  };

  const discard: ActionHandler = async (turn) => {
    const ref = readCardData(parseDraftRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const caller = callerOf(turn, deps.roles);
    const r = await intake.discard(caller, ref.value.draftId);
    if (!r.ok) return refused(r, ref.value.draftId);
    const kept = (await intake.withRecords([r.draft.id])).has(r.draft.id);
    return {
      card: endedCard(`Intake for ${r.draft.targetLabel} discarded`, [
        kept ? `The request record ${r.draft.id} stays as it was last reviewed.` : 'Nothing of it was kept.',
      ], true),
    };
  };

  const finish: ActionHandler = async (turn) => {
    const ref = readCardData(parseDraftRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await intake.finish(callerOf(turn, deps.roles), ref.value.draftId);
    if (!r.ok) return refused(r, ref.value.draftId);
    return { card: recordCard({ record: r.record, today: intake.today(), notice: 'Saved. This is the provisioning request record.' }) };
  };

  return {
    [VERBS.intakeStart]: start,
    [VERBS.intakeEdit]: edit,
    [VERBS.intakeResume]: resume,
    [VERBS.intakeDiscard]: discard,
    [VERBS.intakeFinish]: finish,
  };
}

/** The title and text of the resume-or-discard card for n open drafts. */
export function unfinishedText(n: number): { title: string; text: string } {
  return n === 1
    ? { title: 'You have an unfinished intake', text: 'Resume it where you left off, or discard it.' }
    : { title: `You have ${n} unfinished intakes`, text: 'Resume one where you left off, or discard it.' };
}
