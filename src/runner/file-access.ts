/**
 * Start-up checks of who else may touch the runner's files: lync-ops.ps1 (and its folder) must
 * not be writable by other users — the runner runs it as a CsAdministrator account — and the
 * credentials file must not be readable by them (it holds the runner token).
 * POSIX: mode bits. Windows: the file's ACL as `Get-Acl` reports it, read through a one-shot
 * PowerShell that gets the path as data (an environment variable), never pasted into the command.
 * See docs/deploy.md, "Run a runner" (the icacls steps) and src/runner/scripts/README.md.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { z } from 'zod';

/** One access rule as the probe reports it: who (SID and name), what (FileSystemRights as a number), allow or deny. */
const AccessRule = z.object({ sid: z.string(), identity: z.string(), rights: z.number().int(), type: z.enum(['Allow', 'Deny']) });
/** What the probe answers: the rules of the file's ACL and the SID of the account the runner runs as. */
export const AclAnswer = z.object({ currentUserSid: z.string(), access: z.array(AccessRule) });
export type AclAnswer = z.infer<typeof AclAnswer>;

/** Reads a file's ACL (Windows); answers what Get-Acl says, as JSON-shaped data. */
export type AclProbe = (path: string) => Promise<unknown>;

/**
 * FileSystemRights bits that let someone change a file or folder's content or its rules:
 * WriteData/CreateFiles 0x2, AppendData 0x4, WriteExtendedAttributes 0x10, DeleteSubdirectoriesAndFiles 0x40,
 * WriteAttributes 0x100, Delete 0x10000, ChangePermissions 0x40000, TakeOwnership 0x80000,
 * GENERIC_ALL 0x10000000, GENERIC_WRITE 0x40000000.
 * https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemrights
 */
const WRITE_RIGHTS = 0x2 | 0x4 | 0x10 | 0x40 | 0x100 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000;
/** ReadData 0x1, GENERIC_ALL 0x10000000, GENERIC_READ 0x80000000. */
const READ_RIGHTS = 0x1 | 0x10000000 | 0x80000000;

/** Who may always hold rights: LocalSystem, BUILTIN\Administrators, TrustedInstaller (well-known SIDs). */
const TRUSTED_SIDS = new Set(['S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464']);

// The path arrives in $env:PICBOT_ACL_PATH: data, not code. Rights are cast to numbers so the
// check does not depend on the display language or on how ConvertTo-Json prints enums.
const GET_ACL = [
  '$ErrorActionPreference = "Stop"',
  '$acl = Get-Acl -LiteralPath $env:PICBOT_ACL_PATH',
  '$rules = @($acl.Access | ForEach-Object { @{ sid = $_.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value; identity = $_.IdentityReference.Value; rights = [int64]$_.FileSystemRights; type = $_.AccessControlType.ToString() } })',
  '@{ currentUserSid = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value; access = $rules } | ConvertTo-Json -Compress -Depth 4',
].join('; ');

/** The Windows probe: Get-Acl in a one-shot powershell.exe. */
export function powershellAclProbe(): AclProbe {
  return (path) =>
    new Promise((resolve, reject) => {
      execFile('powershell.exe', ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', GET_ACL], { env: { ...process.env, PICBOT_ACL_PATH: path }, timeout: 30_000, windowsHide: true }, (err, stdout) => {
        if (err) return reject(new Error(`Get-Acl ${path}: ${err.message}`));
        try {
          resolve(JSON.parse(stdout) as unknown);
        } catch {
          reject(new Error(`Get-Acl ${path}: the answer is not JSON`));
        }
      });
    });
}

/** The names of the others an ACL grants any of `rights` (Allow rules; deny rules only narrow, so they are not counted in our favour). */
function othersWith(answer: AclAnswer, rights: number): string[] {
  const trusted = (sid: string) => TRUSTED_SIDS.has(sid) || sid === answer.currentUserSid;
  return [...new Set(answer.access.filter((r) => r.type === 'Allow' && (r.rights & rights) !== 0 && !trusted(r.sid)).map((r) => r.identity))];
}

async function windowsProblem(path: string, probe: AclProbe, rights: number, what: string, fix: string): Promise<string | null> {
  let raw: unknown;
  try {
    raw = await probe(path);
  } catch (err) {
    return `cannot read the ACL of ${path} (${(err as Error).message}); ${fix}`;
  }
  const answer = AclAnswer.safeParse(raw);
  if (!answer.success) return `cannot read the ACL of ${path} (Get-Acl answered something else); ${fix}`;
  const others = othersWith(answer.data, rights);
  return others.length > 0 ? `${path} is ${what} by ${others.join(', ')}; ${fix}` : null;
}

export interface AccessCheckOptions {
  platform?: NodeJS.Platform;
  /** Windows only: how the ACL is read (default powershellAclProbe). */
  probe?: AclProbe;
}

/**
 * Why lync-ops.ps1 (or its folder) is writable by someone other than this account,
 * Administrators and SYSTEM; null when it is not.
 */
export async function scriptWritableProblem(scriptPath: string, options: AccessCheckOptions = {}): Promise<string | null> {
  const platform = options.platform ?? process.platform;
  const folder = (platform === 'win32' ? win32 : posix).dirname(scriptPath);
  if (platform === 'win32') {
    const probe = options.probe ?? powershellAclProbe();
    const fix = `restrict the runner folder to Administrators and the runner's service account (docs/deploy.md, "Run a runner": icacls)`;
    for (const path of [scriptPath, folder]) {
      const problem = await windowsProblem(path, probe, WRITE_RIGHTS, 'writable', fix);
      if (problem) return problem;
    }
    return null;
  }
  for (const path of [scriptPath, folder]) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o022) !== 0) return `${path} is writable by other users (mode ${mode.toString(8)}); the runner runs this script as its Lync admin account. Run: chmod go-w ${path}`;
  }
  return null;
}

/** Windows: why the credentials file is readable by someone other than this account, Administrators and SYSTEM; null when it is not. */
export async function credentialsReadableProblem(path: string, options: AccessCheckOptions = {}): Promise<string | null> {
  if ((options.platform ?? process.platform) !== 'win32') return null; // POSIX: readCredentials checks the mode bits
  return windowsProblem(path, options.probe ?? powershellAclProbe(), READ_RIGHTS, 'readable', `it holds the runner token: icacls "${path}" /inheritance:r /grant:r "%USERNAME%:F" "Administrators:F" "SYSTEM:F"`);
}
