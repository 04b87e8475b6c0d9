/**
 * The preflight result card (cards/preflight.json): one ✓/✗/! line per check with its reason,
 * and a summary. Check details go into TextRuns, which Teams does not read as markdown, so the
 * underscores of `_sipfederationtls._tcp` stay underscores.
 */
import type { PreflightCheck, PreflightResult, PreflightRun } from '../preflight/port';
import { summarizePreflight } from '../preflight/port';
import type { Card } from '../turn';
import { renderCard } from './render';

const LABEL: Record<PreflightCheck, string> = {
  'federation-srv': 'Federation SRV record',
  'federation-srv-suffix': 'SRV target name (Skype rule)',
  'client-srv': 'Client sign-in SRV record',
  'edge-address': 'Access Edge address',
  'edge-certificate': 'Access Edge certificate',
};

const LOOK: Record<PreflightResult['status'], { icon: string; color: string }> = {
  pass: { icon: '✓', color: 'Good' },
  fail: { icon: '✗', color: 'Attention' },
  warn: { icon: '!', color: 'Warning' },
};

/** Teams refuses messages over ~28 KB; a line costs about 650 bytes, so long runs list only problems. */
export const MAX_CARD_LINES = 25;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `2026-11-28 14:05 UTC`: the same for every reader, whatever their time zone. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The template data of the card (exported for the card gallery and tests). */
export function preflightCardData(run: PreflightRun, context: { heading?: string } = {}) {
  const s = summarizePreflight(run.results);
  const total = run.results.length;
  const summary =
    s.fail > 0 ? `${s.fail} of ${plural(total, 'check')} failed. Planning can go ahead, and approvers will see these results.`
      : s.warn > 0 ? `No check failed; ${plural(s.warn, 'warning')}.`
        : `All ${plural(total, 'check')} passed.`;
  const problems = run.results.filter((r) => r.status !== 'pass');
  const shown = total <= MAX_CARD_LINES ? run.results : problems.slice(0, MAX_CARD_LINES);
  const unlisted = total - shown.length;
  const more = unlisted === 0 ? ''
    : `${plural(unlisted, 'more line')} (${s.pass} passed${problems.length > shown.length ? `, ${problems.length - shown.length} more problems` : ''}) not listed here: "picbot preflight --request REQ.json" prints every line.`;
  return {
    heading: context.heading ?? '',
    summary,
    summaryColor: s.fail > 0 ? 'Attention' : s.warn > 0 ? 'Warning' : 'Good',
    counts: `${s.pass} passed · ${s.fail} failed · ${plural(s.warn, 'warning')}`,
    ranAt: when(run.ranAt),
    lines: shown.map((r) => ({ ...LOOK[r.status], label: LABEL[r.check], subject: r.subject, detail: r.detail })),
    more,
    note: 'A failed check does not block planning, but approvers will see it. Fix the DNS record or the certificate, then run preflight again.',
  };
}

/** The result card of one preflight run; `heading` names the request (e.g. `pool-eu · req_…`). */
export function preflightCard(run: PreflightRun, context: { heading?: string } = {}): Card {
  return renderCard('preflight', preflightCardData(run, context));
}
