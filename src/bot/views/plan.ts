/**
 * The plan's cards: the approval card (which becomes the status card and then the report, updated
 * in place), the script, the plans list, the audit trail and short notices. Long step output is
 * cut so the card stays under Teams' 28 KB; the full text is in the audit trail.
 */
import { MAX_REASON } from '../../core/approval-policy';
import { stepProgress, warningsOf, type StepProgress } from '../../core/job-progress';
import { PLAN_STATUS_TEXT, RETRY_FROM, ROLLBACK_FROM, type PlanStatus } from '../../core/plan-status';
import { planScript, planView, type PlanView } from '../../core/plan-script';
import { PROFILE_LABEL } from '../../contracts/profiles';
import { SKYPE_IDENTITY } from '../../contracts/skype-provider';
import type { PreflightRun } from '../preflight/port';
import { summarizePreflight } from '../preflight/port';
import type { Card } from '../turn';
import type { PlanCardModel, PlanViews } from '../workflows/plan-context';
import type { AuditRecord, JobView, PlanRecord } from '../workflows/ports';
import { reviewSections } from './intake';
import { renderCard } from './render';
import { when } from './request';

/** Teams refuses messages over about 28 KB; the card leaves room for the activity around it. */
export const CARD_BUDGET_BYTES = 27 * 1024;
/** Output shown per step, tried in turn until the card fits. */
const DETAIL_LIMITS = [4000, 1500, 500, 150, 0];

const short = (hash: string) => hash.slice(0, 12);
const exportCommand = (id: string) => `npx picbot audit export --id ${id}`;

export function duration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const STEP_LOOK: Record<StepProgress['status'], { icon: string; text: string; color: string }> = {
  pending: { icon: '○', text: 'pending', color: 'default' },
  running: { icon: '◐', text: 'running', color: 'accent' },
  done: { icon: '✓', text: 'done', color: 'good' },
  skipped: { icon: '↷', text: 'skipped (already so)', color: 'default' },
  failed: { icon: '✗', text: 'failed', color: 'attention' },
};

const STATUS_COLOR: Record<PlanStatus, string> = {
  'pending-approval': 'accent',
  approved: 'accent',
  applying: 'accent',
  succeeded: 'good',
  failed: 'attention',
  'aborted-drift': 'warning',
  cancelled: 'warning',
  interrupted: 'attention',
  rejected: 'attention',
  expired: 'warning',
};

function title(plan: PlanRecord): string {
  const what = plan.kind === 'rollback' ? 'rollback' : 'plan';
  switch (plan.status) {
    case 'pending-approval':
      return `Approve this ${what}?`;
    case 'approved':
    case 'applying':
      return plan.kind === 'rollback' ? 'Rolling back' : 'Applying the plan';
    case 'succeeded':
      return plan.kind === 'rollback' ? 'Rollback applied' : 'Plan applied';
    case 'aborted-drift':
      return 'The server changed since the plan was made';
    default:
      return `${what.charAt(0).toUpperCase()}${what.slice(1)} ${PLAN_STATUS_TEXT[plan.status]}`;
  }
}

/** Cuts text to `max` characters, saying where the rest is. */
function cut(text: string, max: number, planId: string): string {
  const clean = text.replace(/\r\n/g, '\n').trimEnd();
  if (clean.length <= max) return clean;
  if (max === 0) return `(output not shown to keep the card small: ${exportCommand(planId)})`;
  return `${clean.slice(0, max)}… (cut; the full text: ${exportCommand(planId)})`;
}

function statusLine(m: PlanCardModel): string {
  const { plan, job, tally } = m;
  const base = PLAN_STATUS_TEXT[plan.status];
  switch (plan.status) {
    case 'pending-approval': {
      const need = tally.quorum - tally.approvals.length;
      return `Waiting for approval: ${tally.approvals.length} of ${tally.quorum} (${need} more needed) · expires ${when(plan.expiresAt)}`;
    }
    case 'applying':
      if (!job) return base;
      if (job.job.cancelRequested) return 'Cancelling: the runner stops after the current step.';
      return job.job.status === 'queued' ? `Waiting for a runner with the label ${plan.targetLabel}…` : `Applying on ${job.job.runnerName ?? job.job.runnerId ?? 'the runner'}…`;
    case 'rejected':
      return `Rejected by ${tally.rejection?.voterName ?? 'an approver'}: ${tally.rejection?.reason ?? ''}`;
    case 'aborted-drift':
      return 'Stopped before any change: the server changed since the plan was made. Nothing was changed; re-plan to see what is needed now.';
    default:
      return base.charAt(0).toUpperCase() + base.slice(1);
  }
}

