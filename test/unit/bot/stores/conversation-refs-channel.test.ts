import { createConversationRefStore } from '../../../../src/bot/stores/conversation-refs';
import type { Sql } from '../../../../src/bot/stores/sql';
import { openTestDatabase, type TestDatabase } from '../../../engines';

let database: TestDatabase;
let sql: Sql;
let t = 0;
const clock = { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)) };
beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
});
afterEach(() => database.dispose());

const CHANNEL = '19:approvals@thread.tacv2';
const thread = (root: string) => ({ serviceUrl: 'https://smba.example/', activityId: root, conversation: { id: `${CHANNEL};messageid=${root}`, conversationType: 'channel' } });

describe('a channel known only from its threads', () => {
  it('gets the latest thread\'s reference pointed at the channel itself and at no message', async () => {
    const refs = createConversationRefStore(sql, clock);
    await refs.save(`${CHANNEL};messageid=111`, thread('111'));
    await refs.save(`${CHANNEL};messageid=222`, thread('222'));
    expect(await refs.get(CHANNEL)).toEqual({ serviceUrl: 'https://smba.example/', conversation: { id: CHANNEL, conversationType: 'channel' } });
  });

  it.each([
    { name: 'an exact reference wins', save: [[CHANNEL, { conversation: { id: CHANNEL }, serviceUrl: 'x' }], [`${CHANNEL};messageid=1`, thread('1')]], get: CHANNEL, want: { conversation: { id: CHANNEL }, serviceUrl: 'x' } },
    { name: 'another channel\'s thread is not used', save: [['19:other@thread.tacv2;messageid=1', thread('1')]], get: CHANNEL, want: null },
    { name: 'a thread id is never widened', save: [[`${CHANNEL};messageid=1`, thread('1')]], get: `${CHANNEL};messageid=2`, want: null },
    { name: 'a prefix that is not a whole channel id', save: [[`${CHANNEL};messageid=1`, thread('1')]], get: '19:approvals@thread', want: null },
  ])('$name', async ({ save, get, want }) => {
    const refs = createConversationRefStore(sql, clock);
    for (const [id, ref] of save as [string, Record<string, unknown>][]) await refs.save(id, ref);
    expect(await refs.get(get)).toEqual(want);
  });
});
