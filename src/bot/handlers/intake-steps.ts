/**
 * The six intake cards' submit handlers. Each parses the card (src/core), and answers with the
 * same card (values kept, a message under each bad field), a refusal, or the next card.
 */
import { parseDraftRef } from '../../core/card-refs';
import { parseAgreementCard, parseContactsCard, parseDomainsCard, parseEdgeCard, parseOptionsCard, parseTargetCard, stepValues, type StepOutcome } from '../../core/intake-cards';
import { INTAKE_STEPS, IntakeStep, nextStep, STEP_PART, type IntakeData } from '../../core/intake';
import type { Roles } from '../../core/roles';
import type { ActionHandler, ActionResult, ActionTurn } from '../turn';
import type { ActionTable } from '../app-deps';
import { VERBS } from '../verbs';
import { legacyProductCard } from '../views/common';
import { stepCard } from '../views/intake';
import type { IntakeWorkflow } from '../workflows/intake';
import type { IntakeDraft } from '../workflows/ports';
import { formReader, readCardData, type CardReader } from './card-data';
import { callerOf } from './caller';
import { choiceCard, draftCard, type ReviewNextSteps } from './draft-card';
import { clickedCard, type ShowDraft } from './live-intake-card';
import { malformed, refused } from './outcomes';

export interface IntakeHandlerDeps {
  intake: IntakeWorkflow;
  roles: Roles;
  nextSteps: ReviewNextSteps;
  /** Records the message an intake's card is shown in (none: an older copy is left as it is). */
  shown?: ShowDraft;
}

/** After the answer: records that the draft's card is in the clicked message. */
export function showIn(deps: IntakeHandlerDeps, draft: IntakeDraft, turn: ActionTurn): (() => void) | undefined {
  const card = clickedCard(turn);
  const shown = deps.shown;
  return shown && card ? () => void shown(draft, card) : undefined;
}

const LEGACY_ON_DRAFT = 'picbot cannot configure OCS 2007 R2 or older (no Management Shell; LCS 2005 SP1 and OCS 2007 have no PIC support). ' +
  'Choose the product this deployment runs now, or discard this intake.';

type Part<S extends IntakeStep> = NonNullable<IntakeData[(typeof STEP_PART)[S]]>;

type BackStep = Exclude<IntakeStep, 'target'>;

/** "Back" on steps 2–6: the step the card is (its hidden `step`), and the card's other fields. */
const readBack: CardReader<{ name: BackStep; fields: Record<string, unknown> }> = (data) => {
  const raw = (data ?? {}) as Record<string, unknown>;
  const which = IntakeStep.exclude(['target']).safeParse(raw.step);
  if (!which.success) return { ok: false, reason: 'the card did not name a step that has a Back button' };
  const { step: _step, ...fields } = raw;
  return { ok: true, value: { name: which.data, fields } };
};

/** "Cancel" on a card opened with Edit: the client sends the card's inputs with any button, so only the draft id is read. */
const readCancel: CardReader<{ draftId: string }> = (data) => {
  const raw = (data ?? {}) as Record<string, unknown>;
  return parseDraftRef(typeof raw === 'object' && !Array.isArray(raw) ? { draftId: raw.draftId } : raw);
};

