/** The Sql port (src/bot/stores/sql.ts) on the engine of the run: transactions, locks, placeholders. */
import { advisoryKey, isConnectionError, toPgPlaceholders } from '../../../../src/bot/stores/sql';
import { describeOn, ENGINE_NAME, openTestDatabase, reopenTestDatabase, type TestDatabase } from '../../../engines';

let db: TestDatabase;
beforeEach(async () => {
  db = await openTestDatabase();
});
afterEach(() => db.dispose());

const keys = () => db.sql.all<{ name: string }>('SELECT name FROM server_keys ORDER BY name').then((rows) => rows.map((r) => r.name));
const put = (name: string) => ['INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)', [name, 'v', 'now']] as const;

describe(`Sql (${ENGINE_NAME})`, () => {
  it('a transaction is all or nothing, and its after-commit callbacks run only when it commits', async () => {
    const ran: string[] = [];
    await db.sql.transaction(async (tx) => {
      await tx.run(...put('a'));
      tx.afterCommit(() => ran.push('a'));
    });
    await expect(db.sql.transaction(async (tx) => {
      await tx.run(...put('b'));
      tx.afterCommit(() => ran.push('b'));
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(await keys()).toEqual(['a']);
    expect(ran).toEqual(['a']);
  });

  it('a failing after-commit callback neither undoes the commit nor stops the others', async () => {
    const ran: string[] = [];
    await db.sql.transaction(async (tx) => {
      await tx.run(...put('a'));
      tx.afterCommit(() => { throw new Error('listener broke'); });
      tx.afterCommit(() => ran.push('second'));
    });
    expect(await keys()).toEqual(['a']);
    expect(ran).toEqual(['second']);
  });

  it('transactions taking the same lock run one after the other', async () => {
    const order: string[] = [];
    const other = db.engine === 'postgres' ? await reopenTestDatabase(db) : db.sql;
    try {
      const slow = db.sql.transaction(async (tx) => {
        await tx.lock('thing');
        order.push('first in');
        await new Promise((r) => setTimeout(r, 200));
        await tx.run(...put('first'));
        order.push('first out');
      });
      await new Promise((r) => setTimeout(r, 50));
      const fast = other.transaction(async (tx) => {
        await tx.lock('thing');
        order.push('second in');
        await tx.run(...put('second'));
      });
      await Promise.all([slow, fast]);
    } finally {
      if (other !== db.sql) await other.close();
    }
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(await keys()).toEqual(['first', 'second']);
  });

  it('a snapshot reads one state, whatever commits meanwhile', async () => {
    await db.sql.run(...put('a'));
    const other = db.engine === 'postgres' ? await reopenTestDatabase(db) : null;
    try {
      const seen = await db.sql.snapshot(async (tx) => {
        const before = (await tx.all('SELECT name FROM server_keys')).length;
        if (other) await other.run(...put('b'));
        const after = (await tx.all('SELECT name FROM server_keys')).length;
        return [before, after];
      });
      expect(seen).toEqual([1, 1]);
    } finally {
      await other?.close();
    }
  });

  it('answers ping while open', async () => {
    await expect(db.sql.ping()).resolves.toBeUndefined();
    expect(db.sql.open).toBe(true);
  });
});

describeOn('sqlite', 'Sql on SQLite', () => {
  it('refuses a statement on the outer handle inside a transaction (it would wait for ever), naming the mistake', async () => {
    await expect(db.sql.transaction(async () => {
      await db.sql.run(...put('x'));
    })).rejects.toMatchObject({ code: 'store_failed', message: expect.stringMatching(/use the transaction's handle/) });
    expect(await keys()).toEqual([]);
  });
});

describeOn('postgres', 'Sql on PostgreSQL', () => {
  it('reports its pool', async () => {
    expect(db.sql.poolUse()).toMatchObject({ total: expect.any(Number), idle: expect.any(Number), waiting: 0 });
    expect(db.sql.schema).toMatch(/^picbot_t_/);
  });
});

describe('placeholders, lock keys and connection errors', () => {
  it('turns ? into $n outside quoted text', () => {
    expect(toPgPlaceholders("SELECT ? AS a, '?' AS b, \"x?\" AS c WHERE d = ?")).toBe("SELECT $1 AS a, '?' AS b, \"x?\" AS c WHERE d = $2");
  });

  it('keys a lock by a stable signed 64-bit number, different per name', () => {
    expect(advisoryKey('s:audit')).toBe(advisoryKey('s:audit'));
    expect(advisoryKey('s:audit')).not.toBe(advisoryKey('t:audit'));
    const n = BigInt(advisoryKey('s:audit'));
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });

  it('tells a lost connection from a bad statement', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });
});
