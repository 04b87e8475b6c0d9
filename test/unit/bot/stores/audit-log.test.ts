import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createHash, randomBytes } from 'node:crypto';
import { auditHash, createAuditLog, GENESIS_HASH, parseCheckpoint, rekeyLegacyChain } from '../../../../src/bot/stores/audit-log';
import { MIGRATIONS } from '../../../../src/bot/stores/migrations';
import type { Sql } from '../../../../src/bot/stores/sql';
import type { AuditLog } from '../../../../src/bot/workflows/ports';
import type { Clock } from '../../../../src/shared/clock';
import { describeOn, ENGINE_NAME, openTestDatabase, reopenTestDatabase, type TestDatabase } from '../../../engines';

/** A clock tests move by hand. */
function fakeClock(start: string): Clock & { advance(ms: number): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** The audit key (in production it lives in a file outside the database). */
const KEY = randomBytes(32);
/** An unkeyed SHA-256 chain hash, as an older picbot (or a forger without the key) computes it. */
const sha256Chain = (prevHash: string, content: object) => createHash('sha256').update(prevHash + JSON.stringify(sortKeys(content)), 'utf8').digest('hex');
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}

let database: TestDatabase;
let sql: Sql;
let audit: AuditLog;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  database = await openTestDatabase();
  sql = database.sql;
  clock = fakeClock('2026-03-01T10:00:00.000Z');
  audit = createAuditLog(sql, clock, KEY);
  await audit.append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: 'req_0000000000000001', detail: { step: 'edge', fqdns: ['sip.contoso.com'] } });
  clock.advance(60_000);
  await audit.append({ action: 'plan.computed', actor: 'system', subjectId: 'plan_0000000000000001', detail: { planHash: 'ab'.repeat(32), steps: 3 } });
  clock.advance(60_000);
  await audit.append({ action: 'plan.vote', actor: 'aad:alex', subjectId: 'plan_0000000000000001', detail: { vote: 'approve', note: 'ünïcode ✓' } });
});

afterEach(() => database.dispose());

/**
 * The error a statement the triggers refuse rejects with, matched by its message: not with
 * `rejects.toThrow`, which takes a better-sqlite3 error for no error at all once another test file
 * loaded better-sqlite3 first in this jest worker (its SqliteError is then that file's, an `Error`
 * of another realm).
 */
const refusal = (message: RegExp) => ({ message: expect.stringMatching(message) });

/**
 * Writes to the database as an attacker would: a connection of its own, the append-only triggers
 * dropped first, then `statements` (several, separated by semicolons).
 */
async function tamper(statements: string): Promise<void> {
  if (database.engine === 'postgres') {
    const client = new Client({ connectionString: database.where });
    await client.connect();
    try {
      await client.query(`DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log; DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
        DROP TRIGGER IF EXISTS audit_tip_forward_only ON audit_tip; DROP TRIGGER IF EXISTS audit_tip_no_truncate ON audit_tip;`);
      await client.query(statements);
    } finally {
      await client.end();
    }
    return;
  }
  const raw = new Database(database.where);
  try {
    raw.exec(`DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
      DROP TRIGGER IF EXISTS audit_tip_forward_only; DROP TRIGGER IF EXISTS audit_tip_no_delete;`);
    raw.exec(statements);
  } finally {
    raw.close();
  }
}

