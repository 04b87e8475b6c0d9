/**
 * Apply, progress and report (DESIGN §1.7–1.9, issue 4 §3–§4): an approved plan becomes a signed
 * apply (or rollback) job for the target's runners; the job's events keep the plan's card up to
 * date; its end is the report. Cancel, rollback and retry start here. A restart loses nothing:
 * the runner gateway stores events as they arrive, and `resync` brings plans and cards up to date.
 */
import { tally } from '../../core/approval-policy';
import { discoveryScope } from '../../core/discovery-scope';
import { stepProgress, stepStatuses } from '../../core/job-progress';
import { nextPlanStatus, PLAN_STATUS_TEXT, RETRY_FROM, ROLLBACK_FROM, FINAL_STATUSES, type JobOutcome } from '../../core/plan-status';
import { planHash } from '../../core/planner';
import { rollbackPlan } from '../../core/rollback-plan';
import { fingerprint, type ObservedState } from '../../contracts/observed';
import { CodedError } from '../../shared/errors';
import type { ApprovalWorkflow } from './plan-approval';
import { JOB_PURPOSE, refuse, type Outcome, type PlanActor, type PlanContext } from './plan-context';
import type { JobChange, JobRecord, JobResult, JobView, PlanRecord } from './ports';

const FINAL_JOB = new Set(['succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired']);

/** How a finished job ends its plan. A job nobody leased in time counts as interrupted. */
function outcomeOf(job: JobRecord): JobOutcome {
  return job.status === 'expired' ? 'interrupted' : (job.status as JobOutcome);
}

const OUTCOME_TITLE: Record<JobOutcome, { title: string; color: 'good' | 'attention' | 'warning' }> = {
  succeeded: { title: 'Your plan was applied', color: 'good' },
  failed: { title: 'Your plan failed', color: 'attention' },
  'aborted-drift': { title: 'Your plan was not applied: the server changed', color: 'warning' },
  cancelled: { title: 'Your plan was cancelled', color: 'warning' },
  interrupted: { title: 'Your plan was interrupted', color: 'attention' },
};

