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
    card: refusalCard('That card can\'t be used', sentence(reason), 'Say "resume" for a fresh card of your intake, or "help".'),
    scope: 'clicker',
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

/** A refusal card; the card message itself is replaced only when it is dead for everyone. */
export function refused(r: IntakeRefusal): ActionResult {
  const everyone = r.code === 'discarded' || r.code === 'closed';
  return { card: refusalCard(TITLES[r.code], r.reason, HINTS[r.code] ?? ''), scope: everyone ? 'everyone' : 'clicker' };
}
