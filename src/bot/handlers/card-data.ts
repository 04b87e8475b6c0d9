/**
 * The one way a handler reads the data of a clicked card (`turn.data`, untrusted): through a
 * schema that decides what is accepted. A schema is either a zod schema (the plan, drift and
 * runner areas' lenient shapes) or one of the strict readers of src/core (card-refs.ts and
 * intake-cards.ts, which refuse any field the card does not send). The reader only runs it and
 * answers in one shape; which inputs pass stays the schema's business.
 */
import type { z } from 'zod';
import type { RefOutcome } from '../../core/card-refs';

/** A strict reader: the value, or why the data is not what our card sends. */
export type CardReader<T> = (raw: unknown) => RefOutcome<T>;

/** What decides whether card data is accepted, and what it becomes. */
export type CardSchema<T> = z.ZodType<T, unknown> | CardReader<T>;

/** The reason a zod schema gives: the first problem, with the field it is in. */
function firstIssue(e: z.ZodError): string {
  return `${e.issues[0]?.path.join('.') || 'data'}: ${e.issues[0]?.message ?? 'invalid'}`;
}

/**
 * Reads card data with `schema`: `{ ok: true, value }`, or `{ ok: false, reason }` for the
 * handler's refusal card (each area words its own, as its cards differ).
 */
export function readCardData<T>(schema: CardSchema<T>, raw: unknown): RefOutcome<T> {
  if (typeof schema === 'function') return schema(raw);
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: firstIssue(parsed.error) };
}

/**
 * A step or record form's parser (src/core) as a reader: its refusal (data our card does not
 * send) is the reader's refusal; any other outcome, including field errors the card shows under
 * the fields, is the value.
 */
export function formReader<O extends { kind: string }>(parse: (raw: unknown) => O | { kind: 'refused'; reason: string }): CardReader<Exclude<O, { kind: 'refused' }>> {
  return (raw) => {
    const outcome = parse(raw);
    return isRefused(outcome) ? { ok: false, reason: outcome.reason } : { ok: true, value: outcome as Exclude<O, { kind: 'refused' }> };
  };
}

function isRefused(outcome: { kind: string }): outcome is { kind: 'refused'; reason: string } {
  return outcome.kind === 'refused';
}