export function createApplyWorkflow(ctx: PlanContext, approval: () => ApprovalWorkflow) {
  const { deps, log } = ctx;
  const { plans, votes, jobs } = deps;

  /** Creates the signed job of an approved plan, after checking again what it was approved for. */
  async function dispatch(planId: string): Promise<void> {
    await ctx.serialize(planId, async () => {
      const plan = await plans.get(planId);
      if (!plan || plan.status !== 'approved') return;
      // Fail closed at the last moment too: the votes are counted again, and the hash is
      // recomputed from the stored steps, so a plan altered after approval never runs.
      const planVotes = await votes.list(planId);
      const counted = tally({ ...plan, planHash: plan.plan.planHash }, planVotes, ctx.approverCheck(), ctx.policyConfig);
      const recomputed = planHash(plan.plan.profile, plan.plan.fingerprint, plan.plan.steps);
      if (recomputed !== plan.plan.planHash) return refuseDispatch(plan, 'the stored plan no longer matches the hash that was approved', { recomputed });
      if (counted.outcome !== 'approved') return refuseDispatch(plan, 'the approvals no longer reach the quorum (an approver was removed?)', { approvals: counted.approvals.length });

      const existing = (await jobs.list({ planId, purpose: JOB_PURPOSE.apply, limit: 5 }))[0];
      let job: JobRecord;
      try {
        job = existing ?? await jobs.create({
          kind: plan.kind,
          target: plan.targetLabel,
          profile: plan.plan.profile,
          discovery: plan.discovery,
          steps: plan.plan.steps,
          expectedFingerprint: plan.plan.fingerprint,
          planHash: plan.plan.planHash,
          approvals: counted.approvals.map((v) => ({ approver: `${v.voterName} (${v.voterId})`, at: v.at })),
          context: { purpose: JOB_PURPOSE.apply, requestId: plan.requestId, planId: plan.id, card: plan.card },
          createdBy: plan.requesterId,
          pickupTimeoutSeconds: null,
        });
      } catch (err) {
        if (err instanceof CodedError && err.code === 'bad_request') return refuseDispatch(plan, err.message, {});
        throw err;
      }
      const t = nextPlanStatus(plan.status, { type: 'dispatch' });
      const moved = t.ok ? await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status, jobId: job.id }, [{
        action: 'plan.dispatched', actor: 'picbot', subjectId: plan.id,
        detail: { jobId: job.id, kind: plan.kind, target: plan.targetLabel, planHash: plan.plan.planHash, approvals: counted.approvals.map((v) => v.voterId) },
      }]) : null;
      if (!moved) {
        log.warn({ planId, jobId: job.id }, 'the plan moved while its job was created; cancelling the job');
        await jobs.cancel(job.id, 'picbot');
        return;
      }
      ctx.updateCard(plan.id, moved.card);
      // The job may have finished before the plan moved to applying (a very fast runner).
      const view = await jobs.get(job.id);
      if (view && FINAL_JOB.has(view.job.status)) await finish(moved, view.job, view.result);
    });
  }

  async function refuseDispatch(plan: PlanRecord, why: string, detail: Record<string, unknown>): Promise<void> {
    const t = nextPlanStatus(plan.status, { type: 'dispatch-refused' });
    if (!t.ok) return;
    const moved = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [{ action: 'plan.dispatch-refused', actor: 'picbot', subjectId: plan.id, detail: { reason: why, ...detail } }]);
    if (!moved) return;
    log.error({ planId: plan.id, reason: why }, 'refused to dispatch an approved plan');
    ctx.updateCard(plan.id, moved.card);
    await ctx.tellRequester(moved, 'Your plan was not started', 'attention', [`picbot refused to start plan ${plan.id}: ${why}. Nothing was changed.`]);
  }

  /** The end of an apply/rollback job: the plan takes the job's outcome (once). */
  async function finish(plan: PlanRecord, job: JobRecord, result: JobResult | null): Promise<void> {
    const outcome = outcomeOf(job);
    const t = nextPlanStatus(plan.status, { type: 'job-finished', outcome });
    if (!t.ok) return;
    const warnings = (result?.replication ?? []).filter((r) => !r.upToDate).map((r) => r.replicaFqdn);
    const moved = await plans.update(plan.id, { status: plan.status, revision: plan.revision }, { status: t.status }, [{
      action: 'plan.finished', actor: 'picbot', subjectId: plan.id,
      detail: { jobId: job.id, outcome, runner: job.runnerName ?? job.runnerId, error: result?.error ?? null, replicasBehind: warnings },
    }]);
    if (!moved) return;
    ctx.updateCard(plan.id, moved.card);
    const what = plan.kind === 'rollback' ? 'The rollback' : 'The plan';
    const lines: Record<JobOutcome, string> = {
      succeeded: `${what} ${plan.id} for ${plan.targetLabel} was applied${warnings.length > 0 ? `; ${warnings.length} replica(s) were not up to date yet (replication can take minutes)` : ''}.`,
      failed: `${what} ${plan.id} for ${plan.targetLabel} stopped at a failed step: ${result?.error?.message ?? 'see the report'}. The report offers a rollback.`,
      'aborted-drift': `The server changed since plan ${plan.id} was made, so nothing was changed. Re-plan from the report.`,
      cancelled: `${what} ${plan.id} for ${plan.targetLabel} was cancelled; it stopped after the step that was running.`,
      interrupted: `The runner stopped answering during plan ${plan.id} (or none picked it up). Re-discover and plan again, or roll back what was done.`,
    };
    const look = OUTCOME_TITLE[outcome];
    const closed = outcome === 'succeeded' && plan.kind === 'apply' && await closeIntake(plan);
    const closedLine = closed ? [`Its intake ${plan.requestId} is closed: the request record stays ("status ${plan.requestId}"), and "start" begins a new one.`] : [];
    await ctx.tellRequester(moved, plan.kind === 'rollback' ? look.title.replace('plan', 'rollback') : look.title, look.color, [lines[outcome], ...closedLine]);
  }

  /**
   * An applied plan finishes the intake it came from (as "Finish" on the review would), so the
   * admin is not later offered to resume or discard an intake whose plan is done. True when it
   * closed an open intake.
   */
  async function closeIntake(plan: PlanRecord): Promise<boolean> {
    const drafts = deps.drafts;
    if (!drafts) return false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const draft = await drafts.get(plan.requestId);
      if (!draft || draft.state !== 'open') return false;
      const saved = await drafts.update({ ...draft, state: 'closed', position: 'review', updatedAt: deps.clock.now().toISOString() });
      if (saved.ok) {
        await ctx.audit('picbot', 'intake.finished', plan.requestId, { by: 'plan-applied', planId: plan.id });
        return true;
      }
      // Saved by someone else meanwhile (stale): read it again.
    }
    return false;
  }

  /** Full step output and errors go to the audit log (the card shows them cut to fit). */
  async function auditSteps(planId: string, job: JobRecord, change: Extract<JobChange, { type: 'events' }>): Promise<void> {
    for (const e of change.events) {
      if (e.type !== 'step-finished' || (e.output === undefined && e.error === undefined)) continue;
      await ctx.audit(job.runnerId ?? 'runner', 'plan.step-output', planId, { jobId: job.id, stepId: e.stepId, status: e.status, output: e.output ?? null, error: e.error ?? null });
    }
  }

  /** Every job change the runner gateway tells: progress on the card, the end of a plan, follow-ups. */
  async function onJobChange(change: JobChange): Promise<void> {
    const { job } = change;
    const planId = job.context.planId;
    if (!planId) return;
    if (job.context.purpose === JOB_PURPOSE.apply) {
      // Progress comes in many batches: only the plan's id and card place are read for those.
      const plan = (await plans.cardOfJob(job.id)) ?? (await plans.get(planId));
      if (!plan) return;
      if (change.type === 'events') await auditSteps(plan.id, job, change);
      if (change.type === 'finished') await ctx.serialize(plan.id, async () => {
        const current = await plans.get(plan.id);
        if (current && current.jobId === job.id) await finish(current, job, change.result);
      });
      else ctx.updateCard(plan.id, plan.card);
      return;
    }
    if (change.type !== 'finished') return;
    if (job.context.purpose === JOB_PURPOSE.replan) await afterRediscovery(planId, job, change.result);
    if (job.context.purpose === JOB_PURPOSE.rollbackRead) await afterRollbackRead(planId, job, change.result);
  }

  /** Who asked for a follow-up job, as the new plan's requester (the job keeps only the id). */
  async function askerOf(job: JobRecord, source: PlanRecord): Promise<PlanActor> {
    const known = job.createdBy === source.requesterId ? source.requesterName : (await deps.userIds.get(job.createdBy))?.name;
    return { id: job.createdBy, aadObjectId: job.createdBy.startsWith('teams:') ? null : job.createdBy, name: known || job.createdBy, admin: true, reader: true, conversationId: source.requestedIn };
  }

  async function afterRediscovery(planId: string, job: JobRecord, result: JobResult | null): Promise<void> {
    const source = await plans.get(planId);
    if (!source) return;
    ctx.updateCard(source.id, source.card);
    if (job.status !== 'succeeded' || !result?.observed) {
      await ctx.tellRequester(source, 'Re-discovery did not finish', 'attention', [rediscoveryProblem(job, result)]);
      return;
    }
    if (source.kind === 'rollback') {
      // Retrying a rollback means rolling back the original plan's job again, from the state now;
      // re-planning the forward request here would undo the rollback's purpose.
      const original = source.follows ? await plans.get(source.follows) : null;
      if (!original) {
        await ctx.tellRequester(source, 'No rollback plan', 'attention', [`The plan ${source.follows ?? '?'} that rollback ${source.id} undoes is gone.`]);
        return;
      }
      const built = await buildRollback(await askerOf(job, source), original, result.observed);
      if (!built.ok) await ctx.tellRequester(source, 'No rollback plan', built.code === 'nothing-to-change' ? 'good' : 'attention', built.refusals ? built.refusals.map((r) => r.reason) : [built.reason]);
      return;
    }
    const record = await deps.requests.get(source.requestId);
    const request = record?.request ?? source.request;
    const planned = approval().planFor(request, result.observed);
    if (!planned.ok) {
      await ctx.audit(job.createdBy, planned.code === 'plan-refused' ? 'plan.refused' : 'plan.nothing-to-change', source.requestId, { follows: source.id, jobId: job.id, refusals: planned.refusals?.map((r) => r.code) ?? [] });
      const lines = planned.refusals ? planned.refusals.map((r) => r.reason) : [planned.reason];
      await ctx.tellRequester(source, planned.code === 'plan-refused' ? 'The new plan was refused' : 'Nothing left to change', planned.code === 'plan-refused' ? 'attention' : 'good', lines);
      return;
    }
    const actor = await askerOf(job, source);
    const put = await approval().putUp({ kind: 'apply', requestId: source.requestId, request, plan: planned.plan, discovery: discoveryScope(request), actor, rollbackOf: null, follows: source.id });
    if (put.ok) ctx.updateCard(source.id, source.card);
  }

  async function afterRollbackRead(planId: string, job: JobRecord, result: JobResult | null): Promise<void> {
    const source = await plans.get(planId);
    if (!source) return;
    ctx.updateCard(source.id, source.card);
    if (job.status !== 'succeeded' || !result?.observed) {
      await ctx.tellRequester(source, 'Reading the server for the rollback did not finish', 'attention', [rediscoveryProblem(job, result)]);
      return;
    }
    const open = await openRollbackOf(source);
    if (open) return;
    const actor = await askerOf(job, source);
    const built = await buildRollback(actor, source, result.observed);
    if (!built.ok) await ctx.tellRequester(source, 'No rollback plan', built.code === 'nothing-to-change' ? 'good' : 'attention', built.refusals ? built.refusals.map((r) => r.reason) : [built.reason]);
  }

  function rediscoveryProblem(job: JobRecord, result: JobResult | null): string {
    if (job.status === 'expired') return `No runner with the label ${job.target} picked up the discovery in time. Start a runner for ${job.target}, then try again.`;
    return `The discovery job ${job.id} ended ${job.status}${result?.error ? `: ${result.error.message}` : ''}.`;
  }

  /**
   * The state before the apply when the job reported none (it ended before its result, or its
   * runner was lost): the read the plan was made from. The runner changes nothing unless the
   * state it reads first has exactly that fingerprint, so that read is the state before.
   */
  async function capturedBefore(source: PlanRecord): Promise<ObservedState | null> {
    const reads = await jobs.list({ requestId: source.requestId, statuses: ['succeeded'], limit: 50 });
    for (const job of reads) {
      // Only the result is needed: the card view spares reading every event of each job.
      const view = await jobs.cardView(job.id);
      const observed = view?.result?.observed ?? null;
      if (observed && fingerprint(observed) === source.plan.fingerprint) return observed;
    }
    return null;
  }

  /** Builds the rollback plan of a finished job from its captured state, and puts it up for approval. */
  async function buildRollback(actor: PlanActor, source: PlanRecord, current: ObservedState) {
    const view = source.jobId ? await jobs.get(source.jobId) : null;
    if (!view) return refuse('no-rollback', `Plan ${source.id} has no job to roll back.`);
    const progress = stepProgress(source.plan.steps, view.events.map((e) => e.event));
    const captured = view.result?.observed ?? await capturedBefore(source);
    const rb = rollbackPlan({
      profile: source.plan.profile,
      steps: source.plan.steps,
      statuses: stepStatuses(progress),
      current,
      planFingerprint: source.plan.fingerprint,
      ...(captured ? { captured } : {}),
    });
    if (rb.refusals.length > 0) {
      await ctx.audit(actor.id, 'plan.rollback-refused', source.id, { jobId: view.job.id, refusals: rb.refusals.map((r) => r.code) });
      return refuse('plan-refused', 'The rollback plan was refused.', { refusals: rb.refusals });
    }
    if (rb.steps.length === 0) {
      await ctx.audit(actor.id, 'plan.rollback-nothing', source.id, { jobId: view.job.id });
      return refuse('nothing-to-change', `Job ${view.job.id} changed nothing, so there is nothing to roll back.`);
    }
    return approval().putUp({ kind: 'rollback', requestId: source.requestId, request: source.request, plan: rb, discovery: source.discovery, actor, rollbackOf: view.job.id, follows: source.id });
  }

  /**
   * "Roll back" on the report: the server is read again first, and the rollback plan is built
   * from the job's captured state and statuses checked against that fresh read. Building it from
   * the job's own read after its last change would pin the rollback to that moment: any later
   * change on the server, even an unrelated one, would end every rollback in aborted-drift.
   */
  async function rollback(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.rollback-refused', planId, await rollbackAsked(actor, planId));
  }

  /** An open (not final) rollback plan of `source`, if any: a second one would undo the same job twice. */
  async function openRollbackOf(source: PlanRecord): Promise<PlanRecord | undefined> {
    const related = await plans.list({ requestId: source.requestId, limit: 50 });
    return related.find((p) => p.follows === source.id && p.kind === 'rollback' && !FINAL_STATUSES.has(p.status));
  }

  /** A read for a follow-up of this plan that is still queued or running, if any. */
  async function readingFor(planId: string): Promise<JobRecord | undefined> {
    return (await jobs.list({ planId, statuses: ['queued', 'leased'], limit: 5 })).find((j) => j.context.purpose !== JOB_PURPOSE.apply);
  }

  async function rollbackAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may request a rollback (it becomes a plan that needs approval).');
    return ctx.serialize(`follow:${planId}`, async () => {
      const source = await plans.get(planId);
      if (!source) return refuse('not-found', `There is no plan ${planId}.`);
      if (!ROLLBACK_FROM.has(source.status) || !source.jobId) return refuse('not-final', `Plan ${planId} is ${source.status}: only a finished, failed, cancelled or interrupted plan can be rolled back.`);
      const open = await openRollbackOf(source);
      if (open) return refuse('busy', `A rollback of this plan is already ${PLAN_STATUS_TEXT[open.status]}: ${open.id}.`, { planId: open.id });
      const reading = await readingFor(source.id);
      if (reading) return refuse('busy', `picbot is already reading the server for a follow-up of this plan (${reading.id}).`);
      const view = await jobs.get(source.jobId);
      if (!view) return refuse('no-rollback', `The job ${source.jobId} of plan ${planId} is gone.`);
      const job = await startRead(actor, source, JOB_PURPOSE.rollbackRead);
      if (!job) return refuse('not-found', `The provisioning request ${source.requestId} is gone.`);
      await ctx.audit(actor.id, 'plan.rollback-asked', source.id, { jobId: source.jobId, readJobId: job.id });
      ctx.updateCard(source.id, source.card);
      return { ok: true, plan: source, job };
    });
  }

  /**
   * "Retry" / "Re-plan": discover the server again, then plan from the request as it is now. On
   * a rollback plan it builds the rollback of the original plan's job again, from the new read.
   */
  async function retry(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.retry-refused', planId, await retryAsked(actor, planId));
  }

  async function retryAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    if (!actor.admin) return refuse('not-admin', 'Only picbot admins may re-plan.');
    return ctx.serialize(`follow:${planId}`, async () => {
      const source = await plans.get(planId);
      if (!source) return refuse('not-found', `There is no plan ${planId}.`);
      if (!RETRY_FROM.has(source.status)) return refuse('not-final', `Plan ${planId} is ${source.status}: retry is offered once it has ended without success.`);
      const running = await readingFor(planId);
      if (running) return refuse('busy', `A re-discovery for this plan is already running (${running.id}).`);
      if (source.kind === 'rollback') {
        const original = source.follows ? await plans.get(source.follows) : null;
        if (!original || !original.jobId) return refuse('no-rollback', `The plan ${source.follows ?? '?'} that rollback ${source.id} undoes is gone.`);
        const open = await openRollbackOf(original);
        if (open && open.id !== source.id) return refuse('busy', `A rollback of plan ${original.id} is already ${PLAN_STATUS_TEXT[open.status]}: ${open.id}.`, { planId: open.id });
      }
      const job = await startRead(actor, source, JOB_PURPOSE.replan);
      if (!job) return refuse('not-found', `The provisioning request ${source.requestId} is gone.`);
      await ctx.audit(actor.id, 'plan.retry', source.id, { jobId: job.id, kind: source.kind });
      ctx.updateCard(source.id, source.card);
      return { ok: true, plan: source, job };
    });
  }

  /** A discovery job for a follow-up of `source` (retry or rollback read); null when the request is gone. */
  async function startRead(actor: PlanActor, source: PlanRecord, purpose: string): Promise<JobRecord | null> {
    // A retry of a forward plan reads what the request needs now; a rollback (and the retry of
    // one) re-reads exactly what the plan read, which covers every user its steps touched.
    const forward = purpose === JOB_PURPOSE.replan && source.kind === 'apply';
    const request = forward ? (await deps.requests.get(source.requestId))?.request : source.request;
    if (!request) return null;
    const scope = forward ? discoveryScope(request) : source.discovery;
    return jobs.create({
      kind: 'discover', target: request.target.label, profile: request.target.profile, discovery: scope,
      context: { purpose, requestId: source.requestId, planId: source.id, card: source.card },
      createdBy: actor.id, pickupTimeoutSeconds: deps.config.discoveryTimeoutSeconds,
    });
  }

  /** "Cancel" on the status card: the requester or an approver; the runner stops after the current step. */
  async function cancel(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    return ctx.auditRefusal(actor, 'plan.cancel-refused', planId, await cancelAsked(actor, planId));
  }

  async function cancelAsked(actor: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord; job: JobRecord }>> {
    const plan = await plans.get(planId);
    if (!plan) return refuse('not-found', `There is no plan ${planId}.`);
    const isApprover = actor.aadObjectId !== null && actor.approver !== false && (ctx.approverCheck()?.(actor.aadObjectId.toLowerCase()) ?? false);
    if (actor.id !== plan.requesterId && !isApprover) return refuse('not-allowed', 'Only the requester or an approver may cancel a running plan.');
    if (plan.status !== 'applying' || !plan.jobId) return refuse('not-running', plan.status === 'approved' ? 'The plan is being started; try again in a moment.' : `Plan ${planId} is ${plan.status}: there is nothing running to cancel.`);
    const r = await jobs.cancel(plan.jobId, actor.id);
    if (!r.ok) return refuse('not-running', r.code === 'finished' ? 'The job has already finished.' : r.reason);
    await ctx.audit(actor.id, 'plan.cancel-requested', plan.id, { jobId: plan.jobId, jobStatus: r.job.status });
    ctx.updateCard(plan.id, plan.card);
    return { ok: true, plan, job: r.job };
  }

  /**
   * At start (and safe at any time): dispatch approved plans, finish plans whose job ended, and
   * bring every card that shows less than its plan and job to date.
   */
  async function resync(): Promise<{ dispatched: number; finished: number; cards: number }> {
    let dispatched = 0;
    let finished = 0;
    let cards = 0;
    // Votes that already decide a plan move it first; an approved one is then dispatched below.
    for (const plan of await plans.list({ statuses: ['pending-approval'], limit: 500 })) await approval().recount(plan.id);
    for (const plan of await plans.list({ statuses: ['approved', 'applying'], limit: 500 })) {
      if (plan.status === 'approved') {
        await dispatch(plan.id);
        dispatched += 1;
        continue;
      }
      const view = plan.jobId ? await jobs.get(plan.jobId) : null;
      if (view && FINAL_JOB.has(view.job.status)) {
        await ctx.serialize(plan.id, () => finish(plan, view.job, view.result));
        finished += 1;
      }
    }
    for (const plan of await plans.list({ limit: 100 })) {
      const view: JobView | null = plan.jobId ? await jobs.get(plan.jobId) : null;
      if (plan.card && ctx.shows(plan, view) !== plan.cardShows) {
        ctx.updateCard(plan.id, plan.card);
        cards += 1;
      }
    }
    return { dispatched, finished, cards };
  }

  return { dispatch, onJobChange, rollback, retry, cancel, resync, buildRollback };
}

export type ApplyWorkflow = ReturnType<typeof createApplyWorkflow>;