function planFacts(m: PlanCardModel): { title: string; value: string }[] {
  const { plan, tally, job } = m;
  const out = [
    { title: 'Requested by', value: `${plan.requesterName} · ${when(plan.createdAt)}` },
    { title: 'Target', value: `${plan.targetLabel} · ${PROFILE_LABEL[plan.plan.profile]}` },
    { title: 'Request', value: plan.requestId },
  ];
  if (plan.kind === 'rollback') out.push({ title: 'Rolls back', value: `${plan.rollbackOf ?? '?'}${plan.follows ? ` (plan ${plan.follows})` : ''}` });
  else if (plan.follows) out.push({ title: 'Follows', value: `plan ${plan.follows}` });
  out.push({ title: 'Plan hash', value: `${short(plan.plan.planHash)}${plan.revision > 1 ? ` (revision ${plan.revision}: votes for earlier revisions do not count)` : ''}` });
  out.push({ title: 'Server state read', value: short(plan.plan.fingerprint) });
  const approvals = tally.approvals.map((v) => `${v.voterName} (${when(v.at)})`).join(', ');
  out.push({ title: 'Approvals', value: `${tally.approvals.length} of ${tally.quorum}${approvals ? `: ${approvals}` : ''}` });
  if (plan.status === 'pending-approval') out.push({ title: 'Expires', value: when(plan.expiresAt) });
  if (job) out.push({ title: 'Job', value: `${job.job.id} · ${job.job.status}` });
  return out;
}

function summary(plan: PlanRecord): { title: string; value: string }[] {
  const wanted = new Set(['edge', 'domains', 'options']);
  return reviewSections(plan.request).filter((s) => wanted.has(s.step)).flatMap((s) => s.facts);
}

/**
 * Whether a preflight run checked something else than the request now holds: every SIP domain
 * and Access Edge FQDN of the request must have been a subject of the run, and nothing more.
 */
export function preflightStale(run: PreflightRun, request: Pick<PlanRecord['request'], 'sipDomains' | 'accessEdgeFqdns'>): boolean {
  const checked = new Set(run.results.map((r) => r.subject.toLowerCase()));
  const wanted = new Set([...request.sipDomains, ...request.accessEdgeFqdns].map((x) => x.toLowerCase()));
  return [...wanted].some((x) => !checked.has(x)) || [...checked].some((x) => !wanted.has(x));
}

/** Problems listed before "and N more" (the card keeps every count; the list names each one). */
const PREFLIGHT_LINES = 10;

function preflightData(run: PreflightRun | null, request: PlanRecord['request'], max = PREFLIGHT_LINES) {
  if (!run) return { shown: false, title: '', summary: '', color: 'default', lines: [] as string[] };
  const s = summarizePreflight(run.results);
  const problems = run.results.filter((r) => r.status !== 'pass');
  const shown = problems.slice(0, max).map((r) => `${r.status === 'fail' ? '✗' : '!'} ${r.subject}: ${r.detail}`);
  const rest = problems.length - shown.length;
  const stale = preflightStale(run, request);
  return {
    shown: true,
    title: `Preflight (${when(run.ranAt)})${stale ? ': run before the request changed, run it again' : ''}`,
    summary: `${s.pass} passed · ${s.fail} failed · ${s.warn} warning${s.warn === 1 ? '' : 's'}`,
    color: s.fail > 0 || stale ? 'attention' : s.warn > 0 ? 'warning' : 'good',
    lines: rest > 0 ? [...shown, `and ${rest} more: "Run preflight" on the request's review card lists every check`] : shown,
  };
}

/** The verification level the server resolved the seed's integer to, from the state after the job. */
function resolvedLevel(plan: PlanRecord, job: JobView | null): string | null {
  const step = plan.plan.steps.find((s) => s.op === 'publicProvider.new' && String(s.params.identity).toLowerCase() === SKYPE_IDENTITY.toLowerCase());
  const provider = job?.result?.after?.publicProviders.find((p) => p.identity.toLowerCase() === SKYPE_IDENTITY.toLowerCase());
  if (!step || !provider || step.params.verificationLevel === undefined) return null;
  return `The server resolved VerificationLevel ${String(step.params.verificationLevel)} of the Skype provider to ${provider.verificationLevel}.`;
}

