import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { auditHash, createAuditLog, GENESIS_HASH, parseCheckpoint, rekeyLegacyChain } from '../../../../src/bot/stores/audit-log';
import { openDatabase, type Db } from '../../../../src/bot/stores/db';
import { MIGRATIONS } from '../../../../src/bot/stores/migrations';
import type { AuditLog } from '../../../../src/bot/workflows/ports';
import type { Clock } from '../../../../src/shared/clock';

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

let dir: string;
let path: string;
let db: Db;
let audit: AuditLog;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-audit-'));
  path = join(dir, 'picbot.db');
  db = openDatabase(path);
  clock = fakeClock('2026-03-01T10:00:00.000Z');
  audit = createAuditLog(db, clock, KEY);
  await audit.append({ action: 'intake.submitted', actor: 'aad:dana', subjectId: 'req_0000000000000001', detail: { step: 'edge', fqdns: ['sip.contoso.com'] } });
  clock.advance(60_000);
  await audit.append({ action: 'plan.computed', actor: 'system', subjectId: 'plan_0000000000000001', detail: { planHash: 'ab'.repeat(32), steps: 3 } });
  clock.advance(60_000);
  await audit.append({ action: 'plan.vote', actor: 'aad:alex', subjectId: 'plan_0000000000000001', detail: { vote: 'approve', note: 'ünïcode ✓' } });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the file as an attacker would: raw SQLite, triggers dropped. */
function tamper(sql: string): void {
  const raw = new Database(path);
  raw.exec(`DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
    DROP TRIGGER IF EXISTS audit_tip_forward_only; DROP TRIGGER IF EXISTS audit_tip_no_delete;`);
  raw.exec(sql);
  raw.close();
}

