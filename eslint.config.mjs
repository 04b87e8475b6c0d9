// Lint rules that keep the dependency direction of DESIGN §2:
// botbuilder only in src/bot/teams/, adaptivecards-templating only in src/bot/views/,
// src/core free of I/O and SDKs, runner and lync-sim only on contracts and shared.
import tseslint from 'typescript-eslint';

const io = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http',
  'https', 'node:https', 'child_process', 'node:child_process', 'dns', 'node:dns', 'dns/promises',
  'node:dns/promises', 'tls', 'node:tls', 'better-sqlite3', 'pg', 'restify', 'dgram', 'node:dgram'];
const sdk = { group: ['botbuilder', 'botbuilder-*', 'botframework-*'], message: 'botbuilder is imported only in src/bot/teams/' };
const templating = { group: ['adaptivecards-templating', 'adaptive-expressions'], message: 'templating is imported only in src/bot/views/' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'docs/**', 'test-results/**', 'appPackage/**', 'data/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/bot/teams/**', 'src/bot/views/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [sdk, templating] }] },
  },
  {
    files: ['src/bot/views/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [sdk] }] },
  },
  {
    files: ['src/bot/teams/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [templating] }] },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: io.map((name) => ({ name, message: 'src/core is pure: no I/O' })),
        patterns: [sdk, templating, { group: ['**/bot/**', '**/runner/**', '**/lync-sim/**'], message: 'src/core depends on nothing above it' }],
      }],
    },
  },
  {
    files: ['src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: io.map((name) => ({ name, message: 'src/contracts uses zod and node:crypto only' })),
        patterns: [sdk, templating, { group: ['**/bot/**', '**/runner/**', '**/lync-sim/**', '**/core/**'], message: 'contracts depend only on shared' }],
      }],
    },
  },
  {
    files: ['src/runner/**/*.ts', 'src/lync-sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [sdk, templating, { group: ['**/bot/**', '**/core/**'], message: 'runner and lync-sim depend only on contracts and shared' }],
      }],
    },
  },
);
