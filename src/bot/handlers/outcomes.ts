/** Turning workflow refusals and malformed card data into the card the clicker sees. */
import type { ActionResult } from '../turn';
import { refusalCard } from '../views/common';
import type { IntakeRefusal } from '../workflows/intake';

const sentence = (text: string) => {
  const t = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** Card data our cards do not send: a clear refusal for the clicker only, never an exception. */
export function malformed(reason: string): ActionResult {
  return {
    card: refusalCard('That card can\'t be used', sentence(reason), 'Say "resume" for a fresh card of your intake, or "help".', { start: true }),
    scope: 'clicker',
    refusal: true,
  };
}

const TITLES: Record<IntakeRefusal['code'], string> = {
  'not-admin': 'Admins only',
  'not-reader': 'Admins and approvers only',
  'not-owner': 'Not your intake',
  'not-found': 'Not found',
  discarded: 'Intake discarded',
  closed: 'Intake finished',
  'target-taken': 'You already have an intake for this target',
  stale: 'Changed meanwhile',
  'not-at-review': 'Not complete yet',
  'not-submitted': 'Not submitted yet',
  'already-active': 'Already active',
};

const HINTS: Partial<Record<IntakeRefusal['code'], string>> = {
  'not-admin': 'Say "whoami" for your Entra object id; an operator adds it to PICBOT_ADMINS.',
  'not-reader': 'Say "whoami" for your Entra object id; an operator adds it to PICBOT_ADMINS or PICBOT_APPROVERS.',
  discarded: 'Say "start" to begin a new intake.',
};

/** Where a refused intake action can go on: back to the review of a draft that is still open, else a new start. */
const WAYS: Partial<Record<IntakeRefusal['code'], 'review' | 'start' | 'none'>> = {
  'not-admin': 'none',
  'not-reader': 'none',
  stale: 'review',
  'not-at-review': 'review',
  'not-submitted': 'review',
  'target-taken': 'start',
};

/**
 * A refusal card with a way forward; the card message itself is replaced only when it is dead
 * for everyone. `draftId` names the intake the click was about, when known.
 */
export function refused(r: IntakeRefusal, draftId: string | null = null): ActionResult {
  const everyone = r.code === 'discarded' || r.code === 'closed';
  const way = WAYS[r.code] ?? 'start';
  const ways = way === 'review' && draftId ? { reviewId: draftId } : way === 'none' ? {} : { start: true };
  return { card: refusalCard(TITLES[r.code], r.reason, HINTS[r.code] ?? '', ways), scope: everyone ? 'everyone' : 'clicker', refusal: true };
}