describe('audit log', () => {
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
    const fresh = openDatabase(':memory:');
    expect(await createAuditLog(fresh, clock, KEY).verify()).toEqual({ ok: true, count: 0, tip: null });
    fresh.close();
  });

  it.each([
    { sql: 'UPDATE audit_log SET seq = seq WHERE seq = 1', what: 'update' },
    { sql: 'DELETE FROM audit_log WHERE seq = 1', what: 'delete' },
  ])('refuses an $what through the store file while the triggers stand', ({ sql }) => {
    expect(() => db.exec(sql)).toThrow(/append-only/);
  });

  it.each([
    { name: 'the detail of a row', sql: `UPDATE audit_log SET detail = '{"step":"edge","fqdns":["evil.contoso.com"]}' WHERE seq = 1`, seq: 1, reason: /edited or re-hashed/ },
    { name: 'the actor of a row', sql: `UPDATE audit_log SET actor = 'aad:mallory' WHERE seq = 3`, seq: 3, reason: /edited or re-hashed/ },
    { name: 'the time of a row', sql: `UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2`, seq: 2, reason: /edited or re-hashed/ },
    { name: 'the subject of a row', sql: `UPDATE audit_log SET subject_id = 'plan_zzzzzzzzzzzzzzzz' WHERE seq = 2`, seq: 2, reason: /edited or re-hashed/ },
    { name: 'a row removed', sql: 'DELETE FROM audit_log WHERE seq = 2', seq: 3, reason: /expected row 2/ },
    { name: 'a detail that is not JSON', sql: `UPDATE audit_log SET detail = 'oops' WHERE seq = 2`, seq: 2, reason: /not valid JSON/ },
    { name: 'a prev_hash rewritten', sql: `UPDATE audit_log SET prev_hash = '${'f'.repeat(64)}' WHERE seq = 3`, seq: 3, reason: /prev_hash/ },
  ])('names the first broken row after editing $name', async ({ sql, seq, reason }) => {
    tamper(sql);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, seq });
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it.each([
    { name: 'the last row', sql: 'DELETE FROM audit_log WHERE seq = 3', seq: 3, reason: /^the last row is missing: the chain ends at row 2, it should end at row 3$/ },
    { name: 'the last two rows', sql: 'DELETE FROM audit_log WHERE seq >= 2', seq: 2, reason: /^the last 2 rows are missing: the chain ends at row 1, it should end at row 3$/ },
    { name: 'every row', sql: 'DELETE FROM audit_log', seq: 1, reason: /^the last 3 rows are missing: the chain ends at row 0, it should end at row 3$/ },
    { name: 'the tip record', sql: 'DELETE FROM audit_tip', seq: 3, reason: /audit_tip\) is missing/ },
    { name: 'the last row and the tip moved back with it', sql: 'DELETE FROM audit_log WHERE seq = 3; UPDATE audit_tip SET seq = 2', seq: 2, reason: /does not match the recorded hash/ },
  ])('finds $name removed (the chain before it is intact)', async ({ sql, seq, reason }) => {
    tamper(sql);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, seq });
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('after the last row was removed, the next append leaves the gap visible instead of reusing its number', async () => {
    tamper('DELETE FROM audit_log WHERE seq = 3');
    const r = await audit.append({ action: 'job.leased', actor: 'run_0000000000000001', subjectId: null, detail: {} });
    expect(r.seq).toBe(4);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/expected row 3/) });
  });

  it('finds a row appended behind picbot\'s back, even with a correct hash', async () => {
    const [, , r3] = await audit.list();
    const content = { seq: 4, at: '2026-03-01T10:03:00.000Z', action: 'plan.vote', actor: 'aad:mallory', subjectId: 'plan_0000000000000001', detail: {} };
    tamper(`INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash)
      VALUES (4, '${content.at}', 'plan.vote', 'aad:mallory', 'plan_0000000000000001', '{}', '${r3!.hash}', '${auditHash(KEY, r3!.hash, content)}')`);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/added outside picbot/) });
  });

  it('the tip only moves forward and cannot be deleted while its triggers stand', () => {
    expect(() => db.exec('UPDATE audit_tip SET seq = 1')).toThrow(/only moves forward/);
    expect(() => db.exec('DELETE FROM audit_tip')).toThrow(/kept with the audit log/);
  });

  it('the migrations record the tip of an unkeyed log written before them, and re-keying keys it', async () => {
    const oldPath = join(dir, 'old.db');
    const old = openDatabase(oldPath, MIGRATIONS.filter((m) => m.id !== '0008-audit-tip' && m.id !== '0009-audit-keyed'));
    let prevHash = GENESIS_HASH;
    for (const seq of [1, 2]) {
      const content = { seq, at: `2026-01-0${seq}T00:00:00.000Z`, action: 'intake.submitted', actor: 'aad:dana', subjectId: null, detail: {} };
      const hash = sha256Chain(prevHash, content);
      old.prepare('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(seq, content.at, content.action, content.actor, null, '{}', prevHash, hash);
      prevHash = hash;
    }
    old.close();
    const upgraded = openDatabase(oldPath);
    try {
      expect(upgraded.prepare('SELECT seq, hash FROM audit_tip').all()).toEqual([{ seq: 2, hash: prevHash }]);
      expect(upgraded.prepare('SELECT scheme FROM audit_meta').get()).toEqual({ scheme: 'sha256' });
      const keyed = createAuditLog(upgraded, clock, KEY);
      expect(await keyed.verify()).toMatchObject({ ok: false, seq: 1 });
      expect(rekeyLegacyChain(upgraded, KEY)).toEqual({ ok: true, count: 2 });
      expect(upgraded.prepare('SELECT scheme FROM audit_meta').get()).toEqual({ scheme: 'hmac-sha256' });
      expect(await keyed.verify()).toMatchObject({ ok: true, count: 2 });
      // The append-only triggers are back.
      expect(() => upgraded.exec('DELETE FROM audit_log WHERE seq = 2')).toThrow(/append-only/);
      expect(() => upgraded.exec('UPDATE audit_log SET actor = actor')).toThrow(/append-only/);
    } finally {
      upgraded.close();
    }
  });

  it('does not re-key an unkeyed chain that is already broken', () => {
    const oldPath = join(dir, 'old-broken.db');
    const old = openDatabase(oldPath, MIGRATIONS.filter((m) => m.id !== '0009-audit-keyed'));
    old.prepare('INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash) VALUES (1, ?, ?, ?, NULL, ?, ?, ?)')
      .run('2026-01-01T00:00:00.000Z', 'plan.approved', 'aad:mallory', '{}', GENESIS_HASH, 'f'.repeat(64));
    old.close();
    const upgraded = openDatabase(oldPath);
    try {
      expect(rekeyLegacyChain(upgraded, KEY)).toMatchObject({ ok: false, seq: 1 });
      expect(upgraded.prepare('SELECT scheme FROM audit_meta').get()).toEqual({ scheme: 'sha256' });
    } finally {
      upgraded.close();
    }
  });

  describe('someone who can write the database but does not hold the audit key', () => {
    it('cannot rewrite a vote\'s actor and re-hash the chain from there', async () => {
      const records = await audit.list();
      const prev = records[1]!.hash;
      const forged = { ...records[2]!, actor: 'aad:mallory' };
      const { prevHash: _p, hash: _h, ...content } = forged;
      const hash = sha256Chain(prev, content);
      tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${hash}' WHERE seq = 3; UPDATE audit_tip SET hash = '${hash}'`);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/keyed hash/) });
    });

    it('cannot append a forged plan.approved', async () => {
      const [, , r3] = await audit.list();
      const content = { seq: 4, at: '2026-03-01T10:03:00.000Z', action: 'plan.approved', actor: 'aad:mallory', subjectId: 'plan_0000000000000001', detail: {} };
      const hash = sha256Chain(r3!.hash, content);
      tamper(`INSERT INTO audit_log (seq, at, action, actor, subject_id, detail, prev_hash, hash)
        VALUES (4, '${content.at}', 'plan.approved', 'aad:mallory', 'plan_0000000000000001', '{}', '${r3!.hash}', '${hash}');
        UPDATE audit_tip SET seq = 4, hash = '${hash}'`);
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/keyed hash/) });
    });

    it('cannot wipe every row when the database holds requests, plans or jobs', async () => {
      tamper('DELETE FROM audit_log; DELETE FROM audit_tip;');
      // Empty and nothing else in the database: a new chain, intact.
      expect(await audit.verify()).toEqual({ ok: true, count: 0, tip: null });
      db.prepare(`INSERT INTO requests (id, owner_id, owner_name, target_label, body, status, created_at, updated_at)
        VALUES ('req_0000000000000001', 'aad:dana', 'Dana', 'pool-eu', '{}', 'submitted', 'x', 'x')`).run();
      expect(await audit.verify()).toMatchObject({ ok: false, seq: 1, reason: expect.stringMatching(/chain is empty but the database holds requests/) });
    });

    it('is caught by a checkpoint after removing the tail and moving the tip back (even with the key)', async () => {
      const records = await audit.list();
      const checkpoint = { seq: 3, hash: records[2]!.hash };
      tamper(`DELETE FROM audit_log WHERE seq = 3; UPDATE audit_tip SET seq = 2, hash = '${records[1]!.hash}'`);
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
      tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${h2}' WHERE seq = 2; UPDATE audit_log SET prev_hash = '${h2}', hash = '${h3}' WHERE seq = 3; UPDATE audit_tip SET hash = '${h3}'`);
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
    tamper(`UPDATE audit_log SET actor = 'aad:mallory', hash = '${auditHash(KEY, GENESIS_HASH, content)}' WHERE seq = 1`);
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
    db.close();
    db = openDatabase(path);
    audit = createAuditLog(db, clock, KEY);
    const r = await audit.append({ action: 'job.leased', actor: 'run_0000000000000001', subjectId: null, detail: {} });
    expect(r.seq).toBe(4);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 4 });
  });
});
