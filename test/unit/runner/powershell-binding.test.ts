/**
 * PowerShell checked without PowerShell: lync-ops.ps1 and every rendered plan script are parsed
 * with the tree-sitter PowerShell grammar (WASM), and every Lync cmdlet call in them may use only
 * parameters that Microsoft's cmdlet reference lists for the profile (src/contracts/cmdlet-reference.ts).
 */
import { readFileSync } from 'node:fs';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { acceptsParameter, CMDLET_REFERENCE } from '../../../src/contracts/cmdlet-reference';
import type { ObservedState } from '../../../src/contracts/observed';
import { PROFILES, type Profile } from '../../../src/contracts/profiles';
import { planScript } from '../../../src/core/plan-script';
import { plan } from '../../../src/core/planner';
import { LYNC_OPS_SCRIPT } from '../../../src/runner/shell-host';
import { configuredState, freshState, requestFixture } from '../../fixtures/load';

let parser: Parser;

beforeAll(async () => {
  await Parser.init();
  // The bytes, not the path: loading by path makes web-tree-sitter import node:fs dynamically, which jest's CommonJS runtime refuses.
  const language = await Language.load(readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')));
  parser = new Parser();
  parser.setLanguage(language);
});

afterAll(() => parser.delete());

interface Call { cmdlet: string; parameters: string[]; line: number }

function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  for (const child of node.children) if (child) walk(child, visit);
}

/** Parses a script; fails the test on any parse error, naming the line. */
function parse(text: string, what: string): Node {
  const tree = parser.parse(text);
  if (!tree) throw new Error(`${what}: no parse tree`);
  // The grammar wants at least one statement: a script of comments only (a plan with nothing to
  // change) is valid PowerShell it reports as an error, and has no call to check.
  if (text.split('\n').every((l) => l.trim() === '' || l.startsWith('#'))) return tree.rootNode;
  const errors: string[] = [];
  walk(tree.rootNode, (n) => {
    if (n.type === 'ERROR' || n.isMissing) errors.push(`line ${n.startPosition.row + 1}: ${JSON.stringify(text.split('\n')[n.startPosition.row])}`);
  });
  expect({ what, errors }).toEqual({ what, errors: [] });
  return tree.rootNode;
}

/** Every command whose name is a Lync cmdlet (Verb-CsNoun), with the -Parameters written after it. */
function lyncCalls(root: Node): Call[] {
  const calls: Call[] = [];
  walk(root, (n) => {
    if (n.type !== 'command') return;
    const name = n.childForFieldName('command_name')?.text ?? '';
    if (!/^[A-Z][a-z]+-Cs[A-Za-z]+$/.test(name)) return;
    const parameters: string[] = [];
    const elements = n.childForFieldName('command_elements');
    for (const e of elements?.children ?? []) {
      if (e?.type === 'command_parameter') parameters.push(e.text.replace(/^-/, '').replace(/:$/, ''));
    }
    calls.push({ cmdlet: name, parameters, line: n.startPosition.row + 1 });
  });
  return calls;
}

/** Parameters a call uses that the reference does not list for the profile. */
function unknownParameters(calls: Call[], profile: Profile): string[] {
  const out: string[] = [];
  for (const c of calls) {
    if (!CMDLET_REFERENCE[c.cmdlet]) out.push(`line ${c.line}: ${c.cmdlet} is not in the reference table`);
    for (const p of c.parameters) if (!acceptsParameter(c.cmdlet, p, profile)) out.push(`line ${c.line}: ${c.cmdlet} -${p} (${profile})`);
  }
  return out;
}

/** PowerShell 7-only syntax that Windows PowerShell 5.1 cannot run. */
function ps7Only(root: Node): string[] {
  const found: string[] = [];
  walk(root, (n) => {
    if (n.type === 'pipeline_chain_tail' || n.type === '&&' || n.type === '||') found.push(`line ${n.startPosition.row + 1}: pipeline chain (&& / ||)`);
    if (n.type === 'command_parameter' && /^-parallel$/i.test(n.text)) found.push(`line ${n.startPosition.row + 1}: -Parallel`);
  });
  return found;
}

