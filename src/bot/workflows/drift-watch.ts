/**
 * Drift watch (docs/drift.md): after a plan is applied, picbot keeps the keys it touched as the
 * target's baseline and checks, now and then or when asked, whether the server still shows them.
 * A check is a read-only discovery job through the runner queue; a difference is posted as one
 * drift card per target in the conversation where the last plan was approved, and that card is
 * updated (never posted again) while the drift lasts. From the card an admin plans a restore (a
 * normal plan through the usual approval), accepts the server as it is as the new baseline (with
 * a reason, audited), or snoozes it for 24 hours.
 */
import { baselineOf, differences, driftSignature, mergeBaseline, rebase, restorePlan, type Difference } from '../../core/drift';
import { stepProgress, stepStatuses } from '../../core/job-progress';
import { FINAL_STATUSES, PLAN_STATUS_TEXT } from '../../core/plan-status';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { Card } from '../turn';
import type { CardScheduler } from './card-scheduler';
import type { DriftAlert, DriftBaseline, DriftCheck, DriftMetrics, DriftStore, DriftWatchRecord } from './drift-ports';
import type { NewPlanInput } from './plan-approval';
import { JOB_PURPOSE, type Outcome, type PlanActor, type PreflightRuns } from './plan-context';
import type { AuditLog, CardRef, JobChange, JobQueue, JobRecord, JobResult, PlanRecord, PlanStore, RequestStore, RunnerRegistry } from './ports';
import type { Refusal } from './caller';

/** The JobContext.purpose of drift checks. */
export const DRIFT_PURPOSE = 'drift-check';

/**
 * A runner long-polls at least every 30 s and heartbeats every 20 s while it works: one not seen
 * for longer than this is offline, and a check for its label is "not checked" at once.
 */
export const RUNNER_OFFLINE_AFTER_MS = 90_000;
const SNOOZE_MS = 24 * 3_600_000;
const MAX_REASON = 500;

export type DriftRefusalCode = 'not-admin' | 'not-reader' | 'not-found' | 'no-drift' | 'reason-required' | 'busy' | 'cannot-restore' | 'stale';
export type DriftRefusal = Refusal<DriftRefusalCode>;

/** What starting a check of one target gave. */
export interface CheckStart {
  target: string;
  /** queued: a job went to the runner queue; checking: one was already under way; not-checked: see reason. */
  state: 'queued' | 'checking' | 'not-checked';
  jobId: string | null;
  reason: string | null;
}

/** The views drift watch renders by itself (card updates go out through the card scheduler). */
export interface DriftViews {
  driftCard(model: { record: DriftWatchRecord; preflight: Awaited<ReturnType<PreflightRuns['latest']>>; restorePlan: { id: string; status: string } | null; now: Date; reasonValue?: string; reasonError?: string }): Card;
  checkNotice(lines: string[], done: boolean): Card;
}

export interface DriftWatchDeps {
  store: DriftStore;
  plans: Pick<PlanStore, 'get' | 'byJob' | 'list'>;
  jobs: JobQueue;
  runners: Pick<RunnerRegistry, 'list'>;
  requests: Pick<RequestStore, 'get'>;
  preflightRuns: PreflightRuns | null;
  audit: AuditLog;
  cards: CardScheduler;
  views: DriftViews;
  /** The approval workflow's putUp: a restore plan is a normal plan. */
  putUp: (input: NewPlanInput) => Promise<Outcome<{ plan: PlanRecord }>>;
  metrics: DriftMetrics;
  clock: Clock;
  logger: Logger;
  /** Seconds a runner has to pick a check up before it is "not checked". */
  pickupTimeoutSeconds: number;
}

