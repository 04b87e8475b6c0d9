/**
 * Reading Adaptive Cards the way a person looks at them in tests: texts, input values, the
 * messages under an input, the Action.Execute buttons; and a click's data built the way the
 * Teams client builds it (the action's data plus every input that holds a value).
 */
import { unescapeMarkdown } from '../../src/bot/views/markdown';

export type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(node: unknown, visit: (n: Json, siblings: unknown[] | null, index: number) => void, siblings: unknown[] | null = null, index = 0): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walk(n, visit, node, i));
    return;
  }
  if (!isObject(node)) return;
  visit(node, siblings, index);
  for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) walk(v, visit);
}

/**
 * Every TextBlock text, TextRun text and fact (as "title: value"), in order, as a reader sees them:
 * TextBlocks and facts with their markdown escapes undone (TextRuns are never markdown).
 */
export function texts(card: Json | null): string[] {
  const out: string[] = [];
  walk(card, (n) => {
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(unescapeMarkdown(n.text));
    if (n.type === 'TextRun' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as Json[]) out.push(`${unescapeMarkdown(String(f.title))}: ${unescapeMarkdown(String(f.value))}`);
  });
  return out;
}

/** All text of the card in one string (for toMatch). */
export const allText = (card: Json | null): string => texts(card).join('\n');

/** Input id → the value the card shows. */
export function inputs(card: Json | null): Record<string, string> {
  const out: Record<string, string> = {};
  walk(card, (n) => {
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && typeof n.id === 'string') out[n.id] = n.value === undefined ? '' : String(n.value);
  });
  return out;
}

/** The attention-coloured messages right under an input (its validation messages). */
export function errorsUnder(card: Json | null, inputId: string): string[] {
  const out: string[] = [];
  walk(card, (n, siblings, index) => {
    if (n.id !== inputId || !siblings) return;
    for (let i = index + 1; i < siblings.length; i++) {
      const s = siblings[i];
      if (!isObject(s) || s.type !== 'TextBlock' || s.color !== 'attention') break;
      out.push(String(s.text));
    }
  });
  return out;
}

/** Input ids that have a message under them. */
export function fieldsWithErrors(card: Json | null): string[] {
  return Object.keys(inputs(card)).filter((id) => errorsUnder(card, id).length > 0);
}

export interface Button {
  title: string;
  verb: string;
  data: Json;
}

/** Every Action.Execute on the card. */
export function buttons(card: Json | null): Button[] {
  const out: Button[] = [];
  walk(card, (n) => {
    if (n.type === 'Action.Execute') out.push({ title: String(n.title), verb: String(n.verb), data: isObject(n.data) ? n.data : {} });
  });
  return out;
}

/** The button with this title (the first, or the nth with `index`); throws when missing. */
export function button(card: Json | null, title: string, index = 0): Button {
  const found = buttons(card).filter((b) => b.title === title);
  if (!found[index]) throw new Error(`no button "${title}" on the card; buttons: ${buttons(card).map((b) => b.title).join(', ')}`);
  return found[index];
}

/** What Teams sends for a click: inputs with a value (typed overrides shown), then the button's data. */
export function clickData(card: Json | null, b: Button, typed: Record<string, string> = {}): Json {
  const values = { ...inputs(card), ...typed };
  const data: Json = {};
  for (const [id, v] of Object.entries(values)) if (v !== '') data[id] = v;
  return { ...data, ...b.data };
}
