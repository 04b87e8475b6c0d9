/**
 * Running preflight for a provisioning request: who may, where the latest results are
 * kept (with the request, with their time) and what the audit log records. The checks themselves
 * sit behind the Preflight port (src/bot/preflight/port.ts).
 */
import type { Clock } from '../../shared/clock';
import type { Preflight, PreflightRun } from '../preflight/port';
import { summarizePreflight } from '../preflight/port';
import type { Caller, Refusal } from './caller';
import type { AuditLog, RequestRecord, RequestStore } from './ports';

/** The latest preflight run of each request (one per request: a new run replaces the last). */
export interface PreflightRunStore {
  saveLatest(requestId: string, run: PreflightRun): Promise<void>;
  latest(requestId: string): Promise<PreflightRun | null>;
}

export type PreflightRefusal = Refusal<'not-reader' | 'not-found'>;

export interface PreflightDeps {
  preflight: Preflight;
  runs: PreflightRunStore;
  requests: RequestStore;
  audit: AuditLog;
  clock: Clock;
}

export function createPreflightWorkflow(deps: PreflightDeps) {
  return {
    /**
     * Checks the caller may run preflight for the request and starts it. Resolves at once with
     * `done`, which settles when the results are stored and audited (it rejects only when the
     * store or the audit log fails: the checks themselves never throw).
     */
    async start(caller: Caller, requestId: string): Promise<{ ok: true; record: RequestRecord; done: Promise<PreflightRun> } | PreflightRefusal> {
      // Running it changes nothing outside picbot, so approvers may run it as well as admins.
      if (!caller.reader) return { ok: false, code: 'not-reader', reason: 'Only picbot admins and approvers may run preflight.' };
      const record = await deps.requests.get(requestId);
      if (!record) return { ok: false, code: 'not-found', reason: `There is no provisioning request ${requestId}.` };
      const done = (async () => {
        const results = await deps.preflight.run(record.request);
        const run: PreflightRun = { ranAt: deps.clock.now().toISOString(), results };
        await deps.runs.saveLatest(requestId, run);
        const s = summarizePreflight(results);
        await deps.audit.append({
          action: 'preflight.ran',
          actor: caller.id,
          subjectId: requestId,
          detail: {
            pass: s.pass, fail: s.fail, warn: s.warn,
            failed: results.filter((r) => r.status === 'fail').map((r) => `${r.check} ${r.subject}`),
          },
        });
        return run;
      })();
      return { ok: true, record, done };
    },

    /** The latest stored run of a request (for the approval card), or null. */
    latest(requestId: string): Promise<PreflightRun | null> {
      return deps.runs.latest(requestId);
    },
  };
}

export type PreflightWorkflow = ReturnType<typeof createPreflightWorkflow>;
