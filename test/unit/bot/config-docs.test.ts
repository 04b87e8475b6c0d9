/** Every variable config.ts reads is documented in the README table and in .env.example. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { parseConfig, VARIABLE_NAMES } from '../../../src/bot/config';

const root = join(__dirname, '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const example = readFileSync(join(root, '.env.example'), 'utf8');

it.each(VARIABLE_NAMES)('%s has a row in the README configuration table', (name) => {
  expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
});

it.each(VARIABLE_NAMES)('%s is in .env.example', (name) => {
  expect(example).toMatch(new RegExp(`^#?${name}=`, 'm'));
});

it('documents nothing config.ts does not read', () => {
  const documented = [...readme.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]);
  expect(documented.filter((n) => !VARIABLE_NAMES.includes(n as never))).toEqual([]);
});

it('.env.example with every line uncommented is a valid local configuration', () => {
  const uncommented = example.replace(/^#([A-Za-z_]+=)/gm, '$1');
  const env = parse(uncommented);
  delete env.MicrosoftAppId; // the sample identity would select production without real values
  expect(parseConfig(env).mode).toBe('local');
});
