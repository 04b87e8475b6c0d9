/**
 * The port contracts the workflows rely on, run against each store on the run's database (SQLite,
 * or PostgreSQL under `npm run test:pg`) and against the hand-written fake (test/fakes/) that
 * stands in for it in unit tests, so a fake cannot drift from what the store does.
 */
import { randomBytes } from 'node:crypto';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { createDraftStore } from '../../../../src/bot/stores/drafts';
import { createRequestStore } from '../../../../src/bot/stores/requests';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { AuditLog, DraftStore, IntakeDraft, RequestRecord, RequestStore } from '../../../../src/bot/workflows/ports';
import { newId } from '../../../../src/shared/ids';
import { ENGINE_NAME, openTestDatabase, type TestDatabase } from '../../../engines';
import { fakeAuditLog, fakeDraftStore, fakeRequestStore } from '../../../fakes/intake-stores';
import { requestFixture } from '../../../fixtures/load';

let database: TestDatabase;
let sql: Sql;
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

const clock = { now: () => new Date('2026-11-02T09:00:00.000Z') };

const draftStores: [string, () => DraftStore][] = [[ENGINE_NAME, () => createDraftStore(sql)], ['fake', () => fakeDraftStore()]];
const requestStores: [string, () => RequestStore][] = [[ENGINE_NAME, () => createRequestStore(sql)], ['fake', () => fakeRequestStore()]];
const auditLogs: [string, () => AuditLog][] = [[ENGINE_NAME, () => createAuditLog(sql, clock, randomBytes(32))], ['fake', () => fakeAuditLog()]];

const draft = (over: Partial<IntakeDraft> = {}): Omit<IntakeDraft, 'version' | 'state'> => ({
  id: newId('request'),
  ownerId: 'owner-1',
  ownerName: 'Dana',
  targetLabel: 'pool-eu',
  position: 'agreement',
  data: { target: { label: 'pool-eu', profile: 'sfb2019' } },
  createdAt: '2026-11-02T09:00:00.000Z',
  updatedAt: '2026-11-02T09:00:00.000Z',
  ...over,
});

describe.each(draftStores)('DraftStore (%s)', (_name, make) => {
  it('keeps one open draft per owner and target label, case-insensitively', async () => {
    const drafts = make();
    const a = await drafts.create(draft());
    expect(a.ok).toBe(true);
    const b = await drafts.create(draft({ targetLabel: 'POOL-EU' }));
    expect(b).toEqual({ ok: false, openId: a.ok ? a.draft.id : '' });
    // Another owner, or another label, is fine.
    expect((await drafts.create(draft({ ownerId: 'owner-2' }))).ok).toBe(true);
    expect((await drafts.create(draft({ targetLabel: 'pool-us' }))).ok).toBe(true);
  });

  it('a discarded or closed draft frees its target label', async () => {
    const drafts = make();
    const a = await drafts.create(draft());
    if (!a.ok) throw new Error('create');
    expect((await drafts.update({ ...a.draft, state: 'discarded' })).ok).toBe(true);
    expect((await drafts.create(draft())).ok).toBe(true);
  });

  it('saves only on the version it read (a second click on the same version is stale)', async () => {
    const drafts = make();
    const a = await drafts.create(draft());
    if (!a.ok) throw new Error('create');
    const first = await drafts.update({ ...a.draft, position: 'edge' });
    expect(first).toMatchObject({ ok: true, draft: { version: 2, position: 'edge' } });
    expect(await drafts.update({ ...a.draft, position: 'domains' })).toEqual({ ok: false, reason: 'stale' });
    expect((await drafts.get(a.draft.id))?.position).toBe('edge');
  });

  it('renaming onto another open draft\'s label is target-taken', async () => {
    const drafts = make();
    const eu = await drafts.create(draft());
    const us = await drafts.create(draft({ targetLabel: 'pool-us' }));
    if (!eu.ok || !us.ok) throw new Error('create');
    expect(await drafts.update({ ...us.draft, targetLabel: 'Pool-Eu' })).toEqual({ ok: false, reason: 'target-taken', openId: eu.draft.id });
  });

  it('lists the owner\'s open drafts, most recent first', async () => {
    const drafts = make();
    await drafts.create(draft({ targetLabel: 'old', updatedAt: '2026-11-01T00:00:00.000Z' }));
    await drafts.create(draft({ targetLabel: 'new', updatedAt: '2026-11-02T00:00:00.000Z' }));
    await drafts.create(draft({ targetLabel: 'other', ownerId: 'owner-2' }));
    const open = await drafts.listOpen('owner-1');
    expect(open.map((d) => d.targetLabel)).toEqual(['new', 'old']);
    expect(open[0].data).toEqual({ target: { label: 'pool-eu', profile: 'sfb2019' } });
    expect(await drafts.get(newId('request'))).toBeNull();
  });
});

