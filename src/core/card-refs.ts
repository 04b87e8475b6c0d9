import { addError, readCardFields, requestIdProblem, type FieldErrors, type Fields } from './card-fields';
import { IntakeStep } from './intake';

/**
 * The small hidden payloads of the navigation buttons (resume, discard, edit, export, status) and
 * the request record's "submitted on" form. Same rules as the step cards: a payload our cards do
 * not send is a refusal.
 */

export type RefOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

function idField(raw: unknown, key: 'draftId' | 'requestId', extra: { inputs?: string[]; optionalHidden?: string[] } = {}) {
  const r = readCardFields(raw, { hidden: [key], ...extra });
  if (!r.ok) return r;
  const problem = requestIdProblem(r.fields[key]);
  return problem ? { ok: false as const, reason: problem } : r;
}

/** `{draftId}`: resume, discard, finish. */
export function parseDraftRef(raw: unknown): RefOutcome<{ draftId: string }> {
  const r = idField(raw, 'draftId');
  return r.ok ? { ok: true, value: { draftId: r.fields.draftId } } : r;
}

/** `{draftId, section}`: the review card's "Edit" buttons. */
export function parseEditRef(raw: unknown): RefOutcome<{ draftId: string; section: IntakeStep }> {
  const r = idField(raw, 'draftId', { optionalHidden: ['section'] });
  if (!r.ok) return r;
  const section = IntakeStep.safeParse(r.fields.section);
  if (!section.success) return { ok: false, reason: 'the card did not name a section the intake has' };
  return { ok: true, value: { draftId: r.fields.draftId, section: section.data } };
}

/** `{requestId}`: export, status. */
export function parseRequestRef(raw: unknown): RefOutcome<{ requestId: string }> {
  const r = idField(raw, 'requestId');
  return r.ok ? { ok: true, value: { requestId: r.fields.requestId } } : r;
}

export type DateOutcome =
  | { kind: 'refused'; reason: string }
  | { kind: 'invalid'; requestId: string; values: Fields; errors: FieldErrors }
  | { kind: 'accepted'; requestId: string; date: string };

/** The calendar date `YYYY-MM-DD` if it is one; else null. */
export function calendarDate(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === m[0] ? m[0] : null;
}

/**
 * A date the admin enters on the request record (`field`: submittedOn or activeOn): a calendar
 * date, not after `today`, not before `notBefore` when given.
 */
export function parseDateCard(raw: unknown, field: 'submittedOn' | 'activeOn', today: string, notBefore?: string | null): DateOutcome {
  // The record card holds both date inputs; each button sends both.
  const r = idField(raw, 'requestId', { inputs: ['submittedOn', 'activeOn'] });
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const requestId = r.fields.requestId;
  const values: Fields = { submittedOn: r.fields.submittedOn, activeOn: r.fields.activeOn };
  const errors: FieldErrors = {};
  const date = calendarDate(r.fields[field]);
  if (r.fields[field].trim() === '') addError(errors, field, 'enter the date');
  else if (date === null) addError(errors, field, 'enter a date as YYYY-MM-DD');
  else if (date > today) addError(errors, field, `the date cannot be after today (${today})`);
  else if (notBefore && date < notBefore) addError(errors, field, `the date cannot be before the submission date (${notBefore})`);
  if (Object.keys(errors).length > 0 || date === null) return { kind: 'invalid', requestId, values, errors };
  return { kind: 'accepted', requestId, date };
}

/** "Start an intake": `another` is set by the resume-or-discard card's "start one for another deployment". */
export function parseStartRef(raw: unknown): RefOutcome<{ another: boolean }> {
  const r = readCardFields(raw, { optionalHidden: ['another'] });
  if (!r.ok) return r;
  if (r.fields.another !== undefined && r.fields.another !== 'true') return { ok: false, reason: 'the card sent an unexpected "another" value' };
  return { ok: true, value: { another: r.fields.another === 'true' } };
}
