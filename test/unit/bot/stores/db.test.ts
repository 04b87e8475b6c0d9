/** The SQLite file holds the job-signing private key: owner-only modes on POSIX. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../../src/bot/stores/db';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-db-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const WAL_FILES = ['picbot.db', 'picbot.db-wal', 'picbot.db-shm'];

describe('file modes (POSIX)', () => {
  it('a new database in a folder picbot creates: folder 0700, database and WAL files 0600', () => {
    const folder = join(dir, 'data', 'nested');
    const db = openDatabase(join(folder, 'picbot.db'), undefined, 'linux');
    try {
      db.prepare('INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)').run('k', 'PRIVATE KEY', 'now');
      expect(modeOf(join(dir, 'data'))).toBe(0o700);
      expect(modeOf(folder)).toBe(0o700);
      for (const file of WAL_FILES) expect([file, modeOf(join(folder, file))]).toEqual([file, 0o600]);
    } finally {
      db.close();
    }
  });

  it('an existing 0644 database and its WAL files become 0600; an existing folder keeps its mode', () => {
    const folder = join(dir, 'shared');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, 'picbot.db');
    // A database left by an older picbot, with its WAL files still there (not checkpointed).
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    for (const file of WAL_FILES) chmodSync(join(folder, file), 0o644);
    const db = openDatabase(path, undefined, 'linux');
    try {
      for (const file of WAL_FILES) expect([file, modeOf(join(folder, file))]).toEqual([file, 0o600]);
      expect(modeOf(folder)).toBe(0o755);
    } finally {
      db.close();
      old.close();
    }
  });

  it('Windows: no chmod (modes mean nothing there; the folder ACL decides)', () => {
    const path = join(dir, 'picbot.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const db = openDatabase(path, undefined, 'win32');
    db.close();
    expect(modeOf(path)).toBe(0o644);
  });

  it('an in-memory database touches no file', () => {
    const db = openDatabase(':memory:', undefined, 'linux');
    db.close();
    expect(existsSync(':memory:')).toBe(false);
  });
});
