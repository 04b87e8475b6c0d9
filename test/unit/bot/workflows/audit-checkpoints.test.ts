/** Every N audit records the chain's tip is posted; a failed post loses no record. */
import { randomBytes } from 'node:crypto';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { withAuditCheckpoints } from '../../../../src/bot/workflows/audit-checkpoints';
import { silentLogger } from '../../../../src/shared/logger';
import { memorySql } from '../../../engines';
import { fakeClock } from '../../../fakes/clock';

it('posts the tip after every third record, and each posted tip checks the chain', async () => {
  const sql = memorySql();
  const posted: { seq: number; hash: string }[] = [];
  const keyed = createAuditLog(sql, fakeClock(), randomBytes(32));
  const audit = withAuditCheckpoints(keyed, { every: 3, logger: silentLogger(), post: async (tip) => void posted.push(tip) });
  for (let i = 0; i < 7; i += 1) await audit.append({ action: 'test', actor: 'x', subjectId: null, detail: { i } });
  expect(posted.map((p) => p.seq)).toEqual([3, 6]);
  for (const checkpoint of posted) expect(await keyed.verify({ checkpoint })).toMatchObject({ ok: true, count: 7 });
  await sql.close();
});

it('keeps the record when posting fails', async () => {
  const sql = memorySql();
  const audit = withAuditCheckpoints(createAuditLog(sql, fakeClock(), randomBytes(32)), { every: 1, logger: silentLogger(), post: async () => { throw new Error('connector down'); } });
  const record = await audit.append({ action: 'test', actor: 'x', subjectId: null, detail: {} });
  expect(record.seq).toBe(1);
  expect((await audit.list()).length).toBe(1);
  await sql.close();
});

it('posts the tip after a record appended inside a store transaction once that transaction has committed, and not when it rolled back', async () => {
  const sql = memorySql();
  const posted: { seq: number; hash: string }[] = [];
  const keyed = createAuditLog(sql, fakeClock(), randomBytes(32));
  const audit = withAuditCheckpoints(keyed, { every: 2, logger: silentLogger(), post: async (tip) => void posted.push(tip) });
  const entry = (i: number) => ({ action: 'test', actor: 'x', subjectId: null, detail: { i } });
  const afterThisTask = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  await audit.append(entry(1));
  // The second record lands in a transaction that then fails: it never existed, so nothing is posted.
  await expect(sql.transaction(async (tx) => {
    expect(await audit.inTransaction(tx, entry(2))).toMatchObject({ seq: 2 });
    throw new Error('the state change failed');
  })).rejects.toThrow('the state change failed');
  await afterThisTask();
  expect(posted).toEqual([]);
  expect((await audit.list()).map((r) => r.seq)).toEqual([1]);
  // Appended, but not yet committed: nothing is posted until the transaction has.
  const record = await sql.transaction(async (tx) => {
    const appended = await audit.inTransaction(tx, entry(2));
    await afterThisTask();
    expect(posted).toEqual([]);
    return appended;
  });
  await afterThisTask();
  expect(posted).toEqual([{ seq: 2, hash: record.hash }]);
  expect(await keyed.verify({ checkpoint: posted[0]! })).toMatchObject({ ok: true, count: 2 });
  await sql.close();
});