describe.each(requestStores)('RequestStore (%s)', (_name, make) => {
  const request = requestFixture('global');
  const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
    id: newId('request'), ownerId: 'owner-1', ownerName: 'Dana', request, status: 'draft', submittedOn: null, activeOn: null,
    createdAt: '2026-11-02T09:00:00.000Z', updatedAt: '2026-11-02T09:00:00.000Z', ...over,
  });

  it('upserts by id, keeping createdAt, and lists the most recently changed first', async () => {
    const requests = make();
    const a = record({ updatedAt: '2026-11-01T00:00:00.000Z' });
    const b = record({ updatedAt: '2026-11-02T00:00:00.000Z' });
    await requests.save(a);
    await requests.save(b);
    await requests.save({ ...a, status: 'submitted', submittedOn: '2026-11-03', createdAt: 'ignored', updatedAt: '2026-11-03T00:00:00.000Z' });
    expect(await requests.get(a.id)).toEqual({ ...a, status: 'submitted', submittedOn: '2026-11-03', updatedAt: '2026-11-03T00:00:00.000Z' });
    expect((await requests.list()).map((r) => r.id)).toEqual([a.id, b.id]);
    expect((await requests.list({ limit: 1 })).map((r) => r.id)).toEqual([a.id]);
    expect(await requests.get(newId('request'))).toBeNull();
  });
});

describe.each(auditLogs)('AuditLog (%s)', (_name, make) => {
  const entry = (action: string, subjectId: string) => ({ action, actor: 'aad:dana', subjectId, detail: { n: action.length } });

  it('numbers records in order, lists them in order and by subject, and its tip is the last', async () => {
    const audit = make();
    expect(await audit.tip()).toBeNull();
    expect(await audit.verify()).toEqual({ ok: true, count: 0, tip: null });
    const first = await audit.append(entry('intake.submitted', 'req_0000000000000001'));
    const second = await audit.append(entry('plan.computed', 'plan_0000000000000001'));
    const third = await audit.append(entry('plan.vote', 'plan_0000000000000001'));
    expect([first.seq, second.seq, third.seq]).toEqual([1, 2, 3]);
    expect(third).toMatchObject(entry('plan.vote', 'plan_0000000000000001'));
    expect((await audit.list()).map((r) => r.action)).toEqual(['intake.submitted', 'plan.computed', 'plan.vote']);
    expect((await audit.list({ subjectId: 'plan_0000000000000001' })).map((r) => r.seq)).toEqual([2, 3]);
    expect(await audit.tip()).toEqual({ seq: 3, hash: third.hash });
    expect(await audit.verify()).toEqual({ ok: true, count: 3, tip: { seq: 3, hash: third.hash } });
  });

  it('keeps what was appended, not the caller\'s object it may change later', async () => {
    const audit = make();
    const detail = { steps: ['a'] };
    await audit.append({ action: 'plan.computed', actor: 'system', subjectId: 'plan_0000000000000002', detail });
    detail.steps.push('b');
    expect((await audit.list())[0]?.detail).toEqual({ steps: ['a'] });
  });
});