function report(m: PlanCardModel): { title: string; value: string }[] {
  const { plan, job, tally } = m;
  if (!job || !['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted'].includes(plan.status)) return [];
  const j = job.job;
  const rows = [
    { title: 'Result', value: PLAN_STATUS_TEXT[plan.status] },
    { title: 'Requested by', value: `${plan.requesterName} (${when(plan.createdAt)})` },
    { title: 'Approved by', value: tally.approvals.map((v) => `${v.voterName} (${when(v.at)})`).join(', ') || 'nobody counted' },
    // Short values, one per row: a client that does not wrap fact values (Agents Playground) cuts
    // long ones at the card's edge. The whole plan hash is the first lines of "Show script".
    { title: 'Runner', value: j.runnerName ?? j.runnerId ?? 'none' },
    ...(j.runnerName && j.runnerId ? [{ title: 'Runner id', value: j.runnerId }] : []),
    { title: 'Started', value: j.leasedAt ? when(j.leasedAt) : 'never' },
    { title: 'Finished', value: j.finishedAt ? when(j.finishedAt) : 'not reported' },
    { title: 'Plan hash', value: `${short(plan.plan.planHash)}… (Show script: the whole hash)` },
    { title: 'Job', value: j.id },
  ];
  if (job.result?.error) rows.push({ title: 'Error', value: `${job.result.error.code}: ${job.result.error.message.slice(0, 500)}` });
  if (j.lateAt) {
    // The job was interrupted, then its runner reported what it had done: the steps show that.
    const late = job.events.filter((e) => e.late && e.event.type !== 'log').length;
    rows.push({ title: 'Reported late', value: `after the lease ended, from ${when(j.lateAt)}: ${late} step event(s)${job.result?.late ? ' and the result' : ''}, recorded as late. The steps show what really ran.` });
  }
  if (plan.kind !== 'rollback' && touchesSkype(plan)) rows.push({ title: 'Skype test', value: SKYPE_TEST_GONE });
  rows.push({ title: 'Audit', value: exportCommand(plan.id) });
  return rows;
}

/** The report's word on the functional test the provisioning guide used to end with. */
export const SKYPE_TEST_GONE = 'The old functional test (a Skype user adds a Lync user, and they exchange IM and presence) can no longer be done: '
  + 'Microsoft retired Skype consumer interop on 5 May 2025. Test federation with a partner organisation instead.';

/** Whether the plan configures the Skype public provider (a step, or a step already configured). */
function touchesSkype(plan: PlanRecord): boolean {
  return [...plan.plan.steps, ...plan.plan.alreadyConfigured].some((s) => s.id.startsWith('provider'));
}

/** Replicas the job's result says had not taken the change yet. */
function replicasBehind(m: PlanCardModel) {
  return (m.job?.result?.replication ?? []).filter((r) => !r.upToDate);
}

/**
 * What went wrong or may need a look, one line per fact: a replica not up to date is said once
 * (from the job's result, not again from the runner's log line about the same replicas).
 */
function warnings(m: PlanCardModel): string[] {
  const behind = replicasBehind(m);
  // The plan's own warnings first (the Skype retirement next to the provider steps, what could not be checked).
  const out: string[] = [...m.plan.plan.warnings];
  out.push(...behind.map((r) => `Replica ${r.replicaFqdn} had not taken the change yet (its last update: ${r.lastUpdate ? when(r.lastUpdate) : 'never'}). Replication can take minutes; this is not a failure.`));
  const logged = m.job ? warningsOf(m.job.events.map((e) => e.event)) : [];
  const said = (w: string) => behind.length > 0 && w.startsWith('replicas not yet up to date:');
  out.push(...logged.filter((w) => !said(w)).slice(0, 5).map((w) => w.slice(0, 300)));
  return out;
}

/** Information about the result that is not a warning (what the server made of a value). */
function notes(m: PlanCardModel): string[] {
  const level = resolvedLevel(m.plan, m.job);
  return level ? [level] : [];
}