const script = readFileSync(LYNC_OPS_SCRIPT, 'utf8');

describe('lync-ops.ps1 parsed', () => {
  it('parses with zero errors', () => {
    parse(script, 'lync-ops.ps1');
  });

  it('uses no PowerShell 7-only syntax (?? and ?: do not parse, so the test above catches them)', () => {
    expect(ps7Only(parse(script, 'lync-ops.ps1'))).toEqual([]);
  });

  it('is ASCII only (Windows PowerShell 5.1 reads a file without BOM in the local code page)', () => {
    const lines = script.split('\n').map((l, i) => ({ line: i + 1, l })).filter(({ l }) => /[^\x00-\x7f]/.test(l));
    expect(lines).toEqual([]);
  });

  it('every cmdlet call writes only parameters every profile accepts', () => {
    const calls = lyncCalls(parse(script, 'lync-ops.ps1'));
    expect(calls.map((c) => c.cmdlet)).toEqual(expect.arrayContaining(['Get-CsService', 'Get-CsUser', 'New-CsPublicProvider']));
    for (const profile of PROFILES) expect(unknownParameters(calls, profile)).toEqual([]);
  });

  it('every parameter an op splats is one the reference lists for its cmdlet on some profile', () => {
    // Each case of the op switch: ConvertTo-Splat $params @('a', 'b') followed by one Lync cmdlet.
    const cases = [...script.matchAll(/ConvertTo-Splat \$params @\(([^)]*)\)[\s\S]*?\b((?:Get|Set|New|Remove|Grant)-Cs\w+)/g)];
    expect(cases.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const [, list, cmdlet] of cases) {
      for (const key of [...list.matchAll(/'(\w+)'/g)].map((m) => m[1])) {
        // The grant's user and the read's users are passed as -Identity (one user per call).
        const name = key === 'user' || key === 'users' ? 'Identity' : key.charAt(0).toUpperCase() + key.slice(1);
        if (!PROFILES.some((p) => acceptsParameter(cmdlet, name, p))) problems.push(`${cmdlet} -${name}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('rendered plan scripts parsed and bound, for all six profiles', () => {
  /** The rollback section's commands are comments: uncommented here so they are checked too. */
  const withRollback = (text: string) => text.replace(/^# ((?:Get|Set|New|Remove|Grant)-Cs\w+ .*)$/gm, '$1');
  const users = ['sip:alice@contoso.com', 'sip:bob@contoso.com'];
  const requests = (profile: Profile) => [
    requestFixture('global', {}, profile),
    requestFixture('global', { skypeProvider: false, disablePICPromptDisplayName: true }, profile),
    requestFixture('site', { publicAudioVideo: true, partnerDiscovery: false }, profile),
    requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users } }, profile),
  ];
  const states = (profile: Profile): ObservedState[] => [freshState(profile), configuredState(profile)];

  it.each(PROFILES.map((p) => [p]))('%s', (profile) => {
    let checked = 0;
    for (const request of requests(profile)) {
      for (const state of states(profile)) {
        const p = plan(request, state, profile);
        expect(p.refusals).toEqual([]);
        const text = withRollback(planScript(p));
        const root = parse(text, `${profile} plan`);
        expect(ps7Only(root)).toEqual([]);
        const calls = lyncCalls(root);
        checked += calls.length;
        expect(unknownParameters(calls, profile)).toEqual([]);
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('would notice a parameter the profile lacks (the CU5 command on a Lync 2013 before CU5)', () => {
    const p = plan(requestFixture('global', {}, 'lync2013-cu5'), freshState('lync2013-cu5'), 'lync2013-cu5');
    const calls = lyncCalls(parse(planScript(p), 'cu5 plan'));
    expect(unknownParameters(calls, 'lync2013')).toEqual([
      expect.stringMatching(/New-CsPublicProvider -NameDecorationRoutingDomain \(lync2013\)/),
      expect.stringMatching(/New-CsPublicProvider -NameDecorationExcludedDomainList \(lync2013\)/),
    ]);
  });
});
