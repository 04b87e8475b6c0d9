import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, readCredentials, writeCredentials, type RunnerCredentials } from '../../../src/runner/credentials';

const creds: RunnerCredentials = {
  server: 'http://127.0.0.1:3978',
  runnerId: 'run_0123456789abcdef',
  runnerToken: 'pbr_secret',
  serverKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
  labels: ['pool-eu'],
  name: 'fe01',
  shell: 'sim',
  simState: '/tmp/state.json',
  frontEnd: null,
  enrolledAt: '2026-11-28T00:00:00.000Z',
};

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'picbot-creds-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runner credentials file', () => {
  it('writes 0600 through a temp file and reads it back', () => {
    const file = join(dir, 'sub', 'runner.json');
    writeCredentials(file, creds);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['runner.json']);
    expect(readCredentials(file)).toEqual(creds);
  });

  it('is absent before enrollment', () => {
    expect(readCredentials(join(dir, 'none.json'))).toBeNull();
  });

  it.each([
    { name: 'readable by the group', mode: 0o640, want: /readable by other users \(mode 640\).*chmod 600/ },
    { name: 'readable by everyone', mode: 0o644, want: /readable by other users/ },
  ])('refuses a file $name on POSIX', ({ mode, want }) => {
    const file = join(dir, 'runner.json');
    writeCredentials(file, creds);
    chmodSync(file, mode);
    expect(() => readCredentials(file, 'linux')).toThrow(want);
  });

  it.each([
    { name: 'not JSON', text: '{', want: /is not JSON/ },
    { name: 'missing the token', text: JSON.stringify({ ...creds, runnerToken: undefined }), want: /runnerToken/ },
    { name: 'an unknown key', text: JSON.stringify({ ...creds, admin: true }), want: /Unrecognized key/ },
  ])('refuses a file that is $name', ({ text, want }) => {
    const file = join(dir, 'runner.json');
    writeFileSync(file, text, { mode: 0o600 });
    expect(() => readCredentials(file)).toThrow(CredentialsError);
    expect(() => readCredentials(file)).toThrow(want);
  });
});
