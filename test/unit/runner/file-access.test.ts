/**
 * The runner's start-up checks of who else may touch lync-ops.ps1 and the credentials file.
 * POSIX: real files and mode bits. Windows: a fake probe that answers as Get-Acl does (through
 * the one-shot PowerShell in file-access.ts); the real Get-Acl check is on the checklist in
 * src/runner/scripts/README.md.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsReadableProblem, scriptWritableProblem, type AclAnswer, type AclProbe } from '../../../src/runner/file-access';

const SERVICE = 'S-1-5-21-1004336348-1177238915-682003330-1012';
const rule = (sid: string, identity: string, rights: number, type: 'Allow' | 'Deny' = 'Allow') => ({ sid, identity, rights, type });
// FileSystemRights values as Get-Acl reports them, cast to numbers.
const FULL = 2032127;
const MODIFY = 1245631;
const READ_EXECUTE = 1179817;
const ADMINS = rule('S-1-5-32-544', 'BUILTIN\\Administrators', FULL);
const SYSTEM = rule('S-1-5-18', 'NT AUTHORITY\\SYSTEM', FULL);
const ME = rule(SERVICE, 'CONTOSO\\svc-picbot', MODIFY);

/** A probe answering for every path with the same ACL, recording what it was asked. */
function getAcl(access: AclAnswer['access'] | 'fails' | 'garbage'): AclProbe & { asked: string[] } {
  const asked: string[] = [];
  const probe = async (path: string) => {
    asked.push(path);
    if (access === 'fails') throw new Error('Get-Acl : Cannot find path');
    if (access === 'garbage') return 'Access denied';
    return { currentUserSid: SERVICE, access };
  };
  return Object.assign(probe, { asked });
}

describe('Windows ACL checks (a fake Get-Acl)', () => {
  const script = 'C:\\picbot\\src\\runner\\scripts\\lync-ops.ps1';

  it('accepts a script only Administrators, SYSTEM and the service account can change; others may read and run it', async () => {
    const probe = getAcl([ADMINS, SYSTEM, ME, rule('S-1-5-32-545', 'BUILTIN\\Users', READ_EXECUTE)]);
    expect(await scriptWritableProblem(script, { platform: 'win32', probe })).toBeNull();
    // The script and its folder (someone who can write the folder can replace the script).
    expect(probe.asked).toEqual([script, 'C:\\picbot\\src\\runner\\scripts']);
  });

  it.each([
    { name: 'Authenticated Users with Modify (the default under C:\\)', extra: rule('S-1-5-11', 'NT AUTHORITY\\Authenticated Users', MODIFY), who: /Authenticated Users/ },
    { name: 'BUILTIN\\Users allowed to append data', extra: rule('S-1-5-32-545', 'BUILTIN\\Users', 0x4), who: /BUILTIN\\Users/ },
    { name: 'Everyone with full control', extra: rule('S-1-1-0', 'Everyone', FULL), who: /Everyone/ },
    { name: 'another account allowed to change permissions', extra: rule('S-1-5-21-1-2-3-1013', 'CONTOSO\\mallory', 0x40000), who: /mallory/ },
  ])('refuses a script writable by $name, naming who and how to fix it', async ({ extra, who }) => {
    const problem = await scriptWritableProblem(script, { platform: 'win32', probe: getAcl([ADMINS, SYSTEM, ME, extra]) });
    expect(problem).toMatch(who);
    expect(problem).toMatch(/lync-ops\.ps1 is writable by .*icacls/);
  });

  it('refuses when the ACL cannot be read, rather than assuming it is fine', async () => {
    expect(await scriptWritableProblem(script, { platform: 'win32', probe: getAcl('fails') })).toMatch(/cannot read the ACL of .*lync-ops\.ps1 \(Get-Acl : Cannot find path\)/);
    expect(await scriptWritableProblem(script, { platform: 'win32', probe: getAcl('garbage') })).toMatch(/Get-Acl answered something else/);
  });

  it('a deny rule does not excuse an allow rule for the same group (it is reported)', async () => {
    const users = [rule('S-1-5-32-545', 'BUILTIN\\Users', MODIFY), rule('S-1-5-32-545', 'BUILTIN\\Users', 0x2, 'Deny')];
    expect(await scriptWritableProblem(script, { platform: 'win32', probe: getAcl([ADMINS, ...users]) })).toMatch(/BUILTIN\\Users/);
  });

  it('refuses a credentials file others can read, and accepts one only the service account, Administrators and SYSTEM can', async () => {
    const file = 'C:\\ProgramData\\picbot\\runner.json';
    expect(await credentialsReadableProblem(file, { platform: 'win32', probe: getAcl([ADMINS, SYSTEM, ME]) })).toBeNull();
    const problem = await credentialsReadableProblem(file, { platform: 'win32', probe: getAcl([ADMINS, SYSTEM, ME, rule('S-1-5-32-545', 'BUILTIN\\Users', READ_EXECUTE)]) });
    expect(problem).toMatch(/runner\.json is readable by BUILTIN\\Users; it holds the runner token: icacls/);
  });
});

describe('POSIX mode bits', () => {
  let dir: string;
  let script: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'picbot-access-'));
    mkdirSync(join(dir, 'scripts'), { mode: 0o755 });
    chmodSync(join(dir, 'scripts'), 0o755);
    script = join(dir, 'scripts', 'lync-ops.ps1');
    writeFileSync(script, '#', { mode: 0o644 });
    chmodSync(script, 0o644);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts 0644 in a 0755 folder', async () => {
    expect(await scriptWritableProblem(script, { platform: 'linux' })).toBeNull();
  });

  it.each([
    { name: 'a group-writable script', file: 0o664, folder: 0o755, want: /lync-ops\.ps1 is writable by other users \(mode 664\)/ },
    { name: 'a world-writable script', file: 0o646, folder: 0o755, want: /mode 646/ },
    { name: 'a world-writable folder', file: 0o644, folder: 0o777, want: /scripts is writable by other users \(mode 777\)/ },
  ])('refuses $name', async ({ file, folder, want }) => {
    chmodSync(script, file);
    chmodSync(join(dir, 'scripts'), folder);
    expect(await scriptWritableProblem(script, { platform: 'linux' })).toMatch(want);
  });

  it('leaves the credentials file to readCredentials (mode bits) off Windows', async () => {
    expect(await credentialsReadableProblem(script, { platform: 'linux', probe: getAcl('fails') })).toBeNull();
  });
});
