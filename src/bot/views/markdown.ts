/**
 * Card text as plain text. A TextBlock's text and a FactSet's titles and values are read as
 * markdown by Teams and by Agents Playground, so `audit <id>` lost its `<id>` (an HTML tag to
 * them), a leading `#` turned a line into a heading, and `*`/`_` could turn into emphasis. picbot
 * writes no card text as markdown, so every such text goes through `escapeMarkdown` once, in
 * renderCard, whatever its source: template, view, or chat text echoed back.
 *
 * The escapes are CommonMark's backslash escapes of ASCII punctuation
 * (https://spec.commonmark.org/0.31.2/#backslash-escapes), which Teams and the Adaptive Cards
 * renderers' markdown-it honour. Only characters that can start markdown are escaped, so the text
 * stays readable in a client that shows it raw.
 */

// Anywhere in a line: inline markup (emphasis, code, links, images, HTML, entities, strikethrough).
const INLINE = /[\\`*_[\]<>&~|]/g;
// At the start of a line (after indentation): headings, quotes, list bullets, setext/rule lines.
const LINE_START = /^(\s*)([#>+=-])/gm;
// "1. " or "1) " at the start of a line is an ordered list item.
const ORDERED = /^(\s*\d{1,9})([.)])(?=\s|$)/gm;

/** Text that a markdown reader shows exactly as given (line breaks aside). */
export function escapeMarkdown(text: string): string {
  return text.replace(INLINE, '\\$&').replace(LINE_START, '$1\\$2').replace(ORDERED, '$1\\$2');
}

/** The text a reader shows for an escaped text: every backslash escape undone. */
export function unescapeMarkdown(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Escapes, in place, every text of the card that a client reads as markdown: TextBlock `text`
 * and FactSet fact titles and values. TextRun text, input labels and choice titles are plain text
 * already and stay as they are; so does a CodeBlock's snippet.
 */
export function escapeCardText(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) escapeCardText(n);
    return;
  }
  if (!isObject(node)) return;
  if (node.type === 'TextBlock' && typeof node.text === 'string') node.text = escapeMarkdown(node.text);
  if (node.type === 'FactSet' && Array.isArray(node.facts)) {
    for (const fact of node.facts) {
      if (!isObject(fact)) continue;
      if (typeof fact.title === 'string') fact.title = escapeMarkdown(fact.title);
      if (typeof fact.value === 'string') fact.value = escapeMarkdown(fact.value);
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'data' && typeof value === 'object' && value !== null) escapeCardText(value);
  }
}
