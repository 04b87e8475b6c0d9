/**
 * The intake use cases (docs/architecture.md, One turn): start a draft, save each accepted step, move between
 * cards, resume, discard, finish; and the provisioning request record that a complete intake
 * becomes. Authority is checked here (fail closed): only admins touch intakes and records, and
 * only the admin who started an intake may change it. Every accepted change is audited.
 */
import { completeRequest, nextStep, STEP_PART, type IntakeData, type IntakePosition, type IntakeStep } from '../../core/intake';
import type { Contacts } from '../../core/request';
import { dayOf } from '../../core/request-record';
import type { Clock } from '../../shared/clock';
import { newId } from '../../shared/ids';
import type { AuditLog, DraftStore, IntakeDraft, RequestRecord, RequestStore } from './ports';
import type { Caller, Refusal } from './caller';

export type { Caller };

export type IntakeRefusalCode =
  | 'not-admin' | 'not-reader' | 'not-owner' | 'not-found' | 'discarded' | 'closed' | 'target-taken'
  | 'stale' | 'not-at-review' | 'not-submitted' | 'already-active';

export interface IntakeRefusal extends Refusal<IntakeRefusalCode> {
  /** target-taken: the caller's open draft for that target. */
  openId?: string;
}

export type Outcome<T> = ({ ok: true } & T) | IntakeRefusal;

const refuse = (code: IntakeRefusalCode, reason: string, openId?: string): IntakeRefusal =>
  ({ ok: false, code, reason, ...(openId ? { openId } : {}) });

export interface IntakeDeps {
  drafts: DraftStore;
  requests: RequestStore;
  audit: AuditLog;
  clock: Clock;
}

/** What the audit log keeps of an accepted step: the values, but no personal contact details. */
function stepDetail(step: IntakeStep, data: IntakeData): Record<string, unknown> {
  if (step === 'contacts') {
    const c = data.contacts as Contacts;
    return { step, domainAdmins: Object.keys(c.domainAdmins).length, phoneGiven: c.phone !== null };
  }
  return { step, value: data[STEP_PART[step]] };
}

