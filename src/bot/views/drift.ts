/**
 * The drift card (cards/drift.json): one per target, posted where the last plan was approved and
 * updated in place while the drift lasts; and the short notices of the `drift` and `status LABEL`
 * commands (cards/plan-notice.json).
 */
import { keyParts, valueText, type DriftKey } from '../../core/drift';
import type { PreflightCheck, PreflightResult, PreflightRun } from '../preflight/port';
import type { Card } from '../turn';
import type { DriftWatchRecord } from '../workflows/drift-ports';
import type { CommandHelp } from './common';
import { renderCard } from './render';
import { when } from './request';

export const DRIFT_COMMANDS: readonly CommandHelp[] = [
  { name: 'drift [LABEL]', text: 'check now whether the server still matches what picbot applied (admins; every watched target, or one)' },
  { name: 'status LABEL', text: 'a target\'s drift watch: last check, its result and the baseline\'s age' },
];

/** Everything the drift card shows. */
export interface DriftCardModel {
  record: DriftWatchRecord;
  /** The latest preflight of the baseline's request, if one ran. */
  preflight: PreflightRun | null;
  /** The restore plan asked from this card, with its status. */
  restorePlan: { id: string; status: string } | null;
  now: Date;
  /** One clicker's extras: the typed reason and why it was refused. */
  reasonValue?: string;
  reasonError?: string;
}

const DNS_LABEL: Record<PreflightCheck, string> = {
  'federation-srv': 'Federation SRV record',
  'federation-srv-suffix': 'SRV target name (Skype rule)',
  'client-srv': 'Client sign-in SRV record',
  'edge-address': 'Access Edge address',
  'edge-certificate': 'Access Edge certificate',
};
const DNS_LOOK: Record<PreflightResult['status'], { icon: string; color: string }> = {
  pass: { icon: '✓', color: 'Good' },
  fail: { icon: '✗', color: 'Attention' },
  warn: { icon: '!', color: 'Warning' },
};
/** The checks federation depends on most: shown always; the others only when they did not pass. */
const DNS_ALWAYS: ReadonlySet<PreflightCheck> = new Set(['federation-srv', 'edge-certificate']);
const MAX_DNS_LINES = 8;
const MAX_KEYS = 30;

