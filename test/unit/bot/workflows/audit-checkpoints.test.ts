/** Every N audit records the chain's tip is posted; a failed post loses no record. */
import { randomBytes } from 'node:crypto';
import { createAuditLog } from '../../../../src/bot/stores/audit-log';
import { openDatabase } from '../../../../src/bot/stores/db';
import { withAuditCheckpoints } from '../../../../src/bot/workflows/audit-checkpoints';
import { silentLogger } from '../../../../src/shared/logger';
import { fakeClock } from '../../../fakes/clock';

it('posts the tip after every third record, and each posted tip checks the chain', async () => {
  const db = openDatabase(':memory:');
  const posted: { seq: number; hash: string }[] = [];
  const keyed = createAuditLog(db, fakeClock(), randomBytes(32));
  const audit = withAuditCheckpoints(keyed, { every: 3, logger: silentLogger(), post: async (tip) => void posted.push(tip) });
  for (let i = 0; i < 7; i += 1) await audit.append({ action: 'test', actor: 'x', subjectId: null, detail: { i } });
  expect(posted.map((p) => p.seq)).toEqual([3, 6]);
  for (const checkpoint of posted) expect(await keyed.verify({ checkpoint })).toMatchObject({ ok: true, count: 7 });
  db.close();
});

it('keeps the record when posting fails', async () => {
  const db = openDatabase(':memory:');
  const audit = withAuditCheckpoints(createAuditLog(db, fakeClock(), randomBytes(32)), { every: 1, logger: silentLogger(), post: async () => { throw new Error('connector down'); } });
  const record = await audit.append({ action: 'test', actor: 'x', subjectId: null, detail: {} });
  expect(record.seq).toBe(1);
  expect((await audit.list()).length).toBe(1);
  db.close();
});

it('posts the tip after a record appended inside a store transaction once that transaction has committed, and not when it rolled back', async () => {
  const db = openDatabase(':memory:');
  const posted: { seq: number; hash: string }[] = [];
  const keyed = createAuditLog(db, fakeClock(), randomBytes(32));
  const audit = withAuditCheckpoints(keyed, { every: 2, logger: silentLogger(), post: async (tip) => void posted.push(tip) });
  const entry = (i: number) => ({ action: 'test', actor: 'x', subjectId: null, detail: { i } });
  const afterThisTask = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  await audit.append(entry(1));
  // The second record lands in a transaction that then fails: it never existed, so nothing is posted.
  expect(() => db.transaction(() => {
    audit.inTransaction(entry(2));
    throw new Error('the state change failed');
  })()).toThrow('the state change failed');
  await afterThisTask();
  expect(posted).toEqual([]);
  db.transaction(() => void audit.inTransaction(entry(2)))();
  await afterThisTask();
  expect(posted.map((p) => p.seq)).toEqual([2]);
  expect(await keyed.verify({ checkpoint: posted[0]! })).toMatchObject({ ok: true, count: 2 });
  db.close();
});
