/**
 * What only the stored DraftStore and RequestStore do, on the run's database (reopening, corrupt
 * rows, CHECK constraints). The port contracts they share with the fakes are in
 * port-contracts.test.ts.
 */
import { createDraftStore } from '../../../../src/bot/stores/drafts';
import { createRequestStore } from '../../../../src/bot/stores/requests';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { IntakeDraft, RequestRecord } from '../../../../src/bot/workflows/ports';
import { ProvisioningRequest } from '../../../../src/core/request';
import { newId } from '../../../../src/shared/ids';
import { ENGINE_NAME, openTestDatabase, reopenTestDatabase, type TestDatabase } from '../../../engines';

let database: TestDatabase;
let sql: Sql;
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

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

describe(`DraftStore (${ENGINE_NAME})`, () => {
  it('lists the owner\'s open drafts, most recent first, and reads them back after reopening the database', async () => {
    const drafts = createDraftStore(sql);
    await drafts.create(draft({ targetLabel: 'old', updatedAt: '2026-11-01T00:00:00.000Z' }));
    await drafts.create(draft({ targetLabel: 'new', updatedAt: '2026-11-02T00:00:00.000Z' }));
    await drafts.create(draft({ targetLabel: 'other', ownerId: 'owner-2' }));
    await sql.close();
    const reopened = await reopenTestDatabase(database);
    try {
      const reread = await createDraftStore(reopened).listOpen('owner-1');
      expect(reread.map((d) => d.targetLabel)).toEqual(['new', 'old']);
      expect(reread[0].data).toEqual({ target: { label: 'pool-eu', profile: 'sfb2019' } });
    } finally {
      await reopened.close();
    }
  });

  it('a row whose data no longer parses is a store error naming the draft, not a crash later', async () => {
    const drafts = createDraftStore(sql);
    const a = await drafts.create(draft());
    if (!a.ok) throw new Error('create');
    await sql.run('UPDATE intake_drafts SET data = ? WHERE id = ?', [JSON.stringify({ target: { label: 'x', profile: 'ocs2007' } }), a.draft.id]);
    await expect(drafts.get(a.draft.id)).rejects.toThrow(new RegExp(`reading intake draft ${a.draft.id}: stored data no longer parses`));
  });
});

describe(`RequestStore (${ENGINE_NAME})`, () => {
  const request = ProvisioningRequest.parse({
    target: { label: 'pool-eu', profile: 'lync2013' },
    agreement: { type: 'volume-licensing', number: '12345678', productUseRightsAccepted: true },
    accessEdgeFqdns: ['sip.contoso.com'],
    sipDomains: ['contoso.com'],
    contacts: { name: 'Dana Admin', phone: '+14255550100', domainAdmins: { 'contoso.com': 'dana@contoso.com' } },
    options: { policyScope: { kind: 'global' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null },
  });
  const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
    id: newId('request'), ownerId: 'owner-1', ownerName: 'Dana', request, status: 'draft', submittedOn: null, activeOn: null,
    createdAt: '2026-11-02T09:00:00.000Z', updatedAt: '2026-11-02T09:00:00.000Z', ...over,
  });

  it('refuses a status the schema does not know (CHECK constraint)', async () => {
    await expect(createRequestStore(sql).save(record({ status: 'approved' as RequestRecord['status'] }))).rejects.toThrow(/saving request req_/);
  });
});
