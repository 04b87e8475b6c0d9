/**
 * The picbot commands that work on the server's SQLite file never create one: with no database
 * at --db / PICBOT_DB / ./data/picbot.db they exit 1 naming the path and how to point at the
 * server's, and leave nothing behind. Their flags are checked before any file is touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPicbot, type Ran } from './cli-process';

const picbot = (args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> => runPicbot(args, { cwd, env });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-cli-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = [
  { name: 'runner-token', args: ['runner-token', '--labels', 'pool-eu'] },
  { name: 'runner-token --json', args: ['runner-token', '--labels', 'pool-eu', '--json'] },
  { name: 'runner list', args: ['runner', 'list'] },
  { name: 'runner revoke', args: ['runner', 'revoke', 'run_0123456789abcdef'] },
  { name: 'audit verify', args: ['audit', 'verify'] },
  { name: 'audit export', args: ['audit', 'export'] },
  { name: 'request export', args: ['request', 'export', 'req_0123456789abcdef'] },
  { name: 'db status', args: ['db', 'status'] },
];

describe.each(COMMANDS)('picbot $name without a database', ({ args }) => {
  it('--db to a missing file: exit 1, the path and the way out on stderr, no file created', async () => {
    const db = join(dir, 'elsewhere', 'picbot.db');
    const r = await picbot([...args, '--db', db], dir);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`no picbot database at ${db}: run this command in the picbot server's folder`);
    expect(r.stderr).toMatch(/or pass --db FILE/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the default ./data/picbot.db in a folder without one: exit 1, nothing created', async () => {
    const r = await picbot(args, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no picbot database at ${join(dir, 'data', 'picbot.db')}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('PICBOT_DB to a missing file: exit 1, nothing created', async () => {
    const db = join(dir, 'env.db');
    const r = await picbot(args, dir, { PICBOT_DB: db });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no picbot database at ${db}`);
    expect(existsSync(db)).toBe(false);
  });

  it('a folder given as --db is not a database', async () => {
    mkdirSync(join(dir, 'data'));
    const r = await picbot([...args, '--db', join(dir, 'data')], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no picbot database at ${join(dir, 'data')}`);
    expect(readdirSync(join(dir, 'data'))).toEqual([]);
  });
});

describe('picbot runner-token checks its flags before the database', () => {
  it.each([
    { args: ['--labels', 'pool eu'], want: /--labels: label "pool eu"/ },
    { args: ['--labels', ','], want: /at least one label/ },
    { args: [], want: /--labels is required/ },
    { args: ['--labels', 'a', '--bogus'], want: /Unknown option '--bogus'/ },
  ])('$args: the flag error, not the missing database; nothing created', async ({ args, want }) => {
    const r = await picbot(['runner-token', ...args], dir);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(want);
    expect(r.stderr).not.toMatch(/no picbot database/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
