import { idKind } from '../shared/ids';

/**
 * The first, structural look at the raw `data` of an Action.Execute: a flat object of strings
 * (Adaptive Card inputs always submit strings; an empty input is left out, so an absent input
 * reads as ''). Anything else — not an object, an unknown or missing hidden field, a non-string,
 * a value over 1 KiB (or over its field's own larger limit) — is not something our cards send,
 * and becomes a refusal, never an exception.
 */

export const MAX_FIELD_BYTES = 1024;

/** The typed values of a card, by input id, as strings (what the card shows back). */
export type Fields = Record<string, string>;

/** Messages shown under each bad field, by input id. */
export type FieldErrors = Record<string, string[]>;

export interface CardSpec {
  /** Hidden fields the card's action data must carry (such as `draftId`). */
  hidden?: readonly string[];
  /** Hidden fields that may be absent. */
  optionalHidden?: readonly string[];
  /** Input ids; absent ones read as ''. */
  inputs?: readonly string[];
  /** Extra input ids accepted by pattern (such as `admin:contoso.com`), at most `maxPatterned`. */
  inputPattern?: RegExp;
  maxPatterned?: number;
  /** Inputs that may hold more than MAX_FIELD_BYTES (a list of thousands of users), by input id. */
  maxBytes?: Readonly<Record<string, number>>;
}

export type ReadResult = { ok: true; fields: Fields } | { ok: false; reason: string };

const utf8 = new TextEncoder();

/** Shows a client-chosen key safely inside a message. */
function shown(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Reads the raw action data against a card's fields. */
export function readCardFields(raw: unknown, spec: CardSpec): ReadResult {
  const data = raw === undefined || raw === null ? {} : raw;
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, reason: `the card sent ${typeName(data)} instead of its fields` };
  }
  const hidden = new Set([...(spec.hidden ?? []), ...(spec.optionalHidden ?? [])]);
  const inputs = new Set(spec.inputs ?? []);
  const fields: Fields = {};
  let patterned = 0;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const known = hidden.has(key) || inputs.has(key) || (spec.inputPattern?.test(key) ?? false);
    if (!known) return { ok: false, reason: `the card sent an unknown field "${shown(key)}"` };
    if (!hidden.has(key) && !inputs.has(key) && ++patterned > (spec.maxPatterned ?? 0)) {
      return { ok: false, reason: 'the card sent more fields than it has inputs' };
    }
    if (typeof value !== 'string') {
      return { ok: false, reason: `the field "${shown(key)}" should be text but is ${typeName(value)}` };
    }
    const bytes = utf8.encode(value).length;
    const limit = (inputs.has(key) ? spec.maxBytes?.[key] : undefined) ?? MAX_FIELD_BYTES;
    if (bytes > limit) {
      return { ok: false, reason: `the field "${shown(key)}" is ${bytes} bytes long; the limit is ${limit === MAX_FIELD_BYTES ? '1 KiB per field' : `${limit} bytes for this field`}` };
    }
    fields[key] = value;
  }
  for (const key of spec.hidden ?? []) {
    if (!(key in fields)) return { ok: false, reason: `the card did not send its "${key}" field` };
  }
  for (const key of spec.inputs ?? []) if (!(key in fields)) fields[key] = '';
  return { ok: true, fields };
}

/** Checks that a hidden id field holds one of our request ids (`req_…`). */
export function requestIdProblem(id: string): string | null {
  return idKind(id) === 'request' ? null : `"${shown(id)}" is not a request id (req_…)`;
}

/** Adds a message under a field. */
export function addError(errors: FieldErrors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

/** Splits a multi-line list input (one item per line; commas, semicolons and spaces also separate). */
export function splitList(text: string): string[] {
  return text.split(/[\s,;]+/).filter((s) => s.length > 0);
}
