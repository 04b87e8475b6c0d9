import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted recursively (by UTF-16 code unit, like JS's default sort),
 * no whitespace, UTF-8 when hashed. `undefined` members are dropped as JSON.stringify drops them.
 * Used for fingerprints, plan hashes and job signatures, so it must be the same on every machine.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // No prototype: a key named "__proto__" (JSON.parse makes it an own key) stays an own key
    // here too, instead of setting the prototype and vanishing from the output.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** SHA-256 of a string's UTF-8 bytes, as lower-case hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