/** The drift watch use cases (chat, CLI, timer and the job listener call these). */
export interface DriftWatch {
  /** Queues a check of one target (`label`) or of every watched target; `notify` is a card listing the results. */
  check(by: string, label: string | null, notify?: CardRef | null): Promise<CheckStart[] | DriftRefusal>;
  restore(actor: PlanActor, target: string, signature: string): Promise<Outcome<{ plan: PlanRecord }> | DriftRefusal>;
  accept(actor: PlanActor, target: string, signature: string, reason: string): Promise<{ ok: true; record: DriftWatchRecord } | DriftRefusal>;
  snooze(actor: PlanActor, target: string, signature: string): Promise<{ ok: true; record: DriftWatchRecord } | DriftRefusal>;
  /** The drift card as it stands now (re-read), with one clicker's extras. */
  currentCard(target: string, extra?: { reasonValue?: string; reasonError?: string }): Promise<Card | null>;
  status(target: string): Promise<DriftWatchRecord | null>;
  /** Every job change: applied plans set the baseline, finished checks are compared. */
  onJobChange(change: JobChange): Promise<void>;
  /** Resolves when no check result or card is being handled. */
  idle(): Promise<void>;
}

const refuse = (code: DriftRefusalCode, reason: string): DriftRefusal => ({ ok: false, code, reason });

/** What queueing a check needs: the chat, the timer and `picbot drift check` share it. */
export interface DriftCheckDeps {
  store: DriftStore;
  jobs: Pick<JobQueue, 'create' | 'get'>;
  runners: Pick<RunnerRegistry, 'list'>;
  clock: Clock;
  metrics: Pick<DriftMetrics, 'checkRun'>;
  pickupTimeoutSeconds: number;
}

/** Stores a check's end (and counts it). */
async function storeCheck(deps: DriftCheckDeps, record: DriftWatchRecord, result: DriftCheck): Promise<DriftWatchRecord> {
  const next = { ...record, lastCheck: result, updatedAt: deps.clock.now().toISOString() };
  await deps.store.save(next);
  if (result.status !== 'checking') deps.metrics.checkRun(result.status);
  return next;
}

