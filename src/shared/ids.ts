import { randomBytes } from 'node:crypto';

/** The kinds of things picbot gives ids to, by prefix, so `status <id>` knows what it was given. */
export const ID_PREFIXES = { request: 'req', plan: 'plan', job: 'job', runner: 'run' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** A new random id such as `req_7x1k0v3m9q2d8a5n`: 16 base32 characters, 80 bits. */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return `${ID_PREFIXES[kind]}_${out}`;
}

/** The 16 characters after the prefix (any lower-case letter or digit is accepted on the way in). */
const ID_BODY = '[0-9a-z]{16}';
const ID_PATTERN = new RegExp(`^(${Object.values(ID_PREFIXES).join('|')})_${ID_BODY}$`);

/** The pattern of one kind of id, e.g. /^plan_[0-9a-z]{16}$/: the only place ids are described. */
export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ID_BODY}$`);
}

/** Whether `value` is an id of this kind. */
export function isIdOf(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}

/** Which kind of id this is, or null when it is not one of ours. */
export function idKind(id: string): IdKind | null {
  const m = ID_PATTERN.exec(id);
  if (!m) return null;
  const prefix = m[1];
  for (const [kind, p] of Object.entries(ID_PREFIXES)) if (p === prefix) return kind as IdKind;
  return null;
}
