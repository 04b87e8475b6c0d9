/**
 * Template expansion for cards/*.json: binds a template to its data with adaptivecards-templating
 * (only src/bot/views/ may import it). Used by the card gallery; card views can share it.
 */
import { Template } from 'adaptivecards-templating';
import type { Card } from '../turn';

export interface Expansion {
  card: Card;
  /** What the templating engine reported while expanding (e.g. an expression it could not evaluate). */
  warnings: string[];
  /** JSON paths of strings that still hold `${…}` after expansion: data the template asked for but did not get. */
  unbound: string[];
}

function findUnbound(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findUnbound(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) findUnbound(v, `${path}.${k}`, out);
  }
}

/** Expands a card template with `data` as `$root`; never throws for missing data, it reports it. */
export function expandTemplate(template: Card, data: unknown): Expansion {
  const engine = new Template(template);
  const card = engine.expand({ $root: data }) as Card;
  const unbound: string[] = [];
  findUnbound(card, '$', unbound);
  return { card, warnings: engine.getLastTemplateExpansionWarnings(), unbound };
}