/** `6 days`, `3 h`, `12 min`: how long ago, for the baseline's age. */
export function age(fromIso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A drifted key as the card names it: its parameter, and its object with the cmdlet after a "·".
 * Not in parentheses: a narrow card wraps a long cmdlet name at any character and could leave
 * its ")" alone on a line.
 */
function objectLine(key: DriftKey): { parameter: string; object: string } {
  const { parameter, what, cmdlet } = keyParts(key);
  return { parameter, object: `${what} · ${cmdlet}` };
}

/** The template data of the drift card (exported for tests and the card gallery). */
export function driftCardData(m: DriftCardModel) {
  const { baseline, alert } = m.record;
  const diffs = alert?.differences ?? [];
  const state = alert?.state ?? 'open';
  const snoozed = alert?.snoozedUntil && Date.parse(alert.snoozedUntil) > m.now.getTime() ? alert.snoozedUntil : null;
  const look = {
    open: { title: 'The server drifted from its baseline', color: 'attention' },
    resolved: { title: 'Back to baseline', color: 'good' },
    accepted: { title: 'Accepted as the new baseline', color: 'accent' },
  }[state];
  const summary = state === 'open'
    ? `${plural(diffs.length, 'watched setting')} ${diffs.length === 1 ? 'differs' : 'differ'} from what plan ${baseline.planId} left. Someone changed ${diffs.length === 1 ? 'it' : 'them'} outside picbot (Control Panel, Management Shell, or an update).`
    : state === 'resolved'
      ? `The watched settings of ${baseline.target} are back to the baseline.`
      : `The server as it was on ${when(alert?.checkedAt ?? baseline.since)} is the new baseline: later checks compare with it.`;
  const notes: string[] = [];
  if (m.restorePlan) notes.push(`Restore plan ${m.restorePlan.id}: ${m.restorePlan.status}.`);
  if (state === 'open' && snoozed) notes.push(`Snoozed until ${when(snoozed)}: checks go on, but this card is not posted again before then.`);
  if (state !== 'open' && alert?.closedAt) notes.push(`${state === 'resolved' ? 'Back to baseline' : 'Accepted'} on ${when(alert.closedAt)}${alert.closedBy ? ` by ${alert.closedBy}` : ''}${alert.note ? `: ${alert.note}` : '.'}`);
  if (state === 'open') notes.push('Plan to restore puts the baseline back through the usual approval. Accept makes the server as it is now the new baseline (admins, with a reason). Snooze hides this drift for 24 hours.');
  const run = m.preflight;
  const dnsLines = run ? run.results.filter((r) => DNS_ALWAYS.has(r.check) || r.status !== 'pass').slice(0, MAX_DNS_LINES) : [];
  return {
    heading: `${baseline.target} · drift watch`,
    title: look.title,
    titleColor: look.color,
    summary,
    checked: `Checked ${when(alert?.checkedAt ?? m.now.toISOString())} · baseline set ${when(baseline.since)} (${age(baseline.since, m.now)} ago)`,
    keysHeading: state === 'open' ? 'What changed' : 'What had changed',
    keys: diffs.slice(0, MAX_KEYS).map((d) => ({
      ...objectLine(d.key),
      baseline: valueText(d.key, d.baseline),
      now: valueText(d.key, d.now),
      nowColor: state === 'open' ? 'attention' : 'default',
    })),
    dnsHeading: run ? `DNS and certificate (preflight of ${when(run.ranAt)})` : '',
    dns: dnsLines.map((r) => ({ ...DNS_LOOK[r.status], label: DNS_LABEL[r.check], subject: r.subject, detail: r.detail })),
    notes,
    canAct: state === 'open',
    reasonValue: m.reasonValue ?? '',
    reasonError: m.reasonError ?? '',
    target: baseline.target,
    signature: alert?.signature ?? '',
  };
}

export function driftCard(m: DriftCardModel): Card {
  return renderCard('drift', driftCardData(m));
}

type Color = 'good' | 'attention' | 'warning' | 'accent' | 'default';

/** A short notice (the `drift` command's answer, refusals, `status LABEL`). */
export function driftNotice(title: string, lines: string[], color: Color = 'default', heading = 'drift watch'): Card {
  return renderCard('plan-notice', { heading, title, color, lines, planId: '', reviewId: '' });
}

/** `status LABEL`: the last check, its result and the baseline's age. */
export function driftStatusCard(record: DriftWatchRecord, now: Date): Card {
  const { baseline, lastCheck, alert } = record;
  const lines = [
    `Baseline: ${plural(baseline.entries.length, 'watched setting')}, set ${when(baseline.since)} (${age(baseline.since, now)} ago) by ${baseline.setBy}; last plan ${baseline.planId}.`,
  ];
  if (!lastCheck) lines.push('Last drift check: none yet.');
  else if (lastCheck.status === 'checking') lines.push(`Last drift check: running since ${when(lastCheck.askedAt)} (${lastCheck.jobId ?? 'no job'}).`);
  else if (lastCheck.status === 'clean') lines.push(`Last drift check: ${when(lastCheck.at ?? lastCheck.askedAt)}, clean (no watched setting changed).`);
  else if (lastCheck.status === 'drift') lines.push(`Last drift check: ${when(lastCheck.at ?? lastCheck.askedAt)}, drift in ${plural(lastCheck.differences.length, 'setting')}: ${lastCheck.differences.map((d) => keyParts(d.key).parameter).join(', ')}.`);
  else lines.push(`Last drift check: ${when(lastCheck.at ?? lastCheck.askedAt)}, not checked: ${lastCheck.reason ?? 'no reason given'}.`);
  if (alert?.state === 'open') lines.push(`A drift card is open since ${when(alert.openedAt)}${alert.restorePlanId ? `; restore plan ${alert.restorePlanId}` : ''}.`);
  const color: Color = lastCheck?.status === 'drift' ? 'attention' : lastCheck?.status === 'not-checked' ? 'warning' : lastCheck?.status === 'clean' ? 'good' : 'default';
  return driftNotice(`${baseline.target}: drift watch`, lines, color, 'status');
}
