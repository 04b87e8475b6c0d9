/**
 * Card text is plain text: what a markdown reader (markdown-it, as the Adaptive Cards renderers
 * use it; Teams and Agents Playground read card text as markdown too) shows is exactly the text
 * picbot meant, on every card of the gallery and every notice, chat text echoed back included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { refusalCard as routerRefusal } from '../../../../src/bot/routing/fallback-cards';
import { endedCard, helpCard, INTAKE_COMMANDS, refusalCard, resumeOrDiscardCard } from '../../../../src/bot/views/common';
import { escapeMarkdown, unescapeMarkdown } from '../../../../src/bot/views/markdown';
import { planNoticeCard } from '../../../../src/bot/views/plan';
import { cardsFolder, renderCard } from '../../../../src/bot/views/render';
import { listTemplates } from '../../../../src/tools/gallery/templates';

const md = new MarkdownIt();
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Every markdown-read text of a card: TextBlock text, fact titles and values. */
function markdownTexts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) markdownTexts(n, out);
    return out;
  }
  if (typeof node !== 'object' || node === null) return out;
  const o = node as Record<string, unknown>;
  if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(o.text);
  if (o.type === 'FactSet' && Array.isArray(o.facts)) for (const f of o.facts as Record<string, string>[]) out.push(f.title!, f.value!);
  for (const [k, v] of Object.entries(o)) if (k !== 'data') markdownTexts(v, out);
  return out;
}

/**
 * What a markdown reader shows for `text`: its HTML must be plain paragraphs (no heading, list,
 * emphasis, link, code or raw HTML), and their text the unescaped text, line breaks as spaces.
 */
function readerSees(text: string): string {
  const out = md.render(text);
  const tags = [...out.matchAll(/<\/?([a-z0-9]+)[^>]*>/g)].map((m) => m[1]);
  expect(tags.filter((t) => t !== 'p')).toEqual([]);
  return out.replace(/<\/?p>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

const NASTY = [
  'audit <id>',
  '"status <plan id>" shows one.',
  '# Undo step 1 [federation]: Remove-CsPublicProvider -Identity Skype',
  '*bold* and __strong__ and _sipfederationtls._tcp.contoso.com',
  '[a link](https://example.com) ![an image](https://example.com/x.png) <https://example.com>',
  '`code` and ~~struck~~ and C:\\Program Files\\picbot',
  '1. not a list',
  '- not a bullet',
  '+ nor this',
  '> not a quote',
  '===',
  'a & b &amp; c &lt;d&gt;',
  '<script>alert(1)</script>',
  'two\nlines # with 2) and\n3. more',
  'Lync Server 2013 (5.0.8308.0)',
];

describe('escapeMarkdown', () => {
  it.each(NASTY)('a reader shows %j exactly', (text) => {
    expect(readerSees(escapeMarkdown(text))).toBe(flat(text));
    expect(unescapeMarkdown(escapeMarkdown(text))).toBe(text);
  });

  it('leaves plain text plain, so a client that shows it raw still reads well', () => {
    expect(escapeMarkdown('Lync Server 2013 (5.0.8308.0) · sip.contoso.com · 2026-11-28 14:05 UTC')).toBe('Lync Server 2013 (5.0.8308.0) · sip.contoso.com · 2026-11-28 14:05 UTC');
    expect(md.render(escapeMarkdown('audit <id>'))).toBe(`<p>${html('audit <id>')}</p>\n`);
  });
});

describe('every card text is plain text', () => {
  const { samples } = listTemplates(cardsFolder());

  it.each(samples)('$file: every text reads as written', ({ template, file }) => {
    const card = renderCard(template, JSON.parse(readFileSync(join(cardsFolder(), file), 'utf8')) as object, { localNote: 'Local mode: <every> user is an *admin*.' });
    const found = markdownTexts(card);
    expect(found.length).toBeGreaterThan(0);
    for (const text of found) {
      if (text.trim() === '' || text === '\u00a0') continue;
      expect(readerSees(text)).toBe(flat(unescapeMarkdown(text)));
    }
  });

  const echoed = 'audit <id> # *now* _please_ [x](https://e.example) `c`';
  it.each([
    ['a plan notice', () => planNoticeCard({ heading: `pool-eu · ${echoed}`, title: echoed, color: 'attention', lines: [echoed, `1. ${echoed}`], planId: 'plan_7x1k0v3m9q2d8a5n' })],
    ['a refusal', () => refusalCard(echoed, echoed, echoed, { start: true })],
    ['the router\'s own refusal', () => routerRefusal(echoed, echoed)],
    ['an ended intake', () => endedCard(echoed, [echoed], true)],
    ['the help card echoing chat text', () => helpCard(INTAKE_COMMANDS, echoed)],
    ['resume or discard', () => resumeOrDiscardCard({ title: echoed, text: echoed, choices: [], offerNew: false })],
  ])('%s shows the text as written', (_name, make) => {
    const card = make();
    const shown = markdownTexts(card).map((t) => readerSees(t));
    expect(shown.some((t) => t.includes(flat(echoed)))).toBe(true);
  });
});
