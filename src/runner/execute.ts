/**
 * Runs one leased job: checks it first, then drives one shell host through it.
 *
 * Refused before anything runs (result `failed`, error code `job_refused`, `signature_invalid`,
 * `job_expired`, `job_replayed` or `script_mismatch`): a key the protocol does not know (checked
 * before the signature), a signature that does not verify against the pinned server key (over the
 * envelope exactly as received), an envelope the protocol does not know, a target that is not one
 * of the runner's labels, a job past its time limit or already taken, a lync-ops.ps1 whose hash
 * is not the one the server's release ships (envelope-guard.ts), an op outside the
 * catalog or with params its schema rejects, a write op in a discovery job, a read op as an
 * apply step, an apply/rollback job without the fingerprint it was planned from.
 *
 * discover: reads the state in the envelope's scope (plus any read-op steps) → `observed`.
 * apply/rollback: re-reads the state in the same scope; a different fingerprint aborts with
 * `aborted-drift` and changes nothing. A plan-level precheck (`precheck`) then binds every step's
 * parameters against what the server's cmdlets accept; a failure ends the job with nothing
 * changed (`precheck_failed`). Then per step: check (skip if satisfied) → change →
 * re-read what the step touched (a grant: that one user) → verify; the first failure stops the
 * job. After the last change the whole scope is read once more (`after`), and every step that
 * ran must still hold in it (a later step may have undone an earlier one); one that does not
 * fails the job with `verify_failed`. Then `replication.status` is read. A stop request
 * (cancel, shutdown, lost lease) is obeyed between steps, and before each step the control's fence
 * (`beforeStep`) may hold it until the lease is confirmed; a step in hand is never cut off. A
 * read-only discovery is cut short at once.
 */
