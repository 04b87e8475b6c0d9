import type { PreflightResult, PreflightRun } from '../../../../src/bot/preflight/port';
import { MAX_CARD_LINES, preflightCard } from '../../../../src/bot/views/preflight';
import { checkTeamsSupport } from '../../../../src/tools/gallery/teams-rules';

const RAN_AT = '2026-11-28T14:05:09.000Z';

const MIXED: PreflightResult[] = [
  { check: 'federation-srv', subject: 'contoso.com', status: 'pass', detail: '_sipfederationtls._tcp.contoso.com points at sip.contoso.com:5061.' },
  { check: 'federation-srv-suffix', subject: 'fabrikam.com', status: 'fail', detail: 'SRV target sip.it.fabrikam.com is not a top-level name of fabrikam.com: Skype federation needs e.g. sip.fabrikam.com.' },
  { check: 'client-srv', subject: 'contoso.com', status: 'warn', detail: 'There is no _sip._tls.contoso.com SRV record (port 443).' },
  { check: 'edge-certificate', subject: 'sip.contoso.com', status: 'fail', detail: 'The certificate on 203.0.113.10:5061 (issued by X): it expired on 2026-01-01.' },
];

/** Every TextRun/TextBlock text in document order. */
function texts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => texts(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ((o.type === 'TextBlock' || o.type === 'TextRun') && typeof o.text === 'string') out.push(o.text);
    for (const v of Object.values(o)) if (typeof v === 'object') texts(v, out);
  }
  return out;
}

/** The rendered lines: [icon, color, label · subject, detail]. */
function lines(card: Record<string, unknown>): [string, string, string, string][] {
  const containers = (card.body as Record<string, unknown>[]).filter((b) => b.type === 'Container');
  return containers.map((c) => {
    const [iconCol, textCol] = ((c.items as Record<string, unknown>[])[0]!.columns as Record<string, unknown>[]);
    const icon = (iconCol!.items as Record<string, unknown>[])[0]!;
    const t = texts(textCol);
    return [icon.text as string, icon.color as string, `${t[0]}${t[1]}`, t[2]!];
  });
}

const run = (results: PreflightResult[]): PreflightRun => ({ ranAt: RAN_AT, results });

describe('preflight result card', () => {
  // Green and yellow text is unreadable in Teams' light theme: only failures keep their colour.
  it('lists every line of a mixed result with ✓/✗/!, its colour and the reason, under a summary', () => {
    const card = preflightCard(run(MIXED));
    expect(lines(card)).toEqual([
      ['✓', 'default', 'Federation SRV record · contoso.com', MIXED[0]!.detail],
      ['✗', 'Attention', 'SRV target name (Skype rule) · fabrikam.com', MIXED[1]!.detail],
      ['!', 'default', 'Client sign-in SRV record · contoso.com', MIXED[2]!.detail],
      ['✗', 'Attention', 'Access Edge certificate · sip.contoso.com', MIXED[3]!.detail],
    ]);
    const all = texts(card);
    expect(all).toContain('2 of 4 checks failed. Planning can go ahead, and approvers will see these results.');
    expect(all).toContain('1 passed · 2 failed · 1 warning · checked 2026-11-28 14:05 UTC');
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it.each([
    { name: 'all passed', results: [MIXED[0]!], want: 'All 1 check passed.' },
    { name: 'warnings only', results: [MIXED[0]!, MIXED[2]!], want: 'No check failed; 1 warning.' },
  ])('summary when $name', ({ results, want }) => {
    expect(texts(preflightCard(run(results)))).toContain(want);
  });

  it('keeps details out of markdown (TextRun), so _sipfederationtls._tcp keeps its underscores', () => {
    const card = JSON.stringify(preflightCard(run(MIXED)));
    expect(card).toContain('"type":"TextRun","text":"_sipfederationtls._tcp.contoso.com points at sip.contoso.com:5061."');
  });

  it('a long run lists only the problems and says how many lines are not shown, staying within Teams\' size limit', () => {
    const domains = Array.from({ length: 50 }, (_, i) => `d${i}.example.com`);
    const results: PreflightResult[] = domains.flatMap((d, i) => [
      { check: 'federation-srv', subject: d, status: i < 30 ? 'fail' : 'pass', detail: `There is no _sipfederationtls._tcp.${d} SRV record, so federation partners (and Skype) cannot find your Access Edge. Publish one for port 5061 pointing at sip.${d}.` } as const,
      { check: 'federation-srv-suffix', subject: d, status: 'pass', detail: `SRV target sip.${d} is a top-level name of ${d}.` } as const,
      { check: 'client-srv', subject: d, status: 'pass', detail: `_sip._tls.${d} points at sip.${d}:443.` } as const,
    ]);
    const card = preflightCard(run(results));
    const shown = lines(card);
    expect(shown).toHaveLength(MAX_CARD_LINES);
    expect(shown.every(([icon]) => icon === '✗')).toBe(true);
    expect(texts(card)).toContain('125 more lines (120 passed, 5 more problems) not listed here: "picbot preflight --request REQ.json" prints every line.');
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('a short run has no "more lines" text', () => {
    expect(texts(preflightCard(run(MIXED))).some((t) => t.includes('not listed here'))).toBe(false);
  });
});