export function createIntakeStepHandlers(deps: IntakeHandlerDeps): ActionTable {
  const { intake } = deps;

  /** Offers the open draft that already covers this target. */
  async function offerOpen(turn: ActionTurn, openId: string, label: string): Promise<ActionResult> {
    const caller = callerOf(turn, deps.roles);
    const open = (await intake.openDrafts(caller)).filter((d) => d.id === openId);
    return {
      card: await choiceCard(intake, open, {
        title: `You already have an intake for ${label}`,
        text: 'One open intake per deployment: resume it where you left off, or discard it and start again.',
        offerNew: true,
      }),
    };
  }

  /** The common path of steps 2–6: load the caller's draft, parse with its context, save. */
  function step<S extends Exclude<IntakeStep, 'target'>>(
    name: S,
    parse: (raw: unknown, draft: IntakeDraft | null) => StepOutcome<Part<S>>,
  ): ActionHandler {
    return async (turn) => {
      // Structure first (a refusal needs no draft), then the field rules with the draft's context.
      const read = readCardData(formReader((raw) => parse(raw, null)), turn.data);
      if (!read.ok) return malformed(read.reason);
      const shape = read.value;
      const caller = callerOf(turn, deps.roles);
      const own = await intake.ownDraft(caller, shape.draftId as string);
      if (!own.ok) return refused(own, shape.draftId as string);
      const checked = readCardData(formReader((raw) => parse(raw, own.draft)), turn.data);
      if (!checked.ok) return malformed(checked.reason);
      const outcome = checked.value;
      if (outcome.kind === 'invalid') {
        return { card: stepCard({ step: name, draftId: own.draft.id, data: own.draft.data, values: outcome.values, errors: outcome.errors, notice: outcome.notice }) };
      }
      const saved = await intake.saveStep(caller, own.draft, name, outcome.part);
      if (!saved.ok) return afterRefusal(turn, saved, own.draft.id);
      return { card: await draftCard(saved.draft, deps.nextSteps) };
    };
  }

  /** A save that raced another message shows the draft as it stands; others are refusals. */
  async function afterRefusal(turn: ActionTurn, r: Exclude<Awaited<ReturnType<IntakeWorkflow['saveStep']>>, { ok: true }>, draftId: string): Promise<ActionResult> {
    if (r.code === 'target-taken' && r.openId) return offerOpen(turn, r.openId, 'this deployment');
    if (r.code === 'stale') {
      const fresh = await intake.ownDraft(callerOf(turn, deps.roles), draftId);
      if (fresh.ok) return { card: await draftCard(fresh.draft, deps.nextSteps, r.reason) };
    }
    return refused(r, draftId);
  }

  const target: ActionHandler = async (turn) => {
    const read = readCardData(formReader(parseTargetCard), turn.data);
    if (!read.ok) return malformed(read.reason);
    const outcome = read.value;
    const caller = callerOf(turn, deps.roles);
    if (outcome.draftId === null) {
      // The first card: no draft yet.
      const may = intake.canStart(caller);
      if (!may.ok) return refused(may);
      // A refusal: also posted at the bottom of the chat, with "Start an intake" as the way on.
      if (outcome.kind === 'legacy') return { card: legacyProductCard(), refusal: true };
      if (outcome.kind === 'invalid') return { card: stepCard({ step: 'target', draftId: null, data: {}, values: outcome.values, errors: outcome.errors }) };
      const started = await intake.start(caller, outcome.part);
      if (!started.ok) return started.openId ? offerOpen(turn, started.openId, outcome.part.label) : refused(started);
      return { card: await draftCard(started.draft, deps.nextSteps), after: showIn(deps, started.draft, turn) };
    }
    const own = await intake.ownDraft(caller, outcome.draftId);
    if (!own.ok) return refused(own);
    if (outcome.kind === 'legacy') {
      return { card: stepCard({ step: 'target', draftId: own.draft.id, data: own.draft.data, values: outcome.values, errors: { profile: [LEGACY_ON_DRAFT] } }) };
    }
    if (outcome.kind === 'invalid') {
      return { card: stepCard({ step: 'target', draftId: own.draft.id, data: own.draft.data, values: outcome.values, errors: outcome.errors }) };
    }
    const saved = await intake.saveStep(caller, own.draft, 'target', outcome.part);
    if (!saved.ok) {
      if (saved.code === 'target-taken' && saved.openId) return offerOpen(turn, saved.openId, outcome.part.label);
      return afterRefusal(turn, saved, own.draft.id);
    }
    return { card: await draftCard(saved.draft, deps.nextSteps) };
  };

  const parsers: { [S in Exclude<IntakeStep, 'target'>]: (raw: unknown, draft: IntakeDraft | null) => StepOutcome<Part<S>> } = {
    agreement: (raw) => parseAgreementCard(raw),
    edge: (raw, d) => parseEdgeCard(raw, { sipDomains: d?.data.sipDomains }),
    domains: (raw, d) => parseDomainsCard(raw, { accessEdgeFqdns: d?.data.accessEdgeFqdns }),
    contacts: (raw, d) => parseContactsCard(raw, { sipDomains: d?.data.sipDomains ?? [] }),
    options: (raw) => parseOptionsCard(raw),
  };

  /**
   * "Back" on steps 2–6: what was typed is kept by saving it (when it is valid) before the
   * previous card comes back, so Next there shows it again. A card left as it came (nothing
   * typed, or the saved values) goes back at once; typed values that are not valid come back
   * with their messages, since dropping them silently would lose them.
   */
  const back: ActionHandler = async (turn) => {
    const back = readCardData(readBack, turn.data);
    if (!back.ok) return malformed(back.reason);
    const { name, fields } = back.value;
    const parse = parsers[name] as (raw: unknown, draft: IntakeDraft | null) => StepOutcome<unknown>;
    const read = readCardData(formReader((raw) => parse(raw, null)), fields);
    if (!read.ok) return malformed(read.reason);
    const shape = read.value;
    const caller = callerOf(turn, deps.roles);
    const own = await intake.ownDraft(caller, shape.draftId as string);
    if (!own.ok) return refused(own);
    let draft = own.draft;
    // As the card came: the saved values, or a fresh card's defaults (toggles send "false").
    const saved = stepValues(name, draft.data);
    const fresh = stepValues(name, { ...draft.data, [STEP_PART[name]]: undefined });
    const typed = Object.entries(fields).filter(([k]) => k !== 'draftId');
    const untouched = typed.every(([k, v]) => String(v).trim() === '' || String(v) === (saved[k] ?? '') || String(v) === (fresh[k] ?? ''));
    if (!untouched) {
      const checked = readCardData(formReader((raw) => parse(raw, draft)), fields);
      if (!checked.ok) return malformed(checked.reason);
      const outcome = checked.value;
      if (outcome.kind === 'invalid') {
        return { card: stepCard({ step: name, draftId: draft.id, data: draft.data, values: outcome.values, errors: outcome.errors, notice: 'Back keeps what you typed, so it must be valid first: correct it, or clear the field.' }) };
      }
      const stored = await intake.saveStep(caller, draft, name, outcome.part as never);
      if (!stored.ok) return afterRefusal(turn, stored, draft.id);
      draft = stored.draft;
    }
    const previous = INTAKE_STEPS[INTAKE_STEPS.indexOf(name) - 1]!;
    const moved = await intake.moveTo(caller, draft.id, previous);
    if (!moved.ok) return refused(moved, draft.id);
    return { card: await draftCard(moved.draft, deps.nextSteps) };
  };

  /** "Cancel" on a card opened with Edit from the review: back to the review, nothing saved. */
  const review: ActionHandler = async (turn) => {
    const ref = readCardData(readCancel, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const caller = callerOf(turn, deps.roles);
    const own = await intake.ownDraft(caller, ref.value.draftId);
    if (!own.ok) return refused(own);
    const moved = await intake.moveTo(caller, own.draft.id, nextStep(own.draft.data));
    if (!moved.ok) return refused(moved, own.draft.id);
    return { card: await draftCard(moved.draft, deps.nextSteps) };
  };

  return {
    [VERBS.intakeTargetSubmit]: target,
    [VERBS.intakeAgreementSubmit]: step('agreement', parsers.agreement),
    [VERBS.intakeEdgeSubmit]: step('edge', parsers.edge),
    [VERBS.intakeDomainsSubmit]: step('domains', parsers.domains),
    [VERBS.intakeContactsSubmit]: step('contacts', parsers.contacts),
    [VERBS.intakeOptionsSubmit]: step('options', parsers.options),
    [VERBS.intakeBack]: back,
    [VERBS.intakeReview]: review,
  };
}
