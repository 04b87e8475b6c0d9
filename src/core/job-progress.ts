import type { JobEvent, PlanStep, StepStatus } from '../contracts/runner-api';

/** One step as the status card and the report show it. */
export interface StepProgress {
  id: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  output: string | null;
  error: { code: string; message: string } | null;
}

/**
 * Each step's state from the job's events, in plan order. A step with no event is pending; one
 * started but not finished is running; the last event about a step wins (the runner sends each
 * once, but a resent batch must not move a step back).
 */
export function stepProgress(steps: readonly PlanStep[], events: readonly JobEvent[]): StepProgress[] {
  const byId = new Map<string, StepProgress>(steps.map((s) => [s.id, {
    id: s.id, status: 'pending', startedAt: null, finishedAt: null, durationMs: null, output: null, error: null,
  }]));
  for (const e of events) {
    if (e.type === 'log') continue;
    const p = byId.get(e.stepId);
    if (!p) continue; // not a step of this plan: ignored, never shown as if it were
    if (e.type === 'step-started') {
      if (p.finishedAt === null) {
        p.status = 'running';
        p.startedAt = e.at;
      }
      continue;
    }
    p.status = e.status;
    p.finishedAt = e.at;
    p.durationMs = e.durationMs;
    p.output = e.output ?? null;
    p.error = e.error ?? null;
  }
  return steps.map((s) => byId.get(s.id)!);
}

/** Step id → last status, the shape rollbackPlan takes (steps that never started are left out). */
export function stepStatuses(progress: readonly StepProgress[]): Record<string, StepStatus> {
  return Object.fromEntries(progress.filter((p) => p.status !== 'pending').map((p) => [p.id, p.status]));
}

/** The runner's log lines at warn/error level (shown on the report). */
export function warningsOf(events: readonly JobEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'log' && e.level !== 'info' ? [e.message] : []));
}
