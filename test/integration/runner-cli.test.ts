/**
 * `picbot runner-token` and `picbot runner list|revoke` as real processes (bin/picbot.js) on the
 * SQLite file of a running server: the token they print enrolls over HTTP once; a runner revoked
 * from the shell gets 401 from the server at its next call.
 */
import { join } from 'node:path';
import { runPicbot, type Ran } from './cli-process';
import { startTestServer, type TestServer } from './runner-helpers';

const picbot = (args: string[], cwd: string): Promise<Ran> => runPicbot(args, { cwd });

let t: TestServer;
let db: string;
beforeEach(async () => {
  t = await startTestServer();
  db = join(t.dir, 'picbot.db');
});
afterEach(async () => {
  await t.close();
});

async function enroll(token: string, labels = ['pool-eu']): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.server.url}/api/runner/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollmentToken: token, name: 'fe01', labels }) });
  return { status: res.status, body: await res.json() };
}

describe('picbot runner-token', () => {
  it('prints only the token, which enrolls once', async () => {
    const r = await picbot(['runner-token', '--labels', 'pool-eu', '--db', db], t.dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^pbe_[A-Za-z0-9_-]{43}\n$/);
    expect((await enroll(r.stdout.trim())).status).toBe(200);
    expect((await enroll(r.stdout.trim())).status).toBe(401);
  });

  it('prints {token, expiresAt, labels} with --json, one hour ahead', async () => {
    const before = Date.now();
    const r = await picbot(['runner-token', '--labels', 'Pool-EU,pool-us', '--json', '--db', db], t.dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ token: expect.stringMatching(/^pbe_/), expiresAt: expect.any(String), labels: ['pool-eu', 'pool-us'] });
    const ttl = Date.parse(out.expiresAt) - before;
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000 + 60_000);
    expect((await t.server.deps.audit.list()).filter((a) => a.action === 'runner.token.created').map((a) => a.detail)).toEqual([{ labels: ['pool-eu', 'pool-us'], expiresAt: out.expiresAt }]);
    expect(JSON.stringify(await t.server.deps.audit.list())).not.toContain(out.token);
  });

  it.each([
    { args: [], want: /--labels is required/ },
    { args: ['--labels', ''], want: /at least one label/ },
    { args: ['--labels', 'pool eu'], want: /label "pool eu"/ },
    { args: ['--labels', 'a', '--bogus'], want: /Unknown option '--bogus'/ },
  ])('refuses $args with exit 1', async ({ args, want }) => {
    const r = await picbot(['runner-token', ...args, '--db', db], t.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(want);
  });
});

describe('picbot runner', () => {
  it('lists runners and revokes one: its token then gets 401', async () => {
    const { token } = await t.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const enrolled = (await enroll(token)).body as { runnerId: string; runnerToken: string };
    const lease = () => fetch(`${t.server.url}/api/runner/v1/jobs/lease`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${enrolled.runnerToken}` }, body: '{"waitSeconds":0}' });
    expect((await lease()).status).toBe(204);

    const list = await picbot(['runner', 'list', '--json', '--db', db], t.dir);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: enrolled.runnerId, name: 'fe01', labels: ['pool-eu'], revokedAt: null })]);

    const revoked = await picbot(['runner', 'revoke', enrolled.runnerId, '--db', db], t.dir);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${enrolled.runnerId} (fe01, pool-eu)\n` });
    const res = await lease();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringMatching(/revoked/) } });

    const again = await picbot(['runner', 'revoke', enrolled.runnerId, '--db', db], t.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already revoked/);
    expect((await t.server.deps.audit.list({ subjectId: enrolled.runnerId })).map((a) => [a.action, a.actor])).toEqual([
      ['runner.enrolled', enrolled.runnerId], ['runner.revoked', 'cli'],
    ]);
  });

  it.each([
    { args: ['runner'], want: /missing subcommand/ },
    { args: ['runner', 'revoke'], want: /needs the runner id/ },
    { args: ['runner', 'revoke', 'fe01'], want: /not a runner id/ },
    { args: ['runner', 'revoke', 'run_0123456789abcdef'], want: /there is no runner run_0123456789abcdef/ },
    { args: ['runner', 'drop'], want: /unknown subcommand drop/ },
  ])('refuses $args with exit 1', async ({ args, want }) => {
    const r = await picbot([...args, '--db', db], t.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(want);
  });

  it('refuses a database that does not exist', async () => {
    const r = await picbot(['runner', 'list', '--db', join(t.dir, 'nope.db')], t.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no picbot database at/);
  });
});
