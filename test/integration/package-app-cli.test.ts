/**
 * `npm run package` as a person runs it: the compiled tool (built by pretest) in a folder holding
 * manifest/ and package.json, with only the environment the test gives it.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runNode, type Ran } from './cli-process';

const ROOT = resolve(__dirname, '../..');
const TOOL = join(ROOT, 'dist/tools/package-app.js');
const APP_ID = '0b4c6f3e-9d2a-4c1e-8f4b-2a6d9e7c1b53';

// Only PATH from the outside, so a developer's own MicrosoftAppId cannot leak into the test.
const runTool = (cwd: string, env: Record<string, string>, args: string[] = []): Promise<Ran> => runNode(TOOL, args, { cwd, env });

describe('npm run package (dist/tools/package-app.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'picbot-package-'));
    cpSync(join(ROOT, 'manifest'), join(dir, 'manifest'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'picbot', version: '0.1.0' }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each<{ name: string; env: Record<string, string>; wantStderr: string }>([
    { name: 'no variables', env: {}, wantStderr: 'MicrosoftAppId: required to package the Teams app' },
    { name: 'no public host', env: { MicrosoftAppId: APP_ID }, wantStderr: 'PICBOT_PUBLIC_HOST: required to package the Teams app' },
    { name: 'a URL for the host', env: { MicrosoftAppId: APP_ID, PICBOT_PUBLIC_HOST: 'https://picbot.contoso.com/' }, wantStderr: 'PICBOT_PUBLIC_HOST: give the host name only' },
  ])('refuses with $name, naming the variable, and writes nothing', async ({ env, wantStderr }) => {
    const run = await runTool(dir, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(wantStderr);
    expect(run.stdout).toBe('');
    expect(existsSync(join(dir, 'appPackage', 'picbot.zip'))).toBe(false);
  });

  it('writes appPackage/picbot.zip and says so on stdout', async () => {
    const run = await runTool(dir, { MicrosoftAppId: APP_ID, PICBOT_PUBLIC_HOST: 'picbot.contoso.com' });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('wrote appPackage/picbot.zip');
    expect(readFileSync(join(dir, 'appPackage', 'picbot.zip')).subarray(0, 2).toString()).toBe('PK');
  });

  it('reads the two variables from .env too, and answers --json with JSON only', async () => {
    writeFileSync(join(dir, '.env'), `MicrosoftAppId=${APP_ID}\nPICBOT_PUBLIC_HOST=picbot.contoso.com\n`);
    const run = await runTool(dir, {}, ['--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, botId: APP_ID, validDomains: ['picbot.contoso.com'], entries: ['manifest.json', 'color.png', 'outline.png'] });
  });

  it('refuses a broken icon and lists the problem', async () => {
    cpSync(join(ROOT, 'manifest', 'outline.png'), join(dir, 'manifest', 'color.png'));
    const run = await runTool(dir, { MicrosoftAppId: APP_ID, PICBOT_PUBLIC_HOST: 'picbot.contoso.com' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('color icon is 32×32; Teams requires 192×192');
  });
});
