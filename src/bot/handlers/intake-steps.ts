/**
 * The six intake cards' submit handlers. Each parses the card (src/core), and answers with the
 * same card (values kept, a message under each bad field), a refusal, or the next card.
 */
import { parseAgreementCard, parseContactsCard, parseDomainsCard, parseEdgeCard, parseOptionsCard, parseTargetCard, type StepOutcome } from '../../core/intake-cards';
import { STEP_PART, type IntakeData, type IntakeStep } from '../../core/intake';
import type { Roles } from '../../core/roles';
import type { ActionHandler, ActionResult, ActionTurn } from '../turn';
import { VERBS } from '../verbs';
import { legacyProductCard } from '../views/common';
import { stepCard } from '../views/intake';
import type { IntakeWorkflow } from '../workflows/intake';
import type { IntakeDraft } from '../workflows/ports';
import { callerOf } from './caller';
import { choiceCard, draftCard, type ReviewNextSteps } from './draft-card';
import { malformed, refused } from './outcomes';

export interface IntakeHandlerDeps {
  intake: IntakeWorkflow;
  roles: Roles;
  nextSteps: ReviewNextSteps;
}

const LEGACY_ON_DRAFT = 'picbot cannot configure OCS 2007 R2 or older (no Management Shell; LCS 2005 SP1 and OCS 2007 have no PIC support). ' +
  'Choose the product this deployment runs now, or discard this intake.';

type Part<S extends IntakeStep> = NonNullable<IntakeData[(typeof STEP_PART)[S]]>;

export function createIntakeStepHandlers(deps: IntakeHandlerDeps): Record<string, ActionHandler> {
  const { intake } = deps;

  /** Offers the open draft that already covers this target. */
  async function offerOpen(turn: ActionTurn, openId: string, label: string): Promise<ActionResult> {
    const caller = callerOf(turn.actor, deps.roles);
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
      const shape = parse(turn.data, null);
      if (shape.kind === 'refused') return malformed(shape.reason);
      const caller = callerOf(turn.actor, deps.roles);
      const own = await intake.ownDraft(caller, shape.draftId as string);
      if (!own.ok) return refused(own);
      const outcome = parse(turn.data, own.draft);
      if (outcome.kind === 'refused') return malformed(outcome.reason);
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
      const fresh = await intake.ownDraft(callerOf(turn.actor, deps.roles), draftId);
      if (fresh.ok) return { card: await draftCard(fresh.draft, deps.nextSteps, r.reason) };
    }
    return refused(r);
  }

  const target: ActionHandler = async (turn) => {
    const outcome = parseTargetCard(turn.data);
    if (outcome.kind === 'refused') return malformed(outcome.reason);
    const caller = callerOf(turn.actor, deps.roles);
    if (outcome.draftId === null) {
      // The first card: no draft yet.
      const may = intake.canStart(caller);
      if (!may.ok) return refused(may);
      if (outcome.kind === 'legacy') return { card: legacyProductCard() };
      if (outcome.kind === 'invalid') return { card: stepCard({ step: 'target', draftId: null, data: {}, values: outcome.values, errors: outcome.errors }) };
      const started = await intake.start(caller, outcome.part);
      if (!started.ok) return started.openId ? offerOpen(turn, started.openId, outcome.part.label) : refused(started);
      return { card: await draftCard(started.draft, deps.nextSteps) };
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

  return {
    [VERBS.intakeTargetSubmit]: target,
    [VERBS.intakeAgreementSubmit]: step('agreement', (raw) => parseAgreementCard(raw)),
    [VERBS.intakeEdgeSubmit]: step('edge', (raw, d) => parseEdgeCard(raw, { sipDomains: d?.data.sipDomains })),
    [VERBS.intakeDomainsSubmit]: step('domains', (raw, d) => parseDomainsCard(raw, { accessEdgeFqdns: d?.data.accessEdgeFqdns })),
    [VERBS.intakeContactsSubmit]: step('contacts', (raw, d) => parseContactsCard(raw, { sipDomains: d?.data.sipDomains ?? [] })),
    [VERBS.intakeOptionsSubmit]: step('options', (raw) => parseOptionsCard(raw)),
  };
}