describe(`audit log (${ENGINE_NAME})`, () => {
  it('chains each record to the previous hash', async () => {
    const records = await audit.list();
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(records[2]!.prevHash).toBe(records[1]!.hash);
    const { prevHash, hash, ...content } = records[1]!;
    expect(hash).toBe(auditHash(KEY, prevHash, content));
    expect(hash).not.toBe(sha256Chain(prevHash, content));
  });

  it('verifies an intact chain', async () => {
    const records = await audit.list();
    expect(await audit.verify()).toEqual({ ok: true, count: 3, tip: { seq: 3, hash: records[2]!.hash } });
  });

  it('verifies an empty log', async () => {
    const fresh = await openTestDatabase();
    try {
      expect(await createAuditLog(fresh.sql, clock, KEY).verify()).toEqual({ ok: true, count: 0, tip: null });
    } finally {
      await fresh.dispose();
    }
  });

  it.each([
    { statement: 'UPDATE audit_log SET seq = seq WHERE seq = 1', what: 'an update' },
    { statement: 'UPDATE audit_log SET actor = actor', what: 'an update of every row' },
    { statement: 'DELETE FROM audit_log WHERE seq = 1', what: 'a delete' },
  ])('refuses $what through the database while the triggers stand', async ({ statement }) => {
    await expect(sql.run(statement)).rejects.toMatchObject(refusal(/append-only/));
    expect((await audit.list()).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it.each([
    { name: 'the detail of a row', statement: `UPDATE audit_log SET detail = '{"step":"edge","fqdns":["evil.contoso.com"]}' WHERE seq = 1`, seq: 1, reason: /edited or re-hashed/ },
    { name: 'the actor of a row', statement: `UPDATE audit_log SET actor = 'aad:mallory' WHERE seq = 3`, seq: 3, reason: /edited or re-hashed/ },
    { name: 'the time of a row', statement: `UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2`, seq: 2, reason: /edited or re-hashed/ },
    { name: 'the subject of a row', statement: `UPDATE audit_log SET subject_id = 'plan_zzzzzzzzzzzzzzzz' WHERE seq = 2`, seq: 2, reason: /edited or re-hashed/ },
    { name: 'a row removed', statement: 'DELETE FROM audit_log WHERE seq = 2', seq: 3, reason: /expected row 2/ },
    { name: 'a detail that is not JSON', statement: `UPDATE audit_log SET detail = 'oops' WHERE seq = 2`, seq: 2, reason: /not valid JSON/ },
    { name: 'a prev_hash rewritten', statement: `UPDATE audit_log SET prev_hash = '${'f'.repeat(64)}' WHERE seq = 3`, seq: 3, reason: /prev_hash/ },
  ])('names the first broken row after editing $name', async ({ statement, seq, reason }) => {
    await tamper(statement);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, seq });
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it.each([
    { name: 'the last row', statement: 'DELETE FROM audit_log WHERE seq = 3', seq: 3, reason: /^the last row is missing: the chain ends at row 2, it should end at row 3$/ },
    { name: 'the last two rows', statement: 'DELETE FROM audit_log WHERE seq >= 2', seq: 2, reason: /^the last 2 rows are missing: the chain ends at row 1, it should end at row 3$/ },
    { name: 'every row', statement: 'DELETE FROM audit_log', seq: 1, reason: /^the last 3 rows are missing: the chain ends at row 0, it should end at row 3$/ },
    { name: 'the tip record', statement: 'DELETE FROM audit_tip', seq: 3, reason: /audit_tip\) is missing/ },
    { name: 'the last row and the tip moved back with it', statement: 'DELETE FROM audit_log WHERE seq = 3; UPDATE audit_tip SET seq = 2', seq: 2, reason: /does not match the recorded hash/ },
  ])('finds $name removed (the chain before it is intact)', async ({ statement, seq, reason }) => {
    await tamper(statement);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, seq });
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('after the last row was removed, the next append leaves the gap visible instead of reusing its number', async () => {
    await tamper('DELETE FROM audit_log WHERE seq = 3');
    const r = await audit.append({ action: 'job.leased', actor: 'run_0000000000000001', subjectId: null, detail: {} });
    expect(r.seq).toBe(4);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/expected row 3/) });
  });

  it('finds a row appended behind picbot\'s back, even with a correct hash', async () => {
    const [, , r3] = await audit.list();
    const content = { seq: 4, at: '2026-03-01T10:03:00.000Z', action: 'plan.vote', actor: 'aad:mallory', subjectId: 'plan_0000000000000001', detail: {} };
    await tamper(`INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash)
      VALUES (4, '${content.at}', 'plan.vote', 'aad:mallory', 'plan_0000000000000001', '{}', '${r3!.hash}', '${auditHash(KEY, r3!.hash, content)}')`);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/added outside picbot/) });
  });

  it('the tip only moves forward and cannot be deleted while its triggers stand', async () => {
    const tip = await audit.tip();
    await expect(sql.run('UPDATE audit_tip SET seq = 1')).rejects.toMatchObject(refusal(/only moves forward/));
    await expect(sql.run('UPDATE audit_tip SET seq = seq')).rejects.toMatchObject(refusal(/only moves forward/));
    await expect(sql.run('DELETE FROM audit_tip')).rejects.toMatchObject(refusal(/kept with the audit log/));
    expect(await audit.tip()).toEqual(tip);
  });

  describe('someone who can write the database but does not hold the audit key', () => {
    it('cannot rewrite a vote\'s actor and re-hash the chain from there', async () => {
      const records = await audit.list();
      const prev = records[1]!.hash;
      const forged = { ...records[2]!, actor: 'aad:mallory' };
      const { prevHash: _p, hash: _h, ...content } = forged;
      const hash = sha256Chain(prev, content);
      await tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${hash}' WHERE seq = 3; UPDATE audit_tip SET hash = '${hash}'`);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/keyed hash/) });
    });

    it('cannot append a forged plan.approved', async () => {
      const [, , r3] = await audit.list();
      const content = { seq: 4, at: '2026-03-01T10:03:00.000Z', action: 'plan.approved', actor: 'aad:mallory', subjectId: 'plan_0000000000000001', detail: {} };
      const hash = sha256Chain(r3!.hash, content);
      await tamper(`INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash)
        VALUES (4, '${content.at}', 'plan.approved', 'aad:mallory', 'plan_0000000000000001', '{}', '${r3!.hash}', '${hash}');
        UPDATE audit_tip SET seq = 4, hash = '${hash}'`);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/keyed hash/) });
    });

    it('cannot wipe every row when the database holds requests, plans or jobs', async () => {
      await tamper('DELETE FROM audit_log; DELETE FROM audit_tip;');
      // Empty and nothing else in the database: a new chain, intact.
      expect(await audit.verify()).toEqual({ ok: true, count: 0, tip: null });
      await sql.run(`INSERT INTO requests (id, owner_id, owner_name, target_label, body, status, created_at, updated_at)
        VALUES ('req_0000000000000001', 'aad:dana', 'Dana', 'pool-eu', '{}', 'submitted', 'x', 'x')`);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 1, reason: expect.stringMatching(/chain is empty but the database holds requests/) });
    });

    it('is caught by a checkpoint after removing the tail and moving the tip back (even with the key)', async () => {
      const records = await audit.list();
      const checkpoint = { seq: 3, hash: records[2]!.hash };
      await tamper(`DELETE FROM audit_log WHERE seq = 3; UPDATE audit_tip SET seq = 2, hash = '${records[1]!.hash}'`);
      // Without the checkpoint the shorter chain looks whole: that is what checkpoints are for.
      expect(await audit.verify()).toMatchObject({ ok: true, count: 2 });
      expect(await audit.verify({ checkpoint })).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/before the checkpoint's row 3/) });
    });

    it('is caught by a checkpoint after a rewrite by the key holder', async () => {
      const records = await audit.list();
      const checkpoint = { seq: 2, hash: records[1]!.hash };
      const { prevHash: _p, hash: _h, ...content2 } = { ...records[1]!, actor: 'aad:mallory' };
      const h2 = auditHash(KEY, records[0]!.hash, content2);
      const { prevHash: _p3, hash: _h3, ...content3 } = records[2]!;
      const h3 = auditHash(KEY, h2, content3);
      await tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${h2}' WHERE seq = 2; UPDATE audit_log SET prev_hash = '${h2}', hash = '${h3}' WHERE seq = 3; UPDATE audit_tip SET hash = '${h3}'`);
      expect(await audit.verify()).toMatchObject({ ok: true, count: 3 });
      expect(await audit.verify({ checkpoint })).toMatchObject({ ok: false, seq: 2, reason: expect.stringMatching(/does not match the checkpoint/) });
      expect(await audit.verify({ checkpoint: { seq: 1, hash: records[0]!.hash } })).toMatchObject({ ok: true });
    });
  });

  it.each([
    { text: '3:' + 'a'.repeat(64), want: { seq: 3, hash: 'a'.repeat(64) } },
    { text: ' 12:' + 'AB'.repeat(32) + ' ', want: { seq: 12, hash: 'ab'.repeat(32) } },
    { text: '3:' + 'a'.repeat(63), want: null },
    { text: 'x:' + 'a'.repeat(64), want: null },
    { text: '3-' + 'a'.repeat(64), want: null },
  ])('parses the checkpoint $text', ({ text, want }) => {
    expect(parseCheckpoint(text)).toEqual(want);
  });

  it('catches an edit whose own hash was recomputed, at the next row', async () => {
    const [r1] = await audit.list();
    const content = { seq: 1, at: r1!.at, action: r1!.action, actor: 'aad:mallory', subjectId: r1!.subjectId, detail: r1!.detail };
    await tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${auditHash(KEY, GENESIS_HASH, content)}' WHERE seq = 1`);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 2 });
  });

  it.each([
    { filter: {}, want: [1, 2, 3] },
    { filter: { subjectId: 'plan_0000000000000001' }, want: [2, 3] },
    { filter: { since: '2026-03-01T10:01:00.000Z' }, want: [2, 3] },
    { filter: { since: '2026-03-01T10:01:00.000Z', subjectId: 'req_0000000000000001' }, want: [] },
  ])('lists with $filter', async ({ filter, want }) => {
    expect((await audit.list(filter)).map((r) => r.seq)).toEqual(want);
  });

  it('keeps appending after a reopen', async () => {
    await sql.close();
    const reopened = await reopenTestDatabase(database);
    try {
      const again = createAuditLog(reopened, clock, KEY);
      const r = await again.append({ action: 'job.leased', actor: 'run_0000000000000001', subjectId: null, detail: {} });
      expect(r.seq).toBe(4);
      expect(await again.verify()).toMatchObject({ ok: true, count: 4 });
    } finally {
      await reopened.close();
    }
  });
});