import { fingerprint, type ObservedState } from '../contracts/observed';
import { checkOpCall, isReadOp, isWriteOp, type OpName, type OpParams, type WriteOpName } from '../contracts/ops';
import { ExactJobEnvelope, JobEnvelope, MAX_EVENT_TEXT, prototypeKeyIn, type JobEvent, type PlanStep, type ResultRequest } from '../contracts/runner-api';
import { checkSatisfied, objectOf } from '../contracts/satisfied';
import { cmdletCall } from '../contracts/render';
import { verifyEnvelope } from '../contracts/signing';
import { CodedError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { discover, rereadAfter } from './discover';
import type { EnvelopeGuard } from './envelope-guard';
import type { RawLease } from './gateway-client';
import { createJobTiming } from './job-timing';
import type { PinnedKeys } from './pinned-keys';
import type { ShellHost } from './shell-host';

/**
 * Why a job stops between steps. `lease-lost`: the server said the lease is gone;
 * `lease-expired`: the runner's own clock says the lease the server last confirmed has ended
 * (or has too little left to start a step in), and no heartbeat renewed it in time.
 */
export type StopReason = 'cancel' | 'shutdown' | 'lease-lost' | 'lease-expired';

export interface JobControl {
  /** Why the job must stop after its current step, or null to go on. */
  stopReason(): StopReason | null;
  /** Called once when a stop is first requested. */
  onStop(listener: () => void): void;
  /**
   * Called before each step starts: resolves null when the step may start, or why not. The
   * runner's fence waits here for a heartbeat when the lease is short or the last beat failed.
   * Without it only `stopReason` is consulted.
   */
  beforeStep?(): Promise<StopReason | null>;
}

/** The error a job stopped between steps reports. */
function stoppedError(stop: StopReason, stepId: string): { code: string; message: string } {
  if (stop === 'lease-expired' || stop === 'lease-lost') {
    return { code: 'lease_expired', message: `stopped before step ${stepId}: the lease ended (${stop === 'lease-lost' ? 'the server ended it' : 'no heartbeat renewed it in time'}), so no further step was started` };
  }
  return { code: 'cancelled', message: `stopped (${stop}) before step ${stepId}` };
}

export interface ExecuteOptions {
  lease: RawLease;
  /** The server's Ed25519 public key pinned at enrollment (PEM). */
  serverKey: string;
  /** Target, time limit, replay and script checks on a verified envelope (envelope-guard.ts). */
  guard: EnvelopeGuard;
  /** The pinned key that follows the server's signed rotations (pinned-keys.ts); wins over serverKey. */
  pinned?: PinnedKeys;
  openShell: () => ShellHost;
  events: { push(event: JobEvent): void };
  control: JobControl;
  logger: Logger;
  now?: () => Date;
  /** The time spent so far appending and fsync'ing the job's journal (for the `job timing` line). */
  journalMs?: () => number;
}

/** What to report: the result body without the lease id. */
export type JobReport = Omit<ResultRequest, 'leaseId'>;

export interface Executed {
  jobId: string;
  report: JobReport;
  /** How the shell host ended, when one was started. */
  shellExit: { code: number | null; signal: string | null; killed: boolean } | null;
}

/**
 * A step's output or error in an event, cut to what the event schema takes (MAX_EVENT_TEXT), the
 * note included: the audit export keeps all of it, while the card cuts far shorter on its own.
 */
export function cut(text: string): string {
  if (text.length <= MAX_EVENT_TEXT) return text;
  const note = `… (cut at ${MAX_EVENT_TEXT} characters)`;
  return `${text.slice(0, MAX_EVENT_TEXT - note.length)}${note}`;
}

const cutError = (error: { code: string; message: string }) => ({ code: error.code, message: cut(error.message) });

const errorOf = (err: unknown): { code: string; message: string } =>
  err instanceof CodedError ? { code: err.code, message: err.message } : { code: 'internal', message: (err as Error)?.message ?? String(err) };

/** Why a job must be refused before anything runs, or null. */
export function refuseJob(envelope: JobEnvelope): string | null {
  for (const step of envelope.steps) {
    const checked = checkOpCall({ op: step.op, params: step.params });
    if (!checked.ok) return `step ${step.id}: ${checked.reason}`;
    if (envelope.kind === 'discover' && !isReadOp(step.op)) {
      return `step ${step.id}: ${step.op} is a write op; a discovery job may only contain read ops`;
    }
    if (envelope.kind !== 'discover' && !isWriteOp(step.op)) {
      return `step ${step.id}: ${step.op} is not a write op; ${envelope.kind} steps are changes checked before and after`;
    }
    for (const undo of step.rollback) {
      const r = checkOpCall(undo);
      if (!r.ok) return `step ${step.id} rollback: ${r.reason}`;
    }
  }
  if (envelope.kind !== 'discover' && envelope.expectedFingerprint === undefined) {
    return `an ${envelope.kind} job must carry the fingerprint of the state it was planned from`;
  }
  return null;
}

/**
 * The plan-level precheck, run once before the first change of an apply or rollback job: every
 * step's parameters against the cmdlets' parameters the server reported (`capabilities`), and
 * each new public provider bound with `New-CsPublicProvider -InMemory` where the server has it.
 * Parameter binding only: uniqueness rules (a proxy FQDN an earlier step frees) are not applied.
 * Returns why the plan cannot run, or null.
 */
export async function precheck(host: ShellHost, steps: readonly PlanStep[], observed: ObservedState): Promise<string | null> {
  const caps = observed.capabilities;
  const has = (cmdlet: string, param: string) => caps?.[cmdlet]?.some((p) => p.toLowerCase() === param.toLowerCase());
  for (const step of steps) {
    const call = cmdletCall(step.op, step.params);
    if (!call || !caps?.[call.cmdlet]) continue;
    const missing = call.parameters.filter((p) => !has(call.cmdlet, p));
    if (missing.length > 0) {
      return `step ${step.id}: this server's ${call.cmdlet} has no ${missing.map((m) => `-${m}`).join(', ')} parameter (choose the version profile that matches the server and re-plan)`;
    }
  }
  if (!has('New-CsPublicProvider', 'InMemory')) return null;
  for (const step of steps.filter((s) => s.op === 'publicProvider.new')) {
    const outcome = await host.call('publicProvider.probe', step.params as OpParams<'publicProvider.probe'>);
    if (!outcome.ok) return `step ${step.id}: New-CsPublicProvider -InMemory does not bind these parameters: ${outcome.error.code}: ${outcome.error.message}`;
  }
  return null;
}

function describe(observed: ObservedState): string {
  const edge = observed.accessEdge;
  return [
    `${observed.serverVersion.product} ${observed.serverVersion.version}`,
    `routing ${edge.routing}`,
    `federation ${edge.allowFederatedUsers ? 'on' : 'off'}`,
    `${observed.publicProviders.length} public provider(s)`,
    `${observed.externalAccessPolicies.length} external access policies`,
    `fingerprint ${fingerprint(observed).slice(0, 12)}`,
    ...(observed.discoveryFallbacks?.length ? [`${observed.discoveryFallbacks.length} read(s) fell back: ${observed.discoveryFallbacks.map((f) => f.read).join(', ')}`] : []),
  ].join('; ');
}

function outputOf(data: unknown, warnings: string[]): string | undefined {
  const parts: string[] = [];
  if (data !== null && data !== undefined && data !== '') parts.push(typeof data === 'string' ? data : JSON.stringify(data));
  for (const w of warnings) parts.push(`WARNING: ${w}`);
  return parts.length > 0 ? cut(parts.join('\n')) : undefined;
}

/** Runs a leased job to its report. Never throws: every failure becomes the report. */
export async function executeJob(options: ExecuteOptions): Promise<Executed> {
  const { lease, control, logger } = options;
  let stepsStarted = 0;
  const events = {
    push(event: JobEvent) {
      if (event.type === 'step-started') stepsStarted += 1;
      options.events.push(event);
    },
  };
  const now = options.now ?? (() => new Date());
  const at = () => now().toISOString();
  const rawId = (lease.envelope as { jobId?: unknown } | null)?.jobId;
  const jobId = lease.jobId ?? (typeof rawId === 'string' ? rawId : 'unknown');
  const log = logger.child({ jobId });
  const refuse = (code: string, message: string): Executed => {
    log.error({ code, reason: message }, 'refusing the job');
    events.push({ type: 'log', at: at(), level: 'error', message: `refused: ${message}` });
    return { jobId, report: { status: 'failed', error: { code, message } }, shellExit: null };
  };

  // The signature must cover exactly what is parsed: a key the server never signs (an unknown
  // field, or `__proto__`, which canonical JSON and the parser could read differently) refuses
  // the job before the signature is even checked.
  const prototypeKey = prototypeKeyIn(lease.envelope);
  if (prototypeKey) return refuse('job_refused', `the job envelope has a key named ${prototypeKey.split('.').at(-1)} (at ${prototypeKey}), which no picbot server signs; nothing was run`);
  const exact = ExactJobEnvelope.safeParse(lease.envelope);
  const unknownKey = exact.success ? undefined : exact.error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknownKey) {
    const where = unknownKey.path.join('.') || '(root)';
    return refuse('job_refused', `the job envelope has keys the protocol does not know at ${where}: ${(unknownKey as { keys?: string[] }).keys?.join(', ') ?? ''}; nothing was run`);
  }
  // The signature covers the envelope exactly as it arrived, before any parsing. A signature by
  // another key may mean the server rotated its key: follow its signed rotations once, then
  // refuse a job signed with a key left behind (retired) as firmly as a forged one.
  const pinnedKey = () => options.pinned?.current() ?? options.serverKey;
  let verified = verifyEnvelope(lease.envelope, lease.signature, pinnedKey());
  if (!verified && options.pinned && (await options.pinned.refresh())) verified = verifyEnvelope(lease.envelope, lease.signature, pinnedKey());
  if (!verified && options.pinned?.retired().some((key) => verifyEnvelope(lease.envelope, lease.signature, key))) {
    return refuse('key_retired', 'the job is signed with a key the server has rotated away from (retired by picbot keys rotate); nothing was run');
  }
  if (!verified) {
    return refuse('signature_invalid', 'the job\'s signature does not verify against the server key pinned at enrollment (altered or not signed by this server); nothing was run');
  }
  const parsed = JobEnvelope.safeParse(lease.envelope);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('job_refused', `the job envelope does not match protocol version 1 (${issue?.path.join('.') || '(root)'}: ${issue?.message})`);
  }
  const envelope = parsed.data;
  if (lease.jobId !== null && envelope.jobId !== lease.jobId) return refuse('job_refused', `the lease is for ${lease.jobId} but the envelope is job ${envelope.jobId}`);
  const problem = refuseJob(envelope);
  if (problem) return refuse('job_refused', problem);
  const refusal = options.guard.admit(envelope);
  if (refusal) return refuse(refusal.code, refusal.message);

  log.info({ kind: envelope.kind, target: envelope.target, steps: envelope.steps.length }, 'running job');
  const timing = createJobTiming();
  let host: ShellHost;
  try {
    host = timing.timeShell(options.openShell());
  } catch (err) {
    const error = errorOf(err);
    events.push({ type: 'log', at: at(), level: 'error', message: `starting the shell host: ${error.message}` });
    return { jobId, report: { status: 'failed', error }, shellExit: null };
  }
  // A discovery only reads: a stop request may cut it short by closing the shell at once.
  if (envelope.kind === 'discover') {
    control.onStop(() => void host.close().catch((err: unknown) => logger.warn({ jobId, err }, 'closing the shell host on a stop request failed')));
  }

  let report: JobReport;
  try {
    report = envelope.kind === 'discover' ? await runDiscovery(envelope, host) : await runChanges(envelope, host);
  } catch (err) {
    report = { status: control.stopReason() ? 'cancelled' : 'failed', error: errorOf(err) };
  }
  timing.addJournal(options.journalMs?.() ?? 0);
  log.info({ kind: envelope.kind, ...timing.summary(stepsStarted) }, 'job timing');
  // The result schema takes as much error text as an event does.
  if (report.error) report.error = cutError(report.error);
  const shellExit = await host.close();
  if (shellExit.killed) log.warn({ pid: host.pid }, 'the shell host was killed after the grace period');
  log.info({ status: report.status, error: report.error?.code }, 'job finished');
  return { jobId, report, shellExit };

  async function runStep(step: PlanStep | { id: string; op: string; params: Record<string, unknown> }): Promise<{ ok: true; output?: string } | { ok: false; error: { code: string; message: string } }> {
    try {
      const outcome = await host.call(step.op as OpName, step.params);
      if (!outcome.ok) return { ok: false, error: cutError(outcome.error) };
      return { ok: true, output: outputOf(outcome.data, outcome.warnings) };
    } catch (err) {
      return { ok: false, error: cutError(errorOf(err)) };
    }
  }

  async function runDiscovery(env: JobEnvelope, shell: ShellHost): Promise<JobReport> {
    const started = now().getTime();
    events.push({ type: 'step-started', stepId: 'discover', at: at() });
    let observed: ObservedState;
    try {
      observed = await discover(shell, env.discovery);
    } catch (err) {
      const error = errorOf(err);
      const stop = control.stopReason();
      events.push({ type: 'step-finished', stepId: 'discover', at: at(), status: 'failed', durationMs: now().getTime() - started, error });
      return stop ? { status: 'cancelled', error: { code: 'cancelled', message: `stopped (${stop}) during discovery` } } : { status: 'failed', error };
    }
    events.push({ type: 'step-finished', stepId: 'discover', at: at(), status: 'done', durationMs: now().getTime() - started, output: describe(observed) });
    for (const step of env.steps) {
      const stop = control.beforeStep ? await control.beforeStep() : control.stopReason();
      if (stop) return { status: 'cancelled', observed, error: stoppedError(stop, step.id) };
      const t0 = now().getTime();
      events.push({ type: 'step-started', stepId: step.id, at: at() });
      const r = await runStep(step);
      events.push(r.ok
        ? { type: 'step-finished', stepId: step.id, at: at(), status: 'done', durationMs: now().getTime() - t0, ...(r.output ? { output: r.output } : {}) }
        : { type: 'step-finished', stepId: step.id, at: at(), status: 'failed', durationMs: now().getTime() - t0, error: r.error });
      if (!r.ok) return { status: 'failed', observed, error: r.error };
    }
    return { status: 'succeeded', observed };
  }

  async function runChanges(env: JobEnvelope, shell: ShellHost): Promise<JobReport> {
    const read = () => discover(shell, env.discovery);
    const before = await read();
    const actual = fingerprint(before);
    if (actual !== env.expectedFingerprint) {
      const message = `the server changed since the plan was made (fingerprint ${actual.slice(0, 12)}, planned from ${env.expectedFingerprint!.slice(0, 12)}): nothing was changed; re-plan`;
      events.push({ type: 'log', at: at(), level: 'warn', message });
      return { status: 'aborted-drift', observed: before, error: { code: 'drift', message } };
    }
    const unrunnable = await precheck(shell, env.steps, before);
    if (unrunnable) {
      const message = `the plan would not run on this server, so nothing was changed: ${unrunnable}`;
      events.push({ type: 'log', at: at(), level: 'error', message: cut(message) });
      return { status: 'failed', observed: before, error: { code: 'precheck_failed', message } };
    }
    let current = before;
    let changed = false;
    /** The steps whose change ran (done, or failed in its verify). */
    const ran: PlanStep[] = [];
    let outcome: JobReport | null = null;
    for (const step of env.steps) {
      // The fence: no step starts unless the lease, as last confirmed, has room for it.
      const stop = control.beforeStep ? await control.beforeStep() : control.stopReason();
      if (stop) {
        outcome = { status: 'cancelled', error: stoppedError(stop, step.id) };
        break;
      }
      const t0 = now().getTime();
      const finished = (e: Omit<Extract<JobEvent, { type: 'step-finished' }>, 'type' | 'stepId' | 'at' | 'durationMs'>) =>
        events.push({ type: 'step-finished', stepId: step.id, at: at(), durationMs: now().getTime() - t0, ...e });
      events.push({ type: 'step-started', stepId: step.id, at: at() });
      if (checkSatisfied(step.op, step.params, current).satisfied) {
        finished({ status: 'skipped', output: 'already so: nothing to change' });
        continue;
      }
      const r = await runStep(step);
      if (!r.ok) {
        finished({ status: 'failed', error: r.error });
        outcome = { status: 'failed', error: { code: r.error.code, message: `step ${step.id} (${step.op}): ${r.error.message}` } };
        break;
      }
      changed = true;
      ran.push(step);
      try {
        current = await rereadAfter(shell, step.op as WriteOpName, step.params, current);
      } catch (err) {
        const error = errorOf(err);
        finished({ status: 'failed', error: { code: error.code, message: `re-reading the state to verify: ${error.message}` } });
        outcome = { status: 'failed', error: { code: error.code, message: `step ${step.id}: re-reading the state to verify failed: ${error.message}` } };
        break;
      }
      const verify = checkSatisfied(step.op, step.params, current);
      if (!verify.satisfied) {
        const error = { code: 'verify_failed', message: `the change ran but the state does not show it: ${verify.differences.join('; ')}` };
        finished({ status: 'failed', ...(r.output ? { output: r.output } : {}), error });
        outcome = { status: 'failed', error: { code: error.code, message: `step ${step.id} (${step.op}): ${error.message}` } };
        break;
      }
      finished({ status: 'done', ...(r.output ? { output: r.output } : {}) });
    }

    let report: JobReport = outcome ?? { status: 'succeeded' };
    report.observed = before;
    if (!changed) return report;
    // The whole state after the last change, read once (the steps re-read only what they touched).
    let after: ObservedState;
    try {
      after = await read();
    } catch (err) {
      const error = errorOf(err);
      log.warn({ err: error.message }, 'could not re-read the state after the last change');
      report.after = current;
      if (report.status !== 'succeeded') return report;
      return { ...report, status: 'failed', error: { code: error.code, message: `reading the state after the last change to verify every step failed: ${error.message}` } };
    }
    report.after = after;
    if (report.status === 'succeeded') {
      // A step a later step replaced on purpose (remove an old Skype provider, then create the new
      // one) is not expected to hold any more: only the last step on each object is checked.
      const last = new Map(ran.map((step) => [objectOf(step), step]));
      const broken = ran.filter((step) => last.get(objectOf(step)) === step)
        .map((step) => ({ step, check: checkSatisfied(step.op, step.params, after) })).filter((r) => !r.check.satisfied);
      if (broken.length > 0) {
        const message = cut(`after the last change, ${broken.length === 1 ? 'a step no longer holds' : `${broken.length} steps no longer hold`}: ${broken.map((b) => `${b.step.id} (${b.step.op}): ${b.check.differences.join('; ')}`).join(' | ')}`);
        events.push({ type: 'log', at: at(), level: 'error', message });
        report = { ...report, status: 'failed', error: { code: 'verify_failed', message } };
      }
    }
    try {
      const replication = await shell.call('replication.status', {});
      if (replication.ok) {
        report.replication = replication.data;
        const behind = replication.data.filter((r) => !r.upToDate).map((r) => r.replicaFqdn);
        if (behind.length > 0) events.push({ type: 'log', at: at(), level: 'warn', message: `replicas not yet up to date: ${behind.join(', ')} (replication can lag minutes)` });
      } else {
        events.push({ type: 'log', at: at(), level: 'warn', message: `reading replication status failed: ${replication.error.message}` });
      }
    } catch (err) {
      events.push({ type: 'log', at: at(), level: 'warn', message: `reading replication status failed: ${errorOf(err).message}` });
    }
    return report;
  }
}
