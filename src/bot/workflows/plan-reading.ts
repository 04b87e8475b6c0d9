/**
 * Reading plans: a plan's card, its script, the plan list, an audit trail, `status <plan_…|job_…>`.
 * Only admins and approvers may read; the check is here, with the reading, so no handler can skip it.
 */
import { idKind } from '../../shared/ids';
import type { Card } from '../turn';
import type { Outcome, PlanActor } from './plan-context';
import type { AuditLog, AuditRecord, JobQueue, JobView, PlanRecord, PlanStore } from './ports';

export interface PlanReadingDeps {
  plans: Pick<PlanStore, 'get' | 'byJob' | 'list'>;
  audit: Pick<AuditLog, 'list'>;
  jobs: Pick<JobQueue, 'get'>;
  /** The plan's card as it stands (the plan workflows render it). */
  currentCard(planId: string, options: { notice?: string }): Promise<Card | null>;
}

export interface PlanReading {
  /** A plan's current card, for a reader (Teams' refresh, "Open"). */
  card(reader: PlanActor, planId: string, note?: string): Promise<Outcome<{ card: Card }>>;
  /** A plan with its script, for a reader. */
  script(reader: PlanActor, planId: string): Promise<Outcome<{ plan: PlanRecord }>>;
  /** Open plans first, then recent ones: at most 20. */
  list(reader: PlanActor): Promise<Outcome<{ plans: PlanRecord[]; open: number }>>;
  /** The audit records about one id. */
  auditTrail(reader: PlanActor, subjectId: string): Promise<Outcome<{ records: AuditRecord[] }>>;
  /** `status <plan_…|job_…>`: the plan's card, or the job when it belongs to no plan. */
  status(reader: PlanActor, id: string): Promise<Outcome<{ card: Card; job: null } | { card: null; job: JobView }>>;
}

const notReader = (what: string) => ({ ok: false as const, code: 'not-reader' as const, reason: `Only picbot admins and approvers may ${what}.` });
const notFound = (reason: string) => ({ ok: false as const, code: 'not-found' as const, reason });

export function createPlanReading(deps: PlanReadingDeps): PlanReading {
  const { plans } = deps;
  return {
    async card(reader, planId, note) {
      if (!reader.reader) return notReader('see plans. Say "whoami" for your Entra object id');
      const card = await deps.currentCard(planId, note ? { notice: note } : {});
      return card ? { ok: true, card } : notFound(`There is no plan ${planId}.`);
    },
    async script(reader, planId) {
      if (!reader.reader) return notReader('see plans');
      const plan = await plans.get(planId);
      return plan ? { ok: true, plan } : notFound(`There is no plan ${planId}.`);
    },
    async list(reader) {
      if (!reader.reader) return notReader('see plans');
      const open = await plans.list({ statuses: ['pending-approval', 'approved', 'applying'], limit: 20 });
      const recent = await plans.list({ limit: 20 });
      return { ok: true, plans: [...open, ...recent.filter((p) => !open.some((o) => o.id === p.id))].slice(0, 20), open: open.length };
    },
    async auditTrail(reader, subjectId) {
      if (!reader.reader) return notReader('read the audit log');
      return { ok: true, records: await deps.audit.list({ subjectId }) };
    },
    async status(reader, id) {
      if (!reader.reader) return notReader('see plans');
      const kind = idKind(id);
      const plan = kind === 'job' ? await plans.byJob(id) : await plans.get(id);
      if (plan) {
        const card = await deps.currentCard(plan.id, {});
        if (card) return { ok: true, card, job: null };
      }
      const job = kind === 'job' ? await deps.jobs.get(id) : null;
      return job ? { ok: true, card: null, job } : notFound(`There is no ${kind} ${id}.`);
    },
  };
}