function notices(m: PlanCardModel): string {
  const lines: string[] = [];
  if (m.notice) lines.push(m.notice);
  if (m.rediscovering) lines.push('Reading the server again for a follow-up plan…');
  for (const f of m.followUps.slice(0, 3)) {
    lines.push(`${f.kind === 'rollback' ? 'Rollback' : 'New plan'} ${f.id}: ${PLAN_STATUS_TEXT[f.status]}.`);
  }
  return lines.join(' ');
}

/**
 * How much of the card to show. Tried from the fullest to the smallest until the card fits:
 * step outputs cut shorter; then runs of grant steps (a per-user plan has one per user, ~1 KB
 * each, up to 200) folded into one summarised row; then every other list cut; and last, a card
 * that lists no step at all (its size no longer depends on the plan).
 */
export interface CardShape {
  /** Output/error characters shown per step. */
  detailMax: number;
  /** Fold runs of grant steps (and of already-granted users) into one row each. */
  foldGrants: boolean;
  /** Cut every other list and long text to a few entries. */
  trimLists: boolean;
  /** Show the steps as one line of counts only (the last resort; always fits). */
  countsOnly: boolean;
}

const FULL: CardShape = { detailMax: DETAIL_LIMITS[0]!, foldGrants: false, trimLists: false, countsOnly: false };
/** Users named in a folded grant row. */
const USERS_SHOWN = 10;
const GRANT_OP = 'externalAccessPolicy.grant';

interface StepRow {
  n: string;
  title: string;
  powershell: string;
  icon: string;
  statusText: string;
  color: string;
  detail: string;
  detailColor: string;
}

