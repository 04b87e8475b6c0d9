/** A refusal is a value the user sees; a failure is an exception (STYLE habit 3). */
export interface Refusal<C extends string = string> {
  ok: false;
  code: C;
  reason: string;
}

export type Result<T, C extends string = string> = { ok: true; value: T } | Refusal<C>;

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refuse = <C extends string>(code: C, reason: string): Refusal<C> => ({ ok: false, code, reason });
