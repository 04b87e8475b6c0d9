import { createConversationRefStore } from '../../../../src/bot/stores/conversation-refs';
import { createServerKeyStore } from '../../../../src/bot/stores/server-keys';
import { createUserIdStore } from '../../../../src/bot/stores/user-ids';
import type { Sql } from '../../../../src/bot/stores/sql';
import { systemClock } from '../../../../src/shared/clock';
import { openTestDatabase, type TestDatabase } from '../../../engines';

let database: TestDatabase;
let sql: Sql;
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

describe('user id store', () => {
  it('maps Entra object ids to Teams user ids, case-insensitively, latest wins', async () => {
    const users = createUserIdStore(sql, systemClock);
    await users.remember({ aadObjectId: 'AAAAAAAA-0000-4000-8000-000000000001', teamsUserId: '29:old', name: 'Dana' });
    await users.remember({ aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001', teamsUserId: '29:new', name: 'Dana A.' });
    await users.remember({ aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000002', teamsUserId: '29:alex', name: 'Alex' });
    expect(await users.get('AAAAAAAA-0000-4000-8000-000000000001')).toEqual({ aadObjectId: 'aaaaaaaa-0000-4000-8000-000000000001', teamsUserId: '29:new', name: 'Dana A.' });
    expect(await users.teamsUserIds(['bbbbbbbb-0000-4000-8000-000000000002', 'cccccccc-0000-4000-8000-000000000003', 'aaaaaaaa-0000-4000-8000-000000000001'])).toEqual(['29:alex', '29:new']);
    expect(await users.get('cccccccc-0000-4000-8000-000000000003')).toBeNull();
  });
});

describe('conversation reference store', () => {
  it('keeps the latest reference per conversation', async () => {
    const refs = createConversationRefStore(sql, systemClock);
    expect(await refs.get('19:a')).toBeNull();
    await refs.save('19:a', { serviceUrl: 'http://one/', conversation: { id: '19:a' } });
    await refs.save('19:a', { serviceUrl: 'http://two/', conversation: { id: '19:a' } });
    expect(await refs.get('19:a')).toEqual({ serviceUrl: 'http://two/', conversation: { id: '19:a' } });
  });
});

describe('server key store', () => {
  it('creates a key once and returns the same value afterwards', async () => {
    const keys = createServerKeyStore(sql, systemClock);
    let made = 0;
    const make = () => `key-${(made += 1)}`;
    expect(await keys.getOrCreate('k', make)).toBe('key-1');
    expect(await keys.getOrCreate('k', make)).toBe('key-1');
    expect(made).toBe(1);
    expect(await keys.getOrCreate('other', make)).toBe('key-2');
  });
});
