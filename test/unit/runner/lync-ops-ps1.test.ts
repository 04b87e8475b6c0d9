import { readFileSync } from 'node:fs';
import { OP_NAMES, READ_OP_NAMES, type OpName } from '../../../src/contracts/ops';
import { LYNC_OPS_SCRIPT } from '../../../src/runner/shell-host';

/**
 * PowerShell cannot run here, so the script is checked by reading it: its op switch must list
 * exactly the catalog's ops, each calling its one fixed cmdlet with the common parameters.
 */
const script = readFileSync(LYNC_OPS_SCRIPT, 'utf8');

/** The script with comments and string contents blanked out (quotes kept, offsets unchanged). */
function codeOnly(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<' && text[i + 1] === '#') {
      const end = text.indexOf('#>', i + 2);
      blank(i, end + 2);
      i = end + 2;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      blank(i, end);
      i = end;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      blank(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '`' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else {
      i += 1;
    }
  }
  return out.join('');
}

const code = codeOnly(script);

function matchingBrace(open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth += 1;
    if (code[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`unbalanced brace at ${open}`);
}

/** Each case of `switch -Exact ($op)`: its label, its body (code only) and its text. */
function opSwitchCases(): { label: string; body: string; text: string }[] {
  const head = code.indexOf('switch -Exact ($op) {');
  expect(head).toBeGreaterThan(0);
  const open = code.indexOf('{', head);
  const close = matchingBrace(open);
  const cases: { label: string; body: string; text: string }[] = [];
  let i = open + 1;
  while (i < close) {
    const rest = code.slice(i, close);
    const m = /^\s*(?:'(\s*)'|(default))\s*\{/.exec(rest);
    if (!m) {
      if (rest.trim() === '') break;
      throw new Error(`unexpected text in the op switch: ${script.slice(i, i + 60)}`);
    }
    const labelStart = i + m[0].indexOf("'") + 1;
    const label = m[2] ?? script.slice(labelStart, labelStart + m[1].length);
    const bodyOpen = i + m[0].length - 1;
    const bodyClose = matchingBrace(bodyOpen);
    cases.push({ label, body: code.slice(bodyOpen + 1, bodyClose), text: script.slice(bodyOpen + 1, bodyClose) });
    i = bodyClose + 1;
  }
  return cases;
}

/**
 * The one cmdlet each op runs. server.version calls the functions Get-ServerVersion and
 * Get-VerificationLevels instead (checked below), and capabilities.get only Get-Command.
 */
const CMDLET: Record<OpName, string | null> = {
  'server.version': null,
  'capabilities.get': null,
  'topology.get': 'Get-CsService',
  'site.list': 'Get-CsSite',
  'externalAccessPolicy.holders': 'Get-CsUser',
  'publicProvider.probe': 'New-CsPublicProvider',
  'accessEdge.get': 'Get-CsAccessEdgeConfiguration',
  'sipDomain.list': 'Get-CsSipDomain',
  'publicProvider.list': 'Get-CsPublicProvider',
  'hostingProvider.list': 'Get-CsHostingProvider',
  'externalAccessPolicy.list': 'Get-CsExternalAccessPolicy',
  'user.externalAccessPolicy': 'Get-CsUser',
  'clientPolicy.get': 'Get-CsClientPolicy',
  'replication.status': 'Get-CsManagementStoreReplicationStatus',
  'accessEdge.set': 'Set-CsAccessEdgeConfiguration',
  'externalAccessPolicy.new': 'New-CsExternalAccessPolicy',
  'externalAccessPolicy.set': 'Set-CsExternalAccessPolicy',
  'externalAccessPolicy.remove': 'Remove-CsExternalAccessPolicy',
  'externalAccessPolicy.grant': 'Grant-CsExternalAccessPolicy',
  'publicProvider.new': 'New-CsPublicProvider',
  'publicProvider.set': 'Set-CsPublicProvider',
  'publicProvider.remove': 'Remove-CsPublicProvider',
  'clientPolicy.set': 'Set-CsClientPolicy',
};

describe('lync-ops.ps1', () => {
  const cases = opSwitchCases();
  const byLabel = new Map(cases.map((c) => [c.label, c.body]));

  it('switches on exactly the catalog ops, plus a default that refuses the rest', () => {
    const labels = cases.map((c) => c.label).filter((l) => l !== 'default');
    expect([...labels].sort()).toEqual([...OP_NAMES].sort());
    expect(new Set(labels).size).toBe(labels.length);
    expect(cases.find((c) => c.label === 'default')?.text).toMatch(/New-OpError 'unknown_op'/);
  });

  it.each(OP_NAMES.map((op) => ({ op, want: CMDLET[op], common: READ_OP_NAMES.includes(op as never) ? '@Read' : '@Write' })))(
    '$op runs only $want, splatted with $common',
    ({ op, want, common }) => {
      const body = byLabel.get(op) ?? '';
      const calls = [...body.matchAll(/\b(?:Get|Set|New|Remove|Grant|Enable|Disable)-Cs\w+/g)].map((m) => m[0]);
      expect(new Set(calls)).toEqual(new Set(want === null ? [] : [want]));
      for (const line of body.split('\n').filter((l) => want !== null && l.includes(want))) {
        expect(line).toContain(common);
        expect(line).not.toMatch(common === '@Read' ? /@Write/ : /@Read/);
      }
      if (common === '@Write') expect(body).toMatch(/ConvertTo-Splat \$params @\(/);
    },
  );

  it('server.version falls back to the topology and to -InMemory probes, and records each fallback', () => {
    expect(byLabel.get('server.version')).toMatch(/Get-ServerVersion[\s\S]*Get-VerificationLevels/);
    const fn = (name: string) => {
      const head = code.indexOf(`function ${name}`);
      expect(head).toBeGreaterThan(0);
      return script.slice(head, matchingBrace(code.indexOf('{', head)));
    };
    expect(fn('Get-ServerVersion')).toMatch(/Get-CsServerVersion @Read[\s\S]*catch[\s\S]*Get-CsService -Registrar @Read[\s\S]*Add-Fallback 'Get-CsServerVersion'/);
    expect(fn('Get-VerificationLevels')).toMatch(/Invoke-Command -Session \$session -ScriptBlock \$ReadVerificationLevels[\s\S]*catch[\s\S]*InMemory = \$true[\s\S]*New-CsPublicProvider @probe @Read[\s\S]*Add-Fallback/);
    expect(cases.find((c) => c.label === 'publicProvider.probe')?.text).toMatch(/\$splat\['InMemory'\] = \$true/);
  });

  it.each([
    { what: 'Invoke-Expression', pattern: /Invoke-Expression|\biex\b/i },
    { what: 'scriptblock from text', pattern: /\[scriptblock\]::Create/i },
    { what: 'Write-Host / Write-Output (stdout is for answers)', pattern: /Write-Host|Write-Output/i },
    { what: 'Set-StrictMode (old servers lack properties)', pattern: /Set-StrictMode/i },
  ])('never uses $what', ({ pattern }) => {
    expect(code).not.toMatch(pattern);
  });

  it('stops on errors, never prompts on writes, sets UTF-8 and answers with compressed JSON', () => {
    expect(script).toMatch(/\$Read = @\{ ErrorAction = 'Stop';.*WarningVariable/);
    expect(script).toMatch(/\$Write = @\{ ErrorAction = 'Stop';.*WarningVariable.*Confirm = \$false/);
    expect(script).toMatch(/\[Console\]::OutputEncoding = \$utf8/);
    expect(script).toMatch(/\$OutputEncoding = \$utf8/);
    expect(script).toMatch(/ConvertTo-Json -InputObject \$answer -Depth 5 -Compress/);
    expect(script).toMatch(/New-PSSession -ConnectionUri "https:\/\/\$FrontEnd\/OcsPowershell"/);
    expect(script).toMatch(/\[Enum\]::GetValues/);
    expect(script).toMatch(/-join ','/);
  });

  it('reads a provider\'s VerificationLevel without .ToString() on a possibly null value, and RoutingMethod', () => {
    expect(code).not.toMatch(/VerificationLevel\.ToString\(\)/);
    expect(script).toMatch(/function Get-Level\(\$o\) \{\s+\$level = Get-Text \$o 'VerificationLevel'\s+if \(\$null -eq \$level\) \{ return 'AlwaysVerifiable' \}/);
    expect(script).toMatch(/\$method = Get-Text \$edge 'RoutingMethod'/);
  });
});
