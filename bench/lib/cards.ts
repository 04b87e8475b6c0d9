/** Reading an Adaptive Card as a Teams client does: its texts, inputs and Action.Execute buttons. */
export type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (!isObject(node)) return;
  visit(node);
  for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) walk(v, visit);
}

/**
 * Undoes CommonMark backslash escapes, as a client shows TextBlock and fact texts (picbot escapes
 * every card text that is not meant as markdown: a token's `_` arrives as `\_`).
 */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** All TextBlock/TextRun texts and facts, one per line, as a reader sees them. */
export function allText(card: Json | null): string {
  const out: string[] = [];
  walk(card, (n) => {
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(unescapeMarkdown(n.text));
    if (n.type === 'TextRun' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as Json[]) out.push(`${unescapeMarkdown(String(f.title))}: ${unescapeMarkdown(String(f.value))}`);
  });
  return out.join('\n');
}

function inputs(card: Json | null): Record<string, string> {
  const out: Record<string, string> = {};
  walk(card, (n) => {
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && typeof n.id === 'string') out[n.id] = n.value === undefined ? '' : String(n.value);
  });
  return out;
}

export interface Button {
  title: string;
  verb: string;
  data: Json;
}

/** The Action.Execute button with this title; throws naming the buttons there are. */
export function button(card: Json | null, title: string): Button {
  const found: Button[] = [];
  walk(card, (n) => {
    if (n.type === 'Action.Execute') found.push({ title: String(n.title), verb: String(n.verb), data: isObject(n.data) ? n.data : {} });
  });
  const b = found.find((x) => x.title === title);
  if (!b) throw new Error(`no button "${title}" on the card (buttons: ${found.map((x) => x.title).join(', ')}); card text: ${allText(card).slice(0, 300)}`);
  return b;
}

/** What Teams sends for a click: every input holding a value (typed ones win), then the button's data. */
export function clickData(card: Json | null, b: Button, typed: Record<string, string> = {}): Json {
  const data: Json = {};
  for (const [id, v] of Object.entries({ ...inputs(card), ...typed })) if (v !== '') data[id] = v;
  return { ...data, ...b.data };
}

/** The Adaptive Card attached to an activity, or null. */
export function cardOf(activity: Json | null | undefined): Json | null {
  const attachments = activity?.attachments as { contentType?: string; content?: Json }[] | undefined;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content ?? null;
}
