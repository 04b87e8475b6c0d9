/**
 * Property tests over the two boundaries that are not HTTP: the configuration variables, and the
 * request JSON the CLI reads (`picbot plan --request`, the request export format).
 * Configuration: any value of any variable either parses or throws ConfigError naming a variable,
 * never anything else. CLI: any file content ends in an exit code with one message on stderr,
 * never a throw, and stdout stays empty unless the plan was made.
 * 3,000 + 1,000 generated cases per run.
 */
import { fc, test } from '@fast-check/jest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as planCli } from '../../src/bot/cli/plan';
import { ConfigError, isLoopbackHost, parseConfig, VARIABLE_NAMES, type Env } from '../../src/bot/config';
import { freshState, requestFixture } from '../fixtures/load';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-fuzz-cli-'));
  writeFileSync(join(dir, 'observed.json'), JSON.stringify(freshState('lync2013')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GUID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', '0', '1', '-1', '65536', '3978', 'true', 'https://127.0.0.1/x', 'http://127.0.0.1/x', GUID, `${GUID},${GUID}`, `${GUID}:${GUID}`, 'msteams', '::1', '[::1]:53', '127.0.0.1', '0.0.0.0', 'SingleTenant', 'a'.repeat(300)),
);
const environment = fc.dictionary(fc.constantFrom(...VARIABLE_NAMES), value, { maxKeys: 8 });

describe('configuration under generated environments', () => {
  test.prop([environment], { numRuns: 3000 })('parses, or refuses naming the variable', (env) => {
    try {
      const config = parseConfig(env as Env);
      expect(['local', 'production']).toContain(config.mode);
      // Local mode has no token check: whatever the environment says, it binds loopback only.
      if (config.mode === 'local') expect(isLoopbackHost(config.host)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect(VARIABLE_NAMES as readonly string[]).toContain((err as ConfigError).variable);
      expect((err as Error).message).not.toMatch(/\n/);
    }
  });
});

/** A valid request with one value somewhere replaced by anything, or the file replaced by anything. */
const json = fc.jsonValue({ maxDepth: 3 });
const requestFile = fc.oneof(
  fc.tuple(fc.constantFrom('global', 'site', 'user' as const), fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 4 }), json).map(([name, path, replacement]) => {
    const request = JSON.parse(JSON.stringify(requestFixture(name))) as Record<string, unknown>;
    let node: Record<string, unknown> = request;
    // Own properties only, as JSON.parse makes them: a generated "__proto__" must not reach (and
    // change) Object.prototype, which every later object in this process would inherit.
    for (const key of path.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === null || typeof next !== 'object') break;
      node = next as Record<string, unknown>;
    }
    Object.defineProperty(node, path[path.length - 1]!, { value: replacement, enumerable: true, writable: true, configurable: true });
    return JSON.stringify(request);
  }),
  json.map((j) => JSON.stringify(j)),
  fc.string(),
);

describe('the CLI\'s request JSON under generated files', () => {
  let n = 0;
  test.prop([requestFile], { numRuns: 1000 })('an exit code and a message, never a throw', async (content) => {
    const file = join(dir, `req-${(n += 1) % 8}.json`);
    writeFileSync(file, content);
    const out: string[] = [];
    const err: string[] = [];
    const code = await planCli(['--request', file, '--observed', join(dir, 'observed.json')], { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) });
    expect([0, 1, 2]).toContain(code);
    if (code === 1) {
      expect(err.join('')).toMatch(/^picbot plan: /);
      expect(out).toEqual([]);
    }
  });
});
