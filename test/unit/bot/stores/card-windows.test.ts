/**
 * The card windows two instances share (card-windows.ts), on the engine of the run: two handles
 * on one database reserve places in one conversation's windows, and together never exceed them.
 */
import { createSharedCardWindows } from '../../../../src/bot/stores/card-windows';
import type { Sql } from '../../../../src/bot/stores/sql';
import { TEAMS_CONVERSATION_LIMITS } from '../../../../src/bot/teams/card-scheduler';
import { ENGINE_NAME, openTestDatabase, reopenTestDatabase, type TestDatabase } from '../../../engines';

let db: TestDatabase;
let second: Sql;
beforeEach(async () => {
  db = await openTestDatabase();
  // PostgreSQL: a second pool, as a second instance has. SQLite serves one process: its one
  // handle (a second handle in the same process would wait on the first's write lock).
  second = db.engine === 'postgres' ? await reopenTestDatabase(db) : db.sql;
});
afterEach(async () => {
  if (second !== db.sql) await second.close();
  await db.dispose();
});

describe(`shared card windows (${ENGINE_NAME})`, () => {
  it('two instances together get 7 operations per second in one conversation; the 8th waits until the first leaves the window', async () => {
    let now = 1_000_000;
    const a = createSharedCardWindows(db.sql, () => now);
    const b = createSharedCardWindows(second, () => now);
    const answers: number[] = [];
    for (let i = 0; i < 8; i += 1) answers.push(await (i % 2 === 0 ? a : b).reserve('19:chat', TEAMS_CONVERSATION_LIMITS));
    expect(answers.slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(answers[7]).toBe(1000);
    // Another conversation has windows of its own.
    expect(await b.reserve('19:other', TEAMS_CONVERSATION_LIMITS)).toBe(0);
    // A second later the 1 s window is empty, but 8 per 2 s leaves room for one only.
    now += 1000;
    expect(await a.reserve('19:chat', TEAMS_CONVERSATION_LIMITS)).toBe(0);
    expect(await b.reserve('19:chat', TEAMS_CONVERSATION_LIMITS)).toBe(1000);
    now += 1000;
    expect(await b.reserve('19:chat', TEAMS_CONVERSATION_LIMITS)).toBe(0);
  });

  it('a reply counted by one instance takes room from the other; rows past the longest window are removed', async () => {
    let now = 5_000_000;
    const a = createSharedCardWindows(db.sql, () => now);
    const b = createSharedCardWindows(second, () => now);
    const limits = [[1_000, 2]] as const;
    await a.note('19:chat');
    expect(await b.reserve('19:chat', limits)).toBe(0);
    expect(await b.reserve('19:chat', limits)).toBe(1000);
    now += 60_000;
    expect(await a.reserve('19:chat', limits)).toBe(0);
    expect(await db.sql.all('SELECT at_ms FROM card_ops WHERE conversation_id = ?', ['19:chat'])).toHaveLength(1);
  });

  it('concurrent reservations from both instances never take more places than the window holds', async () => {
    const now = 9_000_000;
    const a = createSharedCardWindows(db.sql, () => now);
    const b = createSharedCardWindows(second, () => now);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).reserve('19:busy', TEAMS_CONVERSATION_LIMITS)));
    expect(answers.filter((w) => w === 0)).toHaveLength(7);
  });
});