export function createIntakeWorkflow(deps: IntakeDeps) {
  const now = () => deps.clock.now().toISOString();
  const audit = (caller: Caller, action: string, subjectId: string, detail: Record<string, unknown>) =>
    deps.audit.append({ action, actor: caller.id, subjectId, detail });

  /** The caller's own open (or closed, when `allowClosed`) draft, or why not. */
  async function ownDraft(caller: Caller, draftId: string, allowClosed = false): Promise<Outcome<{ draft: IntakeDraft }>> {
    if (!caller.admin) return refuse('not-admin', 'Only picbot admins may work on provisioning requests.');
    const draft = await deps.drafts.get(draftId);
    if (!draft) return refuse('not-found', `There is no intake ${draftId}.`);
    if (draft.ownerId !== caller.id) return refuse('not-owner', `Intake ${draftId} belongs to ${draft.ownerName}; only they can change it.`);
    if (draft.state === 'discarded') return refuse('discarded', `Intake ${draftId} was discarded.`);
    if (draft.state === 'closed' && !allowClosed) return refuse('closed', `Intake ${draftId} is finished; open its request record and choose Edit to change it.`);
    return { ok: true, draft };
  }

  /** Writes the record of a complete intake (keeping the status of an existing record). */
  async function saveRecord(caller: Caller, draft: IntakeDraft): Promise<RequestRecord | null> {
    const request = completeRequest(draft.data);
    if (!request) return null;
    const existing = await deps.requests.get(draft.id);
    const at = now();
    const record: RequestRecord = existing
      ? { ...existing, ownerName: draft.ownerName, request, updatedAt: at }
      : { id: draft.id, ownerId: draft.ownerId, ownerName: draft.ownerName, request, status: 'draft', submittedOn: null, activeOn: null, createdAt: at, updatedAt: at };
    await deps.requests.save(record);
    await audit(caller, 'request.saved', draft.id, { status: record.status, created: !existing });
    return record;
  }

  async function update(caller: Caller, draft: IntakeDraft): Promise<Outcome<{ draft: IntakeDraft }>> {
    const r = await deps.drafts.update({ ...draft, updatedAt: now() });
    if (r.ok) return { ok: true, draft: r.draft };
    if (r.reason === 'target-taken') {
      return refuse('target-taken', `You already have an open intake for ${draft.targetLabel}. Resume it or discard it first.`, r.openId);
    }
    return refuse('stale', 'This intake was changed in another message at the same moment. Here it is as it stands now.');
  }

  return {
    /** The caller's open drafts, most recent first. */
    async openDrafts(caller: Caller): Promise<IntakeDraft[]> {
      return deps.drafts.listOpen(caller.id);
    },

    /** May the caller start an intake? (Checked before showing the first card.) */
    canStart(caller: Caller): Outcome<object> {
      return caller.admin ? { ok: true } : refuse('not-admin', 'Only picbot admins may start an intake.');
    },

    /** Starts a draft from an accepted target card. */
    async start(caller: Caller, target: NonNullable<IntakeData['target']>): Promise<Outcome<{ draft: IntakeDraft }>> {
      if (!caller.admin) return refuse('not-admin', 'Only picbot admins may start an intake.');
      const at = now();
      const data: IntakeData = { target };
      const r = await deps.drafts.create({
        id: newId('request'), ownerId: caller.id, ownerName: caller.name, targetLabel: target.label,
        position: nextStep(data), data, createdAt: at, updatedAt: at,
      });
      if (!r.ok) return refuse('target-taken', `You already have an open intake for ${target.label}. Resume it or discard it first.`, r.openId);
      await audit(caller, 'intake.started', r.draft.id, { step: 'target', value: target });
      return { ok: true, draft: r.draft };
    },

    ownDraft,

    /**
     * Saves an accepted step and moves to the next card (or the review). A complete intake is
     * (re)written as the request record, so the record always holds the last complete version.
     */
    async saveStep<S extends IntakeStep>(caller: Caller, draft: IntakeDraft, step: S, part: NonNullable<IntakeData[(typeof STEP_PART)[S]]>):
      Promise<Outcome<{ draft: IntakeDraft; record: RequestRecord | null }>> {
      const data: IntakeData = { ...draft.data, [STEP_PART[step]]: part };
      const position = nextStep(data);
      const targetLabel = data.target?.label ?? draft.targetLabel;
      const saved = await update(caller, { ...draft, ownerName: caller.name, data, position, targetLabel });
      if (!saved.ok) return saved;
      await audit(caller, 'intake.step', draft.id, stepDetail(step, data));
      const record = position === 'review' ? await saveRecord(caller, saved.draft) : null;
      return { ok: true, draft: saved.draft, record };
    },

    /** Shows another card of the caller's open draft (the review's "Edit"); resume comes back to it. */
    async moveTo(caller: Caller, draftId: string, position: IntakePosition): Promise<Outcome<{ draft: IntakeDraft }>> {
      const own = await ownDraft(caller, draftId);
      if (!own.ok) return own;
      if (own.draft.position === position) return own;
      return update(caller, { ...own.draft, position });
    },

    /** Brings back an open draft where it stopped; a finished one is reopened at the review. */
    async resume(caller: Caller, draftId: string): Promise<Outcome<{ draft: IntakeDraft }>> {
      const own = await ownDraft(caller, draftId, true);
      if (!own.ok) return own;
      if (own.draft.state === 'open') return own;
      const reopened = await update(caller, { ...own.draft, state: 'open', position: nextStep(own.draft.data) });
      if (reopened.ok) await audit(caller, 'intake.reopened', draftId, {});
      return reopened;
    },

    /** Drops an open draft (a saved request record under the same id stays as it was). */
    async discard(caller: Caller, draftId: string): Promise<Outcome<{ draft: IntakeDraft }>> {
      const own = await ownDraft(caller, draftId);
      if (!own.ok) return own;
      const r = await update(caller, { ...own.draft, state: 'discarded' });
      if (r.ok) await audit(caller, 'intake.discarded', draftId, { position: own.draft.position });
      return r;
    },

    /** Ends the intake at the review; the request record is what remains. */
    async finish(caller: Caller, draftId: string): Promise<Outcome<{ record: RequestRecord }>> {
      const own = await ownDraft(caller, draftId);
      if (!own.ok) return own;
      if (nextStep(own.draft.data) !== 'review') return refuse('not-at-review', 'This intake is not complete yet.');
      // The record was written when the intake last became complete; write it only if it is missing.
      const record = (await deps.requests.get(draftId)) ?? (await saveRecord(caller, own.draft));
      if (!record) return refuse('not-at-review', 'This intake is not complete yet.');
      const closed = await update(caller, { ...own.draft, state: 'closed', position: 'review' });
      if (!closed.ok) return closed;
      await audit(caller, 'intake.finished', draftId, {});
      return { ok: true, record };
    },

    /** One record, for admins and approvers. */
    async record(caller: Caller, requestId: string): Promise<Outcome<{ record: RequestRecord }>> {
      if (!caller.reader) return refuse('not-reader', 'Only picbot admins and approvers may see provisioning requests.');
      const record = await deps.requests.get(requestId);
      return record ? { ok: true, record } : refuse('not-found', `There is no provisioning request ${requestId}.`);
    },

    /** The most recent records, for admins and approvers. */
    async records(caller: Caller): Promise<Outcome<{ records: RequestRecord[] }>> {
      if (!caller.reader) return refuse('not-reader', 'Only picbot admins and approvers may see provisioning requests.');
      return { ok: true, records: await deps.requests.list({ limit: 20 }) };
    },

    /** Records the date the request was submitted (again, to correct it, until it is active). */
    async markSubmitted(caller: Caller, requestId: string, date: string): Promise<Outcome<{ record: RequestRecord }>> {
      if (!caller.admin) return refuse('not-admin', 'Only picbot admins may change a provisioning request.');
      const rec = await deps.requests.get(requestId);
      if (!rec) return refuse('not-found', `There is no provisioning request ${requestId}.`);
      if (rec.status === 'active') return refuse('already-active', `Request ${requestId} is already active.`);
      const record: RequestRecord = { ...rec, status: 'submitted', submittedOn: date, updatedAt: now() };
      await deps.requests.save(record);
      await audit(caller, 'request.status', requestId, { from: rec.status, to: 'submitted', submittedOn: date });
      return { ok: true, record };
    },

    /** Records the date provisioning became active. */
    async markActive(caller: Caller, requestId: string, date: string): Promise<Outcome<{ record: RequestRecord }>> {
      if (!caller.admin) return refuse('not-admin', 'Only picbot admins may change a provisioning request.');
      const rec = await deps.requests.get(requestId);
      if (!rec) return refuse('not-found', `There is no provisioning request ${requestId}.`);
      if (rec.status === 'active') return refuse('already-active', `Request ${requestId} is already active.`);
      if (rec.status !== 'submitted') return refuse('not-submitted', 'Enter the date it was submitted first.');
      const record: RequestRecord = { ...rec, status: 'active', activeOn: date, updatedAt: now() };
      await deps.requests.save(record);
      await audit(caller, 'request.status', requestId, { from: rec.status, to: 'active', activeOn: date });
      return { ok: true, record };
    },

    /** Which of these draft ids already have a request record (discarding such a draft keeps it). */
    async withRecords(ids: string[]): Promise<Set<string>> {
      const found = await Promise.all(ids.map(async (id) => ((await deps.requests.get(id)) ? id : null)));
      return new Set(found.filter((id): id is string => id !== null));
    },

    /** Today's date (UTC), for the record's days elapsed and the date inputs' upper bound. */
    today(): string {
      return dayOf(deps.clock.now());
    },
  };
}

export type IntakeWorkflow = ReturnType<typeof createIntakeWorkflow>;