describeOn('postgres', 'audit log', () => {
  it.each(['audit_log', 'audit_tip'])('refuses TRUNCATE %s while the triggers stand', async (table) => {
    await expect(sql.run(`TRUNCATE ${table}`)).rejects.toMatchObject(refusal(table === 'audit_log' ? /append-only/ : /kept with the audit log/));
    expect(await audit.verify()).toMatchObject({ ok: true, count: 3 });
  });
});

describeOn('sqlite', 'audit log written by an older picbot', () => {
  /** A database file migrated up to the migrations `keep` leaves in (an older picbot's schema). */
  const olderFile = (keep: (id: string) => boolean) => openTestDatabase({ engine: 'sqlite', sqliteMigrations: MIGRATIONS.filter((m) => keep(m.id)) });

  it('the migrations record the tip of an unkeyed log written before them, and re-keying keys it', async () => {
    const old = await olderFile((id) => id !== '0008-audit-tip' && id !== '0009-audit-keyed');
    try {
      let prevHash = GENESIS_HASH;
      for (const seq of [1, 2]) {
        const content = { seq, at: `2026-01-0${seq}T00:00:00.000Z`, action: 'intake.submitted', actor: 'aad:dana', subjectId: null, detail: {} };
        const hash = sha256Chain(prevHash, content);
        await old.sql.run('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [seq, content.at, content.action, content.actor, null, '{}', prevHash, hash]);
        prevHash = hash;
      }
      await old.sql.close();
      const upgraded = await reopenTestDatabase(old);
      try {
        expect(await upgraded.all('SELECT seq, hash FROM audit_tip')).toEqual([{ seq: 2, hash: prevHash }]);
        expect(await upgraded.get('SELECT scheme FROM audit_meta')).toEqual({ scheme: 'sha256' });
        const keyed = createAuditLog(upgraded, clock, KEY);
        expect(await keyed.verify()).toMatchObject({ ok: false, seq: 1 });
        expect(rekeyLegacyChain(upgraded.sqlite!, KEY)).toEqual({ ok: true, count: 2 });
        expect(await upgraded.get('SELECT scheme FROM audit_meta')).toEqual({ scheme: 'hmac-sha256' });
        expect(await keyed.verify()).toMatchObject({ ok: true, count: 2 });
        // The append-only triggers are back.
        await expect(upgraded.run('DELETE FROM audit_log WHERE seq = 2')).rejects.toMatchObject(refusal(/append-only/));
        await expect(upgraded.run('UPDATE audit_log SET actor = actor')).rejects.toMatchObject(refusal(/append-only/));
        await expect(upgraded.run('UPDATE audit_tip SET seq = 1')).rejects.toMatchObject(refusal(/only moves forward/));
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.dispose();
    }
  });

  it('does not re-key an unkeyed chain that is already broken', async () => {
    const old = await olderFile((id) => id !== '0009-audit-keyed');
    try {
      await old.sql.run('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (1, ?, ?, ?, NULL, ?, ?, ?)',
        ['2026-01-01T00:00:00.000Z', 'plan.approved', 'aad:mallory', '{}', GENESIS_HASH, 'f'.repeat(64)]);
      await old.sql.close();
      const upgraded = await reopenTestDatabase(old);
      try {
        expect(rekeyLegacyChain(upgraded.sqlite!, KEY)).toMatchObject({ ok: false, seq: 1 });
        expect(await upgraded.get('SELECT scheme FROM audit_meta')).toEqual({ scheme: 'sha256' });
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.dispose();
    }
  });
});
