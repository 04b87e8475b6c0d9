/**
 * In-memory DraftStore, RequestStore and AuditLog: hand-written fakes at the workflow ports,
 * for handler unit tests. They keep the ports' contracts (one open draft per owner and label,
 * optimistic versions) so a handler test sees what SQLite would do.
 */
import type { AuditLog, AuditRecord, DraftStore, IntakeDraft, RequestRecord, RequestStore } from '../../src/bot/workflows/ports';

const clone = <T>(v: T): T => structuredClone(v);

export interface FakeDraftStore extends DraftStore {
  drafts: Map<string, IntakeDraft>;
  /** The next update answers 'stale' (as if another message saved in between). */
  raceNextUpdate(): void;
}

export function fakeDraftStore(): FakeDraftStore {
  const drafts = new Map<string, IntakeDraft>();
  let race = false;
  const openFor = (ownerId: string, label: string, except: string) =>
    [...drafts.values()].find((d) => d.state === 'open' && d.ownerId === ownerId && d.targetLabel.toLowerCase() === label.toLowerCase() && d.id !== except);
  return {
    drafts,
    raceNextUpdate: () => {
      race = true;
    },
    async create(draft) {
      const taken = openFor(draft.ownerId, draft.targetLabel, draft.id);
      if (taken) return { ok: false, openId: taken.id };
      const stored: IntakeDraft = { ...clone(draft), state: 'open', version: 1 };
      drafts.set(draft.id, stored);
      return { ok: true, draft: clone(stored) };
    },
    async get(id) {
      const d = drafts.get(id);
      return d ? clone(d) : null;
    },
    async listOpen(ownerId) {
      return [...drafts.values()].filter((d) => d.ownerId === ownerId && d.state === 'open').sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).map(clone);
    },
    async update(draft) {
      const current = drafts.get(draft.id);
      if (race || !current || current.version !== draft.version) {
        race = false;
        return { ok: false, reason: 'stale' };
      }
      const taken = draft.state === 'open' ? openFor(draft.ownerId, draft.targetLabel, draft.id) : undefined;
      if (taken) return { ok: false, reason: 'target-taken', openId: taken.id };
      const stored = { ...clone(draft), version: draft.version + 1 };
      drafts.set(draft.id, stored);
      return { ok: true, draft: clone(stored) };
    },
  };
}

export function fakeRequestStore(): RequestStore & { records: Map<string, RequestRecord> } {
  const records = new Map<string, RequestRecord>();
  return {
    records,
    async save(record) {
      // An upsert keeps the first createdAt, as the SQLite store does.
      const createdAt = records.get(record.id)?.createdAt ?? record.createdAt;
      records.set(record.id, { ...clone(record), createdAt });
    },
    async get(id) {
      const r = records.get(id);
      return r ? clone(r) : null;
    },
    async list(options = {}) {
      return [...records.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, options.limit ?? 50).map(clone);
    },
  };
}

/** An audit log that only remembers (the hash chain is the SQLite store's own test). */
export function fakeAuditLog(): AuditLog & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    async append(entry) {
      const record = { ...clone(entry), seq: records.length + 1, at: new Date(0).toISOString(), prevHash: '', hash: '' };
      records.push(record);
      return record;
    },
    async list(filter = {}) {
      return records.filter((r) => filter.subjectId === undefined || r.subjectId === filter.subjectId);
    },
    async verify() {
      const last = records.at(-1);
      return { ok: true, count: records.length, tip: last ? { seq: last.seq, hash: last.hash } : null };
    },
    async tip() {
      const last = records.at(-1);
      return last ? { seq: last.seq, hash: last.hash } : null;
    },
  };
}