interface StepItem {
  step: PlanView['steps'][number];
  progress: StepProgress;
  /** How the step looks now ('not run' for a step a finished job never reached). */
  look: { icon: string; text: string; color: string };
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function stepRow(item: StepItem, n: number, shape: CardShape, planId: string): StepRow {
  const p = item.progress;
  const detailText = p.error ? `${p.error.code}: ${p.error.message}` : p.output ?? '';
  return {
    n: String(n),
    title: shape.trimLists ? clip(item.step.title, 150) : item.step.title,
    powershell: shape.trimLists ? clip(item.step.powershell, 600) : item.step.powershell,
    icon: item.look.icon,
    statusText: `${item.look.text}${p.durationMs !== null ? ` · ${duration(p.durationMs)}` : ''}`,
    color: item.look.color,
    detail: detailText ? cut(detailText, shape.detailMax, planId) : '',
    detailColor: p.error ? 'attention' : 'default',
  };
}

/** One row for a run of grant steps: the command with its policy, how many users, the first few, progress as counts. */
function grantRow(items: StepItem[], first: number, shape: CardShape, planId: string): StepRow {
  const users = items.map((i) => String(i.step.params.user));
  const names = new Map<string, number>();
  for (const i of items) {
    const name = i.step.params.policyName === null || i.step.params.policyName === undefined ? '$null' : String(i.step.params.policyName);
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const policy = names.size === 1
    ? `-PolicyName ${[...names.keys()][0]} to ${plural(users.length, 'user')}`
    : `to ${plural(users.length, 'user')} (${[...names.entries()].slice(0, 5).map(([name, count]) => `-PolicyName ${name}: ${count}`).join(', ')}${names.size > 5 ? ', …' : ''})`;
  const shown = shape.trimLists ? 5 : USERS_SHOWN;
  const listed = users.slice(0, shown).join(', ');
  const count = (status: string) => items.filter((i) => i.look.text.startsWith(status)).length;
  const counts: [string, number][] = [['done', count('done')], ['skipped', count('skipped')], ['failed', count('failed')], ['running', count('running')], ['not run', count('not run')], ['pending', count('pending')]];
  const failed = items.find((i) => i.progress.error);
  const look = counts[2]![1] > 0 ? STEP_LOOK.failed : counts[3]![1] > 0 ? STEP_LOOK.running
    : counts[0]![1] + counts[1]![1] === items.length ? STEP_LOOK.done : counts[4]![1] > 0 ? { icon: '–', text: 'not run', color: 'default' } : STEP_LOOK.pending;
  const errorText = failed?.progress.error ? `${String(failed.step.params.user)}: ${failed.progress.error.code}: ${failed.progress.error.message}` : '';
  return {
    n: `${first}–${first + items.length - 1}`,
    title: `Grant-CsExternalAccessPolicy ${policy}`,
    powershell: `${listed}${users.length > shown ? `, and ${users.length - shown} more (Show script lists every command)` : ''}`,
    icon: look.icon,
    statusText: counts.filter(([, c]) => c > 0).map(([name, c]) => `${c} ${name}`).join(' · '),
    color: look.color,
    detail: errorText ? cut(errorText, Math.max(shape.detailMax, 300), planId) : '',
    detailColor: errorText ? 'attention' : 'default',
  };
}

/** The step rows: one per step, or with runs of grant steps folded into one row each. */
function stepRows(items: StepItem[], shape: CardShape, planId: string): StepRow[] {
  const rows: StepRow[] = [];
  for (let i = 0; i < items.length;) {
    if (shape.foldGrants && items[i]!.step.op === GRANT_OP) {
      let j = i;
      while (j < items.length && items[j]!.step.op === GRANT_OP) j += 1;
      if (j - i > 1) {
        rows.push(grantRow(items.slice(i, j), i + 1, shape, planId));
        i = j;
        continue;
      }
    }
    rows.push(stepRow(items[i]!, i + 1, shape, planId));
    i += 1;
  }
  return rows;
}

/** "Already configured" entries; runs of already-granted users folded into one line when asked. */
function alreadyRows(view: PlanView, shape: CardShape): { title: string; reason: string }[] {
  const rows: { title: string; reason: string }[] = [];
  const all = view.alreadyConfigured;
  for (let i = 0; i < all.length;) {
    if (shape.foldGrants && all[i]!.id.startsWith('grant-')) {
      let j = i;
      while (j < all.length && all[j]!.id.startsWith('grant-')) j += 1;
      if (j - i > 1) {
        const run = all.slice(i, j);
        const users = run.map((a) => a.reason.split(' already ')[0] ?? a.id);
        const shown = shape.trimLists ? 5 : USERS_SHOWN;
        rows.push({ title: `${plural(run.length, 'user')} already have the policy`, reason: `${users.slice(0, shown).join(', ')}${users.length > shown ? `, and ${users.length - shown} more` : ''}` });
        i = j;
        continue;
      }
    }
    rows.push({ title: all[i]!.title, reason: all[i]!.reason });
    i += 1;
  }
  if (!shape.trimLists) return rows;
  const kept = rows.slice(0, 8).map((r) => ({ title: clip(r.title, 150), reason: clip(r.reason, 300) }));
  return rows.length > kept.length ? [...kept, { title: `and ${rows.length - kept.length} more`, reason: 'Show script lists them all' }] : kept;
}

/** The steps as one row of counts (the last resort, whatever the plan's size). */
function countsRow(items: StepItem[], planId: string): StepRow[] {
  if (items.length === 0) return [];
  const tally = new Map<string, number>();
  for (const i of items) tally.set(i.look.text.split(' (')[0]!, (tally.get(i.look.text.split(' (')[0]!) ?? 0) + 1);
  const failed = items.find((i) => i.progress.error);
  return [{
    n: `1–${items.length}`,
    title: `${plural(items.length, 'step')}: too many to list on a card (Show script lists every command)`,
    powershell: [...new Set(items.map((i) => i.step.powershell.split(' ')[0]!))].slice(0, 8).join(', '),
    icon: failed ? STEP_LOOK.failed.icon : '•',
    statusText: [...tally.entries()].map(([name, c]) => `${c} ${name}`).join(' · '),
    color: failed ? STEP_LOOK.failed.color : 'default',
    detail: failed?.progress.error ? cut(`${failed.step.id}: ${failed.progress.error.code}: ${failed.progress.error.message}`, 300, planId) : '',
    detailColor: failed ? 'attention' : 'default',
  }];
}

/** The template data of the approval/status/report card, in the given shape (default: everything). */
export function planCardData(m: PlanCardModel, shape: CardShape = FULL): Record<string, unknown> {
  const { plan, job } = m;
  const view = planView(plan.plan);
  const progress = stepProgress(plan.plan.steps, job?.events.map((e) => e.event) ?? []);
  const final = !['pending-approval', 'approved', 'applying'].includes(plan.status);
  const items: StepItem[] = view.steps.map((step, i) => {
    const p = progress[i]!;
    // A step never reached on a plan that has ended did not run: say so rather than "pending".
    const look = final && p.status === 'pending' && plan.jobId ? { icon: '–', text: 'not run', color: 'default' } : STEP_LOOK[p.status];
    return { step, progress: p, look };
  });
  const steps = shape.countsOnly ? countsRow(items, plan.id) : stepRows(items, shape, plan.id);
  const trim = shape.trimLists || shape.countsOnly;
  const few = <T>(list: T[], max: number): T[] => (trim ? list.slice(0, max) : list);
  const cutFacts = (list: { title: string; value: string }[], max: number) => few(list, max).map((f) => (trim ? { title: f.title, value: clip(f.value, 300) } : f));
  const preflight = preflightData(m.preflight, plan.request, trim ? 3 : PREFLIGHT_LINES);
  const stepsLabel = plan.kind === 'rollback' ? 'Rollback steps' : 'Steps';
  return {
    planId: plan.id,
    planHash: plan.plan.planHash,
    heading: `${plan.targetLabel} · ${plan.id} · ${plan.kind === 'rollback' ? 'rollback' : 'plan'}`,
    title: title(plan),
    statusText: trim ? clip(statusLine(m), 600) : statusLine(m),
    statusColor: STATUS_COLOR[plan.status],
    notice: trim ? clip(notices(m), 600) : notices(m),
    relaxed: m.requesterMayCount && plan.status === 'pending-approval'
      ? 'Local mode without PICBOT_APPROVERS: every user is an approver, and the requester\'s own approval counts.'
      : '',
    facts: cutFacts(planFacts(m), 12),
    summary: cutFacts(summary(plan), shape.countsOnly ? 4 : 12),
    preflight: trim ? { ...preflight, lines: preflight.lines.map((l) => clip(l, 200)) } : preflight,
    stepsTitle: `${stepsLabel} (${items.length}): the exact commands, checked before and after each change`,
    steps,
    already: shape.countsOnly ? [] : alreadyRows(view, shape),
    report: cutFacts(report(m), 12),
    warnings: few(warnings(m), 3).map((w) => (trim ? clip(w, 300) : w)),
    notes: few(notes(m), 3).map((n) => (trim ? clip(n, 300) : n)),
    canVote: plan.status === 'pending-approval',
    reasonValue: trim ? clip(m.reasonValue ?? '', MAX_REASON) : m.reasonValue ?? '',
    voteError: m.voteError ?? '',
    canCancel: plan.status === 'applying' && !(job?.job.cancelRequested ?? false),
    canRollback: ROLLBACK_FROM.has(plan.status) && plan.jobId !== null,
    canRetry: RETRY_FROM.has(plan.status),
    retryTitle: plan.status === 'aborted-drift' ? 'Re-plan' : 'Retry (re-discover and re-plan)',
    refreshUserIds: m.refreshUserIds.slice(0, 60),
    checkpoint: m.checkpoint
      ? `Audit checkpoint at ${m.checkpoint.action === 'plan.approved' ? 'approval' : 'the end of the job'}: ${m.checkpoint.seq}:${m.checkpoint.hash} (picbot audit verify --checkpoint checks the log against it)`
      : '',
  };
}

const fits = (card: Card) => Buffer.byteLength(JSON.stringify(card)) <= CARD_BUDGET_BYTES;

/**
 * The approval/status/report card, always under Teams' size limit: the fullest shape that fits.
 * Each shape is tried only if the smallest variant of the one before did not fit, so a normal
 * plan renders once and a 200-user plan a handful of times.
 */
export function planCard(m: PlanCardModel): Card {
  const render = (shape: CardShape) => renderCard('approval', planCardData(m, shape));
  const tiers: Omit<CardShape, 'detailMax'>[] = [
    { foldGrants: false, trimLists: false, countsOnly: false },
    { foldGrants: true, trimLists: false, countsOnly: false },
    { foldGrants: true, trimLists: true, countsOnly: false },
  ];
  // A card listing every step shows at least each step's whole title: when the titles alone pass
  // the budget, that tier cannot fit, and rendering it (twice) only costs time — most of the
  // render time of a plan of thousands of grants.
  const titleBytes = m.plan.plan.steps.reduce((sum, s) => sum + Buffer.byteLength(s.title), 0);
  for (const tier of tiers) {
    if (!tier.foldGrants && titleBytes > CARD_BUDGET_BYTES) continue;
    const first = render({ ...tier, detailMax: DETAIL_LIMITS[0]! });
    if (fits(first)) return first;
    // With no output at all this tier cannot fit: go on to the next one without trying the rest.
    const smallest = render({ ...tier, detailMax: 0 });
    if (!fits(smallest)) continue;
    for (const detailMax of DETAIL_LIMITS.slice(1, -1)) {
      const card = render({ ...tier, detailMax });
      if (fits(card)) return card;
    }
    return smallest;
  }
  return render({ detailMax: 0, foldGrants: true, trimLists: true, countsOnly: true });
}

/** Short notices: the requester told of a decision, reminders, refusals, follow-ups. */
export function planNoticeCard(input: Parameters<PlanViews['notice']>[0] & { reviewId?: string | null }): Card {
  return renderCard('plan-notice', { heading: input.heading, title: input.title, color: input.color, lines: input.lines, planId: input.planId ?? '', reviewId: input.reviewId ?? '' });
}

/** Script lengths tried until the card (the script twice: CodeBlock and fallback) fits. */
const SCRIPT_LIMITS = [12_000, 8_000, 5_000, 3_000, 1_500];

/**
 * The lines of a script as the fallback shows them, one TextBlock each (renderCard escapes their
 * markdown). An empty line holds one no-break space, so the client keeps its height.
 */
export function scriptLines(script: string): string[] {
  return script.replace(/\n$/, '').split('\n').map((line) => (line === '' ? '\u00a0' : line));
}

/**
 * The whole plan as a PowerShell script, for the clicker to copy: Teams' CodeBlock element
 * (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format#codeblock-in-adaptive-cards),
 * and for clients without it a fallback of monospace lines that keeps every character and line.
 * "Back to the plan" brings the plan card back with its buttons.
 */
export function planScriptCard(plan: PlanRecord): Card {
  const whole = planScript(plan.plan);
  const render = (max: number) => {
    // Cut at a line end, so no line is shown half.
    const script = whole.length <= max ? whole : whole.slice(0, whole.lastIndexOf('\n', max) + 1);
    return renderCard('plan-script', {
      planId: plan.id,
      heading: `${plan.targetLabel} · ${plan.id} · hash ${short(plan.plan.planHash)}`,
      script,
      lines: scriptLines(script),
      cut: script.length < whole.length ? `The script is longer than a card can hold: the first ${script.split('\n').length - 1} lines are shown. The whole script: npx picbot plan export ${plan.id} (on the picbot server, in its folder or with --db)` : '',
    });
  };
  let card = render(Infinity);
  for (const max of SCRIPT_LIMITS) {
    if (fits(card)) break;
    card = render(max);
  }
  return card;
}

/** `plans`: open and recent plans with their status. */
export function planListCard(plans: PlanRecord[], openCount: number): Card {
  return renderCard('plan-list', {
    subtitle: `${openCount} open · ${plans.length} shown, most recent first. "status <plan id>" shows one.`,
    plans: plans.map((p) => ({
      planId: p.id,
      title: `${p.targetLabel} · ${p.kind === 'rollback' ? 'rollback' : 'plan'} ${p.id}`,
      line: `${PLAN_STATUS_TEXT[p.status]} · ${p.plan.steps.length} step${p.plan.steps.length === 1 ? '' : 's'} · by ${p.requesterName} · ${when(p.updatedAt)}`,
    })),
  });
}

const MAX_AUDIT_ROWS = 40;

/** `audit <id>`: the audit trail of a request, plan, job or runner, and the export command. */
export function auditTrailCard(subjectId: string, records: AuditRecord[]): Card {
  const shown = records.slice(-MAX_AUDIT_ROWS);
  return renderCard('audit-trail', {
    subjectId,
    subtitle: records.length === 0 ? 'No audit records name this id.' : `${records.length} record${records.length === 1 ? '' : 's'}, oldest first.`,
    records: shown.map((r) => ({
      head: `#${r.seq} · ${when(r.at)} · ${r.action} · ${r.actor}`,
      detail: JSON.stringify(r.detail).slice(0, 240),
    })),
    more: records.length > shown.length ? `Only the last ${shown.length} are shown here.` : '',
    exportCommand: exportCommand(subjectId),
  });
}

/** The views the plan workflows use on their own (proactive sends and updates). */
export const planViews: PlanViews = { planCard, notice: planNoticeCard };