/** Why a target cannot be checked now (no runner, or none seen lately), or null. */
async function offline(deps: DriftCheckDeps, target: string): Promise<string | null> {
  const serving = (await deps.runners.list()).filter((r) => r.revokedAt === null && r.labels.some((l) => l.toLowerCase() === target));
  if (serving.length === 0) return `no runner is enrolled for ${target}`;
  const last = Math.max(...serving.map((r) => Date.parse(r.lastSeenAt)));
  if (deps.clock.now().getTime() - last > RUNNER_OFFLINE_AFTER_MS) return `the runner for ${target} is offline (last seen ${new Date(last).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
  return null;
}

/**
 * Queues a read-only check of one watched target through the runner queue, or says why not (a
 * check already under way is reused; no runner seen lately is "not checked" at once). The job's
 * end is compared by the server's drift watch (its job listener), wherever the check was queued.
 */
export async function queueDriftCheck(deps: DriftCheckDeps, by: string, target: string, notify: CardRef | null): Promise<CheckStart> {
  const record = await deps.store.get(target);
  if (!record) return { target, state: 'not-checked', jobId: null, reason: `picbot watches no target ${target}` };
  const at = deps.clock.now().toISOString();
  const pending = record.lastCheck?.status === 'checking' && record.lastCheck.jobId ? await deps.jobs.get(record.lastCheck.jobId) : null;
  if (pending && (pending.job.status === 'queued' || pending.job.status === 'leased')) {
    return { target, state: 'checking', jobId: pending.job.id, reason: null };
  }
  const why = await offline(deps, target);
  if (why) {
    await storeCheck(deps, record, { status: 'not-checked', askedAt: at, at, jobId: null, reason: why, differences: [], observed: null });
    return { target, state: 'not-checked', jobId: null, reason: why };
  }
  const job = await deps.jobs.create({
    kind: 'discover',
    target,
    profile: record.baseline.profile,
    discovery: record.baseline.scope,
    // No request id: a drift check must never become the "latest discovery" a plan is made from.
    context: { purpose: DRIFT_PURPOSE, requestId: null, planId: null, card: notify },
    createdBy: by,
    pickupTimeoutSeconds: deps.pickupTimeoutSeconds,
  });
  await deps.store.save({ ...record, lastCheck: { status: 'checking', askedAt: at, at: null, jobId: job.id, reason: null, differences: [], observed: null }, updatedAt: at });
  return { target, state: 'queued', jobId: job.id, reason: null };
}

export function createDriftWatch(deps: DriftWatchDeps): DriftWatch {
  const { store, jobs, cards, views, clock, metrics } = deps;
  const log = deps.logger.child({ component: 'drift-watch' });
  const locks = new Map<string, Promise<unknown>>();
  /** The `drift` command's answer cards → the targets they list (lost on restart: only that card stops updating). */
  const notices = new Map<string, { ref: CardRef; targets: string[]; fixed: Map<string, string> }>();
  const now = () => clock.now();
  const iso = () => clock.now().toISOString();

  /** Runs `work` after earlier work on the same target (a check result and a click never interleave). */
  function serialize<T>(target: string, work: () => Promise<T>): Promise<T> {
    const before = locks.get(target) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(() => undefined, () => undefined);
    locks.set(target, settled);
    void settled.then(() => {
      if (locks.get(target) === settled) locks.delete(target);
    });
    return run;
  }

  /** Audits a drift event about `subjectId` (the plan or check job it came from, so `audit <id>` finds it). */
  const audit = (actor: string, action: string, target: string, subjectId: string | null, detail: Record<string, unknown>) =>
    deps.audit.append({ action, actor, subjectId, detail: { target, ...detail } });

  const diffSummary = (diffs: readonly Difference[]) => diffs.map((d) => ({ key: d.id, baseline: d.baseline, now: d.now }));

  async function model(record: DriftWatchRecord, extra: { reasonValue?: string; reasonError?: string } = {}) {
    const preflight = deps.preflightRuns ? await deps.preflightRuns.latest(record.baseline.requestId) : null;
    const planId = record.alert?.restorePlanId ?? null;
    const plan = planId ? await deps.plans.get(planId) : null;
    return { record, preflight, restorePlan: plan ? { id: plan.id, status: PLAN_STATUS_TEXT[plan.status] } : null, now: now(), ...extra };
  }

  async function currentCard(target: string, extra: { reasonValue?: string; reasonError?: string } = {}): Promise<Card | null> {
    const record = await store.get(target);
    if (!record?.alert) return null;
    return views.driftCard(await model(record, extra));
  }

  /** Brings the target's drift card up to date (rendered when its turn comes, from the stored state). */
  function updateCard(target: string, card: CardRef | null): void {
    if (!card) return;
    cards.update(card, () => currentCard(target));
  }

  /** Posts a new drift card where the last plan was approved; returns where it is, or null when it could not be posted. */
  async function postCard(record: DriftWatchRecord): Promise<CardRef | null> {
    const conversationId = record.baseline.conversationId;
    try {
      const activityId = await cards.send(conversationId, views.driftCard(await model(record)));
      return { conversationId, activityId };
    } catch (err) {
      log.error({ err, target: record.baseline.target, conversationId }, 'posting the drift card failed; the next check tries again');
      return null;
    }
  }

  async function countOpen(): Promise<void> {
    metrics.driftsOpen((await store.list()).filter((r) => r.alert?.state === 'open').length);
  }

  // ── the baseline ───────────────────────────────────────────────────────────────────────────
  /** An apply or rollback job ended: the keys its steps touched, as its read after the last change shows them, join the baseline. */
  async function recordApplied(job: JobRecord, result: JobResult | null): Promise<void> {
    if (!result?.after) return;
    const plan = (await deps.plans.byJob(job.id)) ?? (job.context.planId ? await deps.plans.get(job.context.planId) : null);
    if (!plan) return;
    const view = await jobs.get(job.id);
    const statuses = stepStatuses(stepProgress(plan.plan.steps, (view?.events ?? []).map((e) => e.event)));
    const entries = baselineOf(plan.plan.steps, statuses, result.after);
    if (entries.length === 0) return;
    const target = plan.targetLabel.toLowerCase();
    await serialize(target, async () => {
      const existing = await store.get(target);
      const at = iso();
      const union = (a: string[], b: string[]) => [...new Map([...a, ...b].map((x) => [x.toLowerCase(), x])).values()];
      const baseline: DriftBaseline = {
        target,
        profile: plan.plan.profile,
        requestId: plan.requestId,
        planId: plan.id,
        conversationId: plan.card?.conversationId ?? plan.requestedIn,
        scope: {
          users: union(existing?.baseline.scope.users ?? [], plan.discovery.users),
          clientPolicyIdentities: union(existing?.baseline.scope.clientPolicyIdentities ?? [], plan.discovery.clientPolicyIdentities),
        },
        entries: mergeBaseline(existing?.baseline.entries ?? [], entries),
        since: at,
        setBy: plan.id,
      };
      let alert = existing?.alert ?? null;
      if (alert?.state === 'open') {
        // The plan may have put drifted keys back (a restore plan does): what its read shows decides.
        const left = differences(baseline.entries, result.after!).filter((d) => alert!.differences.some((a) => a.id === d.id));
        alert = left.length === 0
          ? { ...alert, state: 'resolved', closedAt: at, closedBy: null, note: `plan ${plan.id} was applied.`, checkedAt: at }
          : { ...alert, differences: left, signature: driftSignature(left), checkedAt: at };
      }
      const record: DriftWatchRecord = { baseline, lastCheck: existing?.lastCheck ?? null, alert, updatedAt: at };
      await store.save(record);
      await audit('picbot', existing ? 'drift.baseline-extended' : 'drift.baseline-set', target, plan.id, { planId: plan.id, jobId: job.id, keys: entries.map((e) => e.key) });
      log.info({ target, planId: plan.id, keys: entries.length }, 'drift baseline updated');
      if (alert && existing?.alert?.state === 'open') updateCard(target, alert.card);
    });
    await countOpen();
  }

  // ── checks ─────────────────────────────────────────────────────────────────────────────────
  const checkDeps: DriftCheckDeps = { store, jobs, runners: deps.runners, clock, metrics, pickupTimeoutSeconds: deps.pickupTimeoutSeconds };
  const startCheck = (by: string, record: DriftWatchRecord, notify: CardRef | null) =>
    serialize(record.baseline.target, () => queueDriftCheck(checkDeps, by, record.baseline.target, notify));

  async function check(by: string, label: string | null, notify: CardRef | null = null): Promise<CheckStart[] | DriftRefusal> {
    const records = label === null ? await store.list() : [await store.get(label.toLowerCase())].filter((r): r is DriftWatchRecord => r !== null);
    if (label !== null && records.length === 0) return refuse('not-found', `picbot watches no target ${label}: drift watch starts once picbot has applied a plan there.`);
    const started: CheckStart[] = [];
    for (const record of records) started.push(await startCheck(by, record, notify));
    if (notify) {
      notices.set(notify.activityId, { ref: notify, targets: started.map((s) => s.target), fixed: new Map(started.filter((s) => s.state === 'not-checked').map((s) => [s.target, s.reason ?? ''])) });
      updateNotice(notify.activityId);
    }
    return started;
  }

  const finishCheck = (record: DriftWatchRecord, result: DriftCheck) => storeCheck(checkDeps, record, result);

  function noticeLine(target: string, record: DriftWatchRecord | null, fixed: string | undefined): { line: string; done: boolean } {
    if (fixed !== undefined) return { line: `${target}: not checked (${fixed}).`, done: true };
    const c = record?.lastCheck;
    if (!c || c.status === 'checking') return { line: `${target}: reading the server${c?.jobId ? ` (${c.jobId})` : ''}…`, done: false };
    if (c.status === 'clean') return { line: `${target}: no drift.`, done: true };
    if (c.status === 'drift') return { line: `${target}: drift in ${c.differences.length} setting(s); see the drift card.`, done: true };
    return { line: `${target}: not checked (${c.reason ?? 'no reason given'}).`, done: true };
  }

  function updateNotice(activityId: string): void {
    const notice = notices.get(activityId);
    if (!notice) return;
    cards.update(notice.ref, async () => {
      const lines: string[] = [];
      let done = true;
      for (const target of notice.targets) {
        const l = noticeLine(target, await store.get(target), notice.fixed.get(target));
        lines.push(l.line);
        done &&= l.done;
      }
      if (done) notices.delete(activityId);
      return views.checkNotice(lines.length > 0 ? lines : ['picbot watches no target yet: drift watch starts once picbot has applied a plan.'], done);
    });
  }

  /** A check job ended: compare, store, and post or update the drift card. A check that did not read the server is "not checked", never clean. */
  async function checkFinished(job: JobRecord, result: JobResult | null): Promise<void> {
    const target = job.target.toLowerCase();
    await serialize(target, async () => {
      const record = await store.get(target);
      if (!record) return;
      const askedAt = record.lastCheck?.jobId === job.id ? record.lastCheck.askedAt : job.createdAt;
      if (job.status !== 'succeeded' || !result?.observed) {
        const reason = job.status === 'expired'
          ? `no runner for ${target} picked the check up within ${deps.pickupTimeoutSeconds} s (offline?)`
          : `the check job ${job.id} ended ${job.status}${result?.error ? `: ${result.error.message}` : ''}`;
        await finishCheck(record, { status: 'not-checked', askedAt, at: iso(), jobId: job.id, reason, differences: [], observed: null });
        log.warn({ target, jobId: job.id, status: job.status }, 'drift check did not read the server');
        return;
      }
      const diffs = differences(record.baseline.entries, result.observed);
      const checked = await finishCheck(record, { status: diffs.length > 0 ? 'drift' : 'clean', askedAt, at: iso(), jobId: job.id, reason: null, differences: diffs, observed: result.observed });
      await alertOn(checked, diffs);
    });
    await countOpen();
    if (job.context.card) updateNotice(job.context.card.activityId);
  }

  /** The drift card after a check: posted once per drift, updated while it lasts, closed when the server is back. */
  async function alertOn(record: DriftWatchRecord, diffs: Difference[]): Promise<void> {
    const at = iso();
    const { target } = record.baseline;
    const alert = record.alert;
    if (diffs.length === 0) {
      if (alert?.state !== 'open') return;
      const closed: DriftAlert = { ...alert, state: 'resolved', checkedAt: at, closedAt: at, closedBy: null, note: 'a check found the watched settings as in the baseline.' };
      await store.save({ ...record, alert: closed, updatedAt: at });
      await audit('picbot', 'drift.resolved', target, record.lastCheck?.jobId ?? null, { jobId: record.lastCheck?.jobId ?? null });
      updateCard(target, closed.card);
      return;
    }
    const signature = driftSignature(diffs);
    if (alert?.state === 'open' && alert.card) {
      const snoozedUntil = alert.snoozedUntil ? Date.parse(alert.snoozedUntil) : null;
      if (snoozedUntil !== null && snoozedUntil > now().getTime()) {
        // Snoozed: the check is stored, the card stays as it is.
        await store.save({ ...record, alert: { ...alert, differences: diffs, signature, checkedAt: at }, updatedAt: at });
        return;
      }
      if (snoozedUntil === null) {
        const updated: DriftAlert = { ...alert, differences: diffs, signature, checkedAt: at };
        await store.save({ ...record, alert: updated, updatedAt: at });
        if (alert.signature !== signature) await audit('picbot', 'drift.changed', target, record.lastCheck?.jobId ?? null, { jobId: record.lastCheck?.jobId ?? null, differences: diffSummary(diffs) });
        updateCard(target, updated.card);
        return;
      }
      // The snooze ran out and the drift is still there: a new card reminds (the old one says so).
      const old = alert.card;
      await store.save({ ...record, alert: { ...alert, state: 'resolved', closedAt: at, closedBy: null, note: 'still drifted after the snooze; see the newer drift card.' }, updatedAt: at });
      updateCard(target, old);
    }
    // Open, but its card was never posted (the conversation could not be reached): post it now.
    const unposted = alert?.state === 'open' && !alert.card;
    const opened: DriftAlert = unposted
      ? { ...alert, differences: diffs, signature, checkedAt: at }
      : { state: 'open', card: null, signature, openedAt: at, checkedAt: at, differences: diffs, snoozedUntil: null, restorePlanId: null, closedAt: null, closedBy: null, note: null };
    let saved: DriftWatchRecord = { ...(await store.get(target))!, alert: opened, updatedAt: at };
    await store.save(saved);
    if (!unposted) await audit('picbot', 'drift.detected', target, record.lastCheck?.jobId ?? null, { jobId: record.lastCheck?.jobId ?? null, differences: diffSummary(diffs) });
    const card = await postCard(saved);
    if (card) {
      saved = { ...saved, alert: { ...opened, card } };
      await store.save(saved);
    }
  }

  // ── the card's buttons ─────────────────────────────────────────────────────────────────────
  /** The open drift of a target, checked against what the clicked card showed. */
  async function openDrift(target: string, signature: string): Promise<{ ok: true; record: DriftWatchRecord & { alert: DriftAlert } } | DriftRefusal> {
    const record = await store.get(target);
    if (!record) return refuse('not-found', `picbot watches no target ${target}.`);
    const { alert } = record;
    if (!alert || alert.state !== 'open') return refuse('no-drift', `There is no open drift on ${target}${alert?.state === 'resolved' ? ': it is back to baseline' : alert?.state === 'accepted' ? ': it was accepted as the new baseline' : ''}.`);
    if (signature !== '' && signature !== alert.signature) return refuse('stale', 'The drift changed since this card was drawn; it now shows the latest check. Look again, then choose.');
    return { ok: true, record: { ...record, alert } };
  }

  async function restore(actor: PlanActor, target: string, signature: string): Promise<Outcome<{ plan: PlanRecord }> | DriftRefusal> {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may plan a restore (it becomes a plan that needs approval).');
    return serialize(target, async () => {
      const open = await openDrift(target, signature);
      if (!open.ok) return open;
      const { record } = open;
      if (record.alert.restorePlanId) {
        const existing = await deps.plans.get(record.alert.restorePlanId);
        if (existing && !FINAL_STATUSES.has(existing.status)) return refuse('busy', `The restore plan ${existing.id} is already ${PLAN_STATUS_TEXT[existing.status]}.`);
      }
      const observed = record.lastCheck?.status === 'drift' ? record.lastCheck.observed : null;
      if (!observed) return refuse('cannot-restore', `The last check of ${target} did not read the server; say "drift ${target}" to check again first.`);
      const built = restorePlan(record.baseline.profile, record.baseline.entries, observed);
      if (built.refusals.length > 0) return refuse('cannot-restore', built.refusals.map((r) => r.reason).join(' '));
      if (built.plan.steps.length === 0) return refuse('no-drift', 'Nothing to restore: the last check found the watched settings as in the baseline.');
      // putUp re-plans a pending plan of the same request in place: never replace someone's plan with a restore.
      const pending = (await deps.plans.list({ requestId: record.baseline.requestId, statuses: ['pending-approval'] })).find((p) => p.kind === 'apply' && p.id !== record.alert.restorePlanId);
      if (pending) return refuse('busy', `Plan ${pending.id} of the same request is waiting for approval: approve or reject it first, then plan the restore.`);
      const request = (await deps.requests.get(record.baseline.requestId))?.request ?? (await deps.plans.get(record.baseline.planId))?.request;
      if (!request) return refuse('not-found', `The provisioning request ${record.baseline.requestId} of the baseline is gone.`);
      const put = await deps.putUp({ kind: 'apply', requestId: record.baseline.requestId, request, plan: built.plan, discovery: record.baseline.scope, actor, rollbackOf: null, follows: null });
      if (!put.ok) return put;
      await store.save({ ...record, alert: { ...record.alert, restorePlanId: put.plan.id }, updatedAt: iso() });
      metrics.restorePlan();
      await audit(actor.id, 'drift.restore-requested', target, put.plan.id, { planId: put.plan.id, steps: built.plan.steps.map((s) => s.id), differences: diffSummary(record.alert.differences) });
      updateCard(target, record.alert.card);
      return put;
    });
  }

  async function accept(actor: PlanActor, target: string, signature: string, reason: string) {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may accept a drift as the new baseline.');
    const why = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    if (why.length === 0) return refuse('reason-required', 'Give a reason: it is kept in the audit log with the new baseline.');
    if (why.length > MAX_REASON) return refuse('reason-required', `The reason is too long (${MAX_REASON} characters at most).`);
    return serialize(target, async (): Promise<{ ok: true; record: DriftWatchRecord } | DriftRefusal> => {
      const open = await openDrift(target, signature);
      if (!open.ok) return open;
      const { record } = open;
      const observed = record.lastCheck?.status === 'drift' ? record.lastCheck.observed : null;
      if (!observed) return refuse('cannot-restore', `The last check of ${target} did not read the server; say "drift ${target}" to check again first.`);
      const at = iso();
      const next: DriftWatchRecord = {
        ...record,
        baseline: { ...record.baseline, entries: rebase(record.baseline.entries, observed), since: at, setBy: actor.id },
        alert: { ...record.alert, state: 'accepted', closedAt: at, closedBy: actor.name, note: why },
        updatedAt: at,
      };
      await store.save(next);
      await audit(actor.id, 'drift.accepted', target, record.lastCheck?.jobId ?? null, { reason: why, differences: diffSummary(record.alert.differences), jobId: record.lastCheck?.jobId ?? null });
      updateCard(target, record.alert.card);
      return { ok: true, record: next };
    }).finally(() => void countOpen().catch((err: unknown) => log.warn({ err, target }, 'counting open drifts failed')));
  }

  async function snooze(actor: PlanActor, target: string, signature: string) {
    if (!actor.reader) return refuse('not-reader', 'Only picbot admins and approvers may snooze a drift.');
    return serialize(target, async (): Promise<{ ok: true; record: DriftWatchRecord } | DriftRefusal> => {
      const open = await openDrift(target, signature);
      if (!open.ok) return open;
      const until = new Date(now().getTime() + SNOOZE_MS).toISOString();
      const next: DriftWatchRecord = { ...open.record, alert: { ...open.record.alert, snoozedUntil: until }, updatedAt: iso() };
      await store.save(next);
      await audit(actor.id, 'drift.snoozed', target, open.record.lastCheck?.jobId ?? null, { until });
      updateCard(target, open.record.alert.card);
      return { ok: true, record: next };
    });
  }

  const running = new Set<Promise<void>>();
  async function onJobChange(change: JobChange): Promise<void> {
    if (change.type !== 'finished' && change.type !== 'late-result') return;
    const { job } = change;
    // An interrupted apply's late result still tells what the server now holds (a restore or
    // rollback that follows records its own read in turn).
    const work = job.context.purpose === JOB_PURPOSE.apply ? recordApplied(job, change.result)
      : change.type === 'finished' && job.context.purpose === DRIFT_PURPOSE ? checkFinished(job, change.result)
        : null;
    if (!work) return;
    running.add(work);
    try {
      await work;
    } finally {
      running.delete(work);
    }
  }

  return {
    check,
    restore,
    accept,
    snooze,
    currentCard,
    status: (target) => store.get(target.toLowerCase()),
    onJobChange,
    async idle() {
      do {
        while (running.size > 0) await Promise.allSettled([...running]);
        await cards.idle();
      } while (running.size > 0);
    },
  };
}
