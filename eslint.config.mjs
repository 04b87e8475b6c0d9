// Lint rules that keep the dependency direction of docs/architecture.md (Parts):
// botbuilder only in src/bot/teams/, adaptivecards-templating only in src/bot/views/ (and both in
// bench/floor/, the benchmark's echo bot on the same stack: the one explicit exception),
// src/core free of I/O and SDKs, runner and lync-sim only on contracts and shared.
// Each restriction covers static imports (no-restricted-imports) and, through no-restricted-syntax,
// `import('x')`, `require('x')` and `import x = require('x')`, which no-restricted-imports does
// not see. test/integration/lint-rules.test.ts lints violating snippets so these cannot rot.
import tseslint from 'typescript-eslint';

const io = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http',
  'https', 'node:https', 'child_process', 'node:child_process', 'dns', 'node:dns', 'dns/promises',
  'node:dns/promises', 'tls', 'node:tls', 'better-sqlite3', 'pg', 'restify', 'dgram', 'node:dgram', 'process', 'node:process'];

/**
 * One restriction: the module specifiers it forbids, as no-restricted-imports glob patterns
 * (`group`) or exact names (`names`), and the same set as a regular expression for the
 * dynamic forms. The regex is written with \x2F for "/" because esquery's regex literal
 * cannot contain a slash.
 */
const restriction = ({ group = [], names = [], regex, message }) => ({ group, names, regex, message });
const escape = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\//g, '\\x2F');
const exactly = (names) => `^(?:${names.map(escape).join('|')})$`;

const sdk = restriction({
  group: ['botbuilder', 'botbuilder-*', 'botframework-*'],
  regex: '^(?:botbuilder|botbuilder-.*|botframework-.*)$',
  message: 'botbuilder is imported only in src/bot/teams/',
});
const templating = restriction({
  group: ['adaptivecards-templating', 'adaptive-expressions'],
  regex: exactly(['adaptivecards-templating', 'adaptive-expressions']),
  message: 'templating is imported only in src/bot/views/',
});
const noIo = (message) => restriction({ names: io, regex: exactly(io), message });
// `**/bot/**`-style patterns: a path segment with that name (../bot/x, ../../core/y).
const segments = (dirs, message) => restriction({
  group: dirs.map((d) => `**/${d}/**`),
  regex: `(?:^|\\x2F)(?:${dirs.join('|')})(?:\\x2F|$)`,
  message,
});

/** The rule set for a folder that may not use these modules, in every import form. */
function forbid(restrictions, extraSyntax = []) {
  const paths = restrictions.flatMap((r) => r.names.map((name) => ({ name, message: r.message })));
  const patterns = restrictions.filter((r) => r.group.length > 0).map((r) => ({ group: r.group, message: r.message }));
  const dynamic = restrictions.flatMap((r) => [
    { selector: `ImportExpression[source.type='Literal'][source.value=/${r.regex}/]`, message: r.message },
    { selector: `CallExpression[callee.type='Identifier'][callee.name='require'][arguments.0.type='Literal'][arguments.0.value=/${r.regex}/]`, message: r.message },
    { selector: `TSExternalModuleReference[expression.value=/${r.regex}/]`, message: r.message },
  ]);
  return {
    'no-restricted-imports': ['error', { paths, patterns }],
    'no-restricted-syntax': ['error',
      ...dynamic,
      // A computed name would slip past every check above.
      { selector: "ImportExpression[source.type!='Literal']", message: 'import() takes a literal module name here, so the dependency rules can check it' },
      { selector: "CallExpression[callee.type='Identifier'][callee.name='require'][arguments.0.type!='Literal']", message: 'require() takes a literal module name here, so the dependency rules can check it' },
      ...extraSyntax,
    ],
  };
}

// Pure layers: no network, no environment (config.ts is the only reader of process.env).
const pureGlobals = (folder) => ['error',
  { name: 'fetch', message: `${folder} does no I/O: take what you need as a parameter` },
  { name: 'process', message: `${folder} does no I/O and reads no environment: take what you need as a parameter` },
];
const pureGlobalProperties = (folder) => [{
  selector: "MemberExpression[object.type='Identifier'][object.name='globalThis'][property.name=/^(?:fetch|process)$/]",
  message: `${folder} does no I/O and reads no environment: take what you need as a parameter`,
}];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'docs/**', 'test-results/**', 'appPackage/**', 'data/**', '**/*.js', '**/*.mjs', 'test/fixtures/lint/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // Type-aware rules: picbot relies on fire-and-forget work (card updates, wake-ups, timers), so
  // each such place says so with `void` and handles its own errors; a promise is never passed
  // where a plain callback is expected; a switch names every member of its union or says
  // `default:` (a decision for all the others), and a switch over a plain string has a default.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/bot/teams/**', 'src/bot/views/**'],
    rules: forbid([sdk, templating]),
  },
  {
    files: ['src/bot/views/**/*.ts'],
    rules: forbid([sdk]),
  },
  // The benchmark drives picbot over HTTP like any client; only its floor (an echo bot on
  // botbuilder, restify and adaptivecards-templating, see bench/README.md) may use the SDKs.
  {
    files: ['bench/**/*.ts'],
    ignores: ['bench/floor/**'],
    rules: forbid([sdk, templating]),
  },
  {
    files: ['src/bot/teams/**/*.ts'],
    rules: forbid([templating]),
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      ...forbid(
        [noIo('src/core is pure: no I/O'), sdk, templating, segments(['bot', 'runner', 'lync-sim'], 'src/core depends on nothing above it')],
        pureGlobalProperties('src/core'),
      ),
      'no-restricted-globals': pureGlobals('src/core'),
    },
  },
  {
    files: ['src/contracts/**/*.ts'],
    rules: {
      ...forbid(
        [noIo('src/contracts uses zod and node:crypto only'), sdk, templating, segments(['bot', 'runner', 'lync-sim', 'core'], 'contracts depend only on shared')],
        pureGlobalProperties('src/contracts'),
      ),
      'no-restricted-globals': pureGlobals('src/contracts'),
    },
  },
  {
    files: ['src/runner/**/*.ts', 'src/lync-sim/**/*.ts'],
    rules: forbid([sdk, templating, segments(['bot', 'core'], 'runner and lync-sim depend only on contracts and shared')]),
  },
);
