import type { PreflightRun } from '../../../../src/bot/preflight/port';
import { createPreflightRunStore } from '../../../../src/bot/stores/preflight-runs';
import type { Sql } from '../../../../src/bot/stores/sql';
import { ENGINE_NAME, openTestDatabase, type TestDatabase } from '../../../engines';

const REQ = 'req_7x1k0v3m9q2d8a5n';
const first: PreflightRun = {
  ranAt: '2026-11-28T10:00:00.000Z',
  results: [{ check: 'federation-srv', subject: 'contoso.com', status: 'fail', detail: 'There is no SRV record.' }],
};
const second: PreflightRun = {
  ranAt: '2026-11-28T11:00:00.000Z',
  results: [
    { check: 'federation-srv', subject: 'contoso.com', status: 'pass', detail: 'ok' },
    { check: 'client-srv', subject: 'contoso.com', status: 'warn', detail: 'missing' },
  ],
};

let database: TestDatabase;
let sql: Sql;

beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
  // preflight_runs references requests(id): a minimal request row to hang runs on.
  await sql.run(`INSERT INTO requests (id, owner_id, owner_name, target_label, body, status, submitted_on, active_on, created_at, updated_at)
    VALUES (?, 'o', 'Owner', 'pool-eu', '{}', 'draft', NULL, NULL, 't', 't')`, [REQ]);
});

afterEach(() => database.dispose());

describe(`PreflightRunStore (${ENGINE_NAME})`, () => {
  it('keeps only the latest run of a request, with its time', async () => {
    const store = createPreflightRunStore(sql);
    expect(await store.latest(REQ)).toBeNull();
    await store.saveLatest(REQ, first);
    expect(await store.latest(REQ)).toEqual(first);
    await store.saveLatest(REQ, second);
    expect(await store.latest(REQ)).toEqual(second);
    expect(await sql.get('SELECT COUNT(*) AS n FROM preflight_runs')).toEqual({ n: 1 });
  });

  it('refuses a run for a request that does not exist (foreign key), as a store error', async () => {
    await expect(createPreflightRunStore(sql).saveLatest('req_0000000000000000', first)).rejects.toMatchObject({ code: 'store_failed' });
  });

  it.each([
    { name: 'results that are not JSON', results: '{oops', want: /not JSON/ },
    { name: 'an unknown check id', results: JSON.stringify([{ check: 'mx', subject: 'contoso.com', status: 'pass', detail: '' }]), want: /preflight results of req_/ },
    { name: 'an unknown status', results: JSON.stringify([{ check: 'client-srv', subject: 'contoso.com', status: 'ok', detail: '' }]), want: /preflight results of req_/ },
  ])('reading back $name is a store error, not a silent value', async ({ results, want }) => {
    await sql.run('INSERT INTO preflight_runs (request_id, ran_at, results) VALUES (?, ?, ?)', [REQ, first.ranAt, results]);
    await expect(createPreflightRunStore(sql).latest(REQ)).rejects.toThrow(want);
  });
});
