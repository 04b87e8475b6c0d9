/**
 * The dependency-direction lint rules (eslint.config.mjs) catch every import form, proven by
 * linting snippets through the ESLint Node API as if they were files in each folder. The
 * snippets are not files, so the type-aware rules (which need a file in the TypeScript project)
 * are left out for them; those rules are proven on test/fixtures/lint/type-aware.ts instead.
 * ESLint loads its flat config with import(), which jest's module sandbox refuses, so the
 * API runs in a child node process (the real config, the real parser, nothing re-declared).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface LintCase { file: string; code: string }
interface LintMessage { ruleId: string | null; severity: number; message: string; line: number }

const LINT_SCRIPT = `
const { ESLint } = require('eslint');
const path = require('node:path');
(async () => {
  const { snippets, files } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  const untyped = new ESLint({ cwd: process.cwd(), overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/switch-exhaustiveness-check': 'off' },
  } });
  const typed = new ESLint({ cwd: process.cwd(), ignore: false });
  const out = [];
  const messages = (result) => result.messages.map((m) => ({ ruleId: m.ruleId, severity: m.severity, message: m.message, line: m.line }));
  for (const c of snippets) {
    const [result] = await untyped.lintText(c.code, { filePath: path.join(process.cwd(), c.file) });
    out.push(messages(result));
  }
  for (const file of files) {
    const [result] = await typed.lintFiles([path.join(process.cwd(), file)]);
    out.push(messages(result));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

/** Lints all snippets, then the files, in one child process (one config load); messages per case, in order. */
function lint(cases: LintCase[], files: string[]): LintMessage[][] {
  const r = spawnSync(process.execPath, ['-e', LINT_SCRIPT], { cwd: ROOT, input: JSON.stringify({ snippets: cases, files }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eslint run failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as LintMessage[][];
}

const violations = [
  { name: 'static botbuilder import in core', file: 'src/core/probe.ts', code: "import { CloudAdapter } from 'botbuilder';\nexport const x = CloudAdapter;\n", wantRule: 'no-restricted-imports', wantMessage: /botbuilder is imported only in src\/bot\/teams/ },
  { name: 'dynamic botbuilder import in core', file: 'src/core/probe.ts', code: "export async function f() {\n  return await import('botbuilder');\n}\n", wantRule: 'no-restricted-syntax', wantMessage: /botbuilder is imported only in src\/bot\/teams/ },
  { name: 'dynamic botframework-connector import in a handler', file: 'src/bot/handlers/probe.ts', code: "export const f = () => import('botframework-connector');\n", wantRule: 'no-restricted-syntax', wantMessage: /botbuilder is imported only/ },
  { name: 'require of botbuilder in core', file: 'src/core/probe.ts', code: "export const b = require('botbuilder');\n", wantRule: 'no-restricted-syntax', wantMessage: /botbuilder is imported only/ },
  { name: 'static templating import in a handler', file: 'src/bot/handlers/probe.ts', code: "import * as ACData from 'adaptivecards-templating';\nexport const t = ACData;\n", wantRule: 'no-restricted-imports', wantMessage: /templating is imported only in src\/bot\/views/ },
  { name: 'dynamic templating import in a handler', file: 'src/bot/handlers/probe.ts', code: "export const f = () => import('adaptivecards-templating');\n", wantRule: 'no-restricted-syntax', wantMessage: /templating is imported only in src\/bot\/views/ },
  { name: 'dynamic adaptive-expressions import in teams', file: 'src/bot/teams/probe.ts', code: "export const f = () => import('adaptive-expressions');\n", wantRule: 'no-restricted-syntax', wantMessage: /templating is imported only/ },
  { name: 'static node:fs import in core', file: 'src/core/probe.ts', code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", wantRule: 'no-restricted-imports', wantMessage: /src\/core is pure: no I\/O/ },
  { name: 'dynamic node:fs import in core', file: 'src/core/probe.ts', code: "export const f = () => import('node:fs');\n", wantRule: 'no-restricted-syntax', wantMessage: /src\/core is pure: no I\/O/ },
  { name: 'dynamic fs/promises import in core', file: 'src/core/probe.ts', code: "export const f = () => import('fs/promises');\n", wantRule: 'no-restricted-syntax', wantMessage: /src\/core is pure/ },
  { name: 'require of fs in contracts', file: 'src/contracts/probe.ts', code: "export const fs = require('fs');\n", wantRule: 'no-restricted-syntax', wantMessage: /contracts uses zod and node:crypto only/ },
  { name: 'import = require of node:net in core', file: 'src/core/probe.ts', code: "import net = require('node:net');\nexport const n = net;\n", wantRule: 'no-restricted-syntax', wantMessage: /src\/core is pure/ },
  { name: 'computed dynamic import in core', file: 'src/core/probe.ts', code: "const name = 'botbuilder';\nexport const f = () => import(name);\n", wantRule: 'no-restricted-syntax', wantMessage: /literal module name/ },
  { name: 'static bot import from the runner', file: 'src/runner/probe.ts', code: "import { loadConfig } from '../bot/config';\nexport const c = loadConfig;\n", wantRule: 'no-restricted-imports', wantMessage: /runner and lync-sim depend only on contracts and shared/ },
  { name: 'dynamic bot import from the runner', file: 'src/runner/probe.ts', code: "export const f = () => import('../bot/config');\n", wantRule: 'no-restricted-syntax', wantMessage: /runner and lync-sim depend only on contracts and shared/ },
  { name: 'dynamic core import from lync-sim', file: 'src/lync-sim/probe.ts', code: "export const f = () => import('../core/request');\n", wantRule: 'no-restricted-syntax', wantMessage: /depend only on contracts and shared/ },
  { name: 'dynamic core import from contracts', file: 'src/contracts/probe.ts', code: "export const f = () => import('../core/request');\n", wantRule: 'no-restricted-syntax', wantMessage: /contracts depend only on shared/ },
  { name: 'fetch in core', file: 'src/core/probe.ts', code: "export const f = () => fetch('http://127.0.0.1:1/');\n", wantRule: 'no-restricted-globals', wantMessage: /src\/core does no I\/O/ },
  { name: 'process.env in core', file: 'src/core/probe.ts', code: 'export const v = process.env.PICBOT_DB;\n', wantRule: 'no-restricted-globals', wantMessage: /reads no environment/ },
  { name: 'globalThis.fetch in contracts', file: 'src/contracts/probe.ts', code: "export const f = () => globalThis.fetch('http://127.0.0.1:1/');\n", wantRule: 'no-restricted-syntax', wantMessage: /src\/contracts does no I\/O/ },
  { name: 'static botbuilder import in the bench harness', file: 'bench/probe.ts', code: "import { CloudAdapter } from 'botbuilder';\nexport const a = CloudAdapter;\n", wantRule: 'no-restricted-imports', wantMessage: /botbuilder is imported only/ },
  { name: 'dynamic templating import in a bench scenario', file: 'bench/scenarios/probe.ts', code: "export const f = () => import('adaptivecards-templating');\n", wantRule: 'no-restricted-syntax', wantMessage: /templating is imported only/ },
  { name: 'node:process import in core', file: 'src/core/probe.ts', code: "import { env } from 'node:process';\nexport const e = env;\n", wantRule: 'no-restricted-imports', wantMessage: /src\/core is pure/ },
];

const clean = [
  { name: 'core on zod and shared', file: 'src/core/probe.ts', code: "import { z } from 'zod';\nimport { newId } from '../shared/ids';\nexport const s = z.string();\nexport const id = () => newId('request');\n" },
  { name: 'contracts on node:crypto', file: 'src/contracts/probe.ts', code: "import { createHash } from 'node:crypto';\nexport const h = createHash;\n" },
  { name: 'botbuilder, statically and dynamically, in teams', file: 'src/bot/teams/probe.ts', code: "import { CloudAdapter } from 'botbuilder';\nexport const a = CloudAdapter;\nexport const f = () => import('botbuilder');\n" },
  { name: 'templating, dynamically, in views', file: 'src/bot/views/probe.ts', code: "export const f = () => import('adaptivecards-templating');\n" },
  { name: 'a lazily loaded sibling module in the bot', file: 'src/bot/probe.ts', code: "export const f = () => import('./cli/serve');\n" },
  { name: 'botbuilder, restify and templating in the bench floor', file: 'bench/floor/probe.ts', code: "import { CloudAdapter } from 'botbuilder';\nimport restify from 'restify';\nimport { Template } from 'adaptivecards-templating';\nexport const a = [CloudAdapter, restify, Template];\nexport const f = () => import('botbuilder');\n" },
  { name: 'node:fs and process in the runner', file: 'src/runner/probe.ts', code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\nexport const f = () => import('node:fs');\nexport const v = process.env.HOME;\n" },
];

const TYPE_AWARE = 'test/fixtures/lint/type-aware.ts';
const results = lint([...violations, ...clean], [TYPE_AWARE]);

describe('the dependency rules flag every import form', () => {
  it.each(violations.map((v, i) => ({ ...v, i })))('$name ($file)', (row) => {
    const errors = results[row.i].filter((m) => m.severity === 2);
    expect(errors.some((m) => m.ruleId === row.wantRule && row.wantMessage.test(m.message))).toBe(true);
  });
});

describe('allowed code lints clean', () => {
  it.each(clean.map((c, i) => ({ ...c, i: violations.length + i })))('$name ($file)', (row) => {
    expect(results[row.i]).toEqual([]);
  });
});

describe('the type-aware rules flag unhandled promises and non-exhaustive switches', () => {
  const found = () => results[violations.length + clean.length].filter((m) => m.severity === 2);
  it.each([
    { rule: '@typescript-eslint/no-floating-promises', line: 8 },
    { rule: '@typescript-eslint/no-misused-promises', line: 12 },
    { rule: '@typescript-eslint/switch-exhaustiveness-check', line: 18 },
  ])('$rule (line $line of ' + TYPE_AWARE + ')', ({ rule, line }) => {
    expect(found()).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: rule, line })]));
  });
});
