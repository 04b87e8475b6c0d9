/** The card an intake draft stands at: one of the six steps, or the review. */
import { completeRequest, nextStep } from '../../core/intake';
import type { Card } from '../turn';
import { resumeOrDiscardCard } from '../views/common';
import { reviewCard, stepCard } from '../views/intake';
import type { IntakeWorkflow } from '../workflows/intake';
import type { IntakeDraft } from '../workflows/ports';

/**
 * Which "Next steps" the review card offers for a draft (later areas: preflight, discovery,
 * approval). It may read a store (approval is offered once the server was read), so it may be async.
 */
export type ReviewNextSteps = (draft: IntakeDraft) => Record<string, boolean> | Promise<Record<string, boolean>>;

export async function draftCard(draft: IntakeDraft, nextSteps: ReviewNextSteps, notice = ''): Promise<Card> {
  if (draft.position === 'review') {
    const request = completeRequest(draft.data);
    if (request) return reviewCard({ draftId: draft.id, request, notice, next: await nextSteps(draft) });
  }
  // A draft at the review that does not add up (never expected) goes back to its first gap.
  const gap = nextStep(draft.data);
  const step = draft.position !== 'review' ? draft.position : gap === 'review' ? 'domains' : gap;
  return stepCard({ step, draftId: draft.id, data: draft.data, notice });
}

/** The first card of a new intake; `defaultLabel` (PICBOT_DEFAULT_TARGET, set by `npm start`) fills the runner label. */
export function newTargetCard(defaultLabel: string | null | undefined): Card {
  return stepCard({ step: 'target', draftId: null, data: {}, values: defaultLabel ? { label: defaultLabel } : undefined });
}

/** The resume-or-discard card for some of the caller's open drafts. */
export async function choiceCard(intake: IntakeWorkflow, drafts: IntakeDraft[], text: { title: string; text: string; offerNew: boolean }): Promise<Card> {
  const recorded = await intake.withRecords(drafts.map((d) => d.id));
  return resumeOrDiscardCard({ ...text, choices: drafts.map((draft) => ({ draft, hasRecord: recorded.has(draft.id) })) });
}
