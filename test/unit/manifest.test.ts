import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAppPackage } from '../../src/tools/app-package/build-package';
import { checkManifestEnv, fillManifest, loadManifestSchema, validateManifest } from '../../src/tools/app-package/manifest';

const ROOT = join(__dirname, '..', '..');
const MANIFEST_DIR = join(ROOT, 'manifest');
const TEMPLATE = readFileSync(join(MANIFEST_DIR, 'manifest.json'), 'utf8');
const SAMPLE = { appId: '0b4c6f3e-9d2a-4c1e-8f4b-2a6d9e7c1b53', publicHost: 'picbot.contoso.com', version: '0.1.0' };
const ENV = { MicrosoftAppId: SAMPLE.appId, PICBOT_PUBLIC_HOST: SAMPLE.publicHost };

type Manifest = Record<string, any>;
const sample = (): Manifest => fillManifest(TEMPLATE, SAMPLE) as Manifest;

describe('Teams manifest template', () => {
  it('filled with sample values is valid against the 1.22 schema, offline', async () => {
    const manifest = sample();
    expect(manifest.$schema).toBe('https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/MicrosoftTeams.schema.json');
    expect(manifest.manifestVersion).toBe('1.22');
    expect(await validateManifest(manifest)).toEqual([]);
  });

  it('puts the bot id and host where Teams looks for them', () => {
    const manifest = sample();
    expect(manifest.id).toBe(SAMPLE.appId);
    expect(manifest.bots[0].botId).toBe(SAMPLE.appId);
    expect(manifest.validDomains).toEqual([SAMPLE.publicHost]);
    expect(manifest.developer.websiteUrl).toBe(`https://${SAMPLE.publicHost}/`);
    expect(manifest.version).toBe('0.1.0');
  });

  it('scopes the bot to personal, team and groupChat, without files, with a command list per scope', () => {
    const bot = sample().bots[0];
    expect(bot.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(bot.supportsFiles).toBe(false);
    const titles = (scope: string) =>
      bot.commandLists.find((l: { scopes: string[] }) => l.scopes.includes(scope)).commands.map((c: { title: string }) => c.title);
    for (const scope of ['personal', 'team', 'groupChat']) {
      expect(titles(scope)).toEqual(expect.arrayContaining(['start', 'resume', 'status', 'plans', 'runners', 'help', 'whoami']));
    }
    // An enrollment token is a secret: it is only offered where nobody else reads it.
    expect(titles('personal')).toContain('runner token');
    expect(titles('team')).not.toContain('runner token');
    expect(titles('groupChat')).not.toContain('runner token');
  });

  type Breakage = { name: string; breakIt: (m: Manifest) => void; want: string };
  it.each<Breakage>([
    { name: 'a missing required field', breakIt: (m) => delete m.developer, want: "must have required property 'developer'" },
    { name: 'an unknown bot scope', breakIt: (m) => m.bots[0].scopes.push('channel'), want: '/bots/0/scopes/3 must be equal to one of the allowed values' },
    { name: 'a bot id that is not a GUID', breakIt: (m) => (m.bots[0].botId = 'picbot'), want: '/bots/0/botId must match pattern' },
    { name: 'eleven commands in one list', breakIt: (m) => m.bots[0].commandLists[0].commands.push(...m.bots[0].commandLists[1].commands.slice(0, 2)), want: '/bots/0/commandLists/0/commands must NOT have more than 10 items' },
    { name: 'a short name over 30 characters', breakIt: (m) => (m.name.short = 'picbot the Lync and Skype helper'), want: '/name/short must NOT have more than 30 characters' },
    { name: 'a property the schema does not know', breakIt: (m) => (m.bots[0].supportsFile = false), want: '/bots/0 must NOT have additional properties' },
    { name: 'another manifest version', breakIt: (m) => (m.manifestVersion = '1.21'), want: '/manifestVersion must be equal to constant' },
  ])('a manifest with $name fails with a schema error', async ({ breakIt, want }) => {
    const manifest = sample();
    breakIt(manifest);
    const errors = await validateManifest(manifest);
    expect(errors.join('\n')).toContain(want);
  });

  it.each([
    ['a schema URL of another site', 'https://example.com/MicrosoftTeams.schema.json', 'not a Teams manifest schema URL'],
    ['a version the package does not ship', 'https://developer.microsoft.com/en-us/json-schemas/teams/v9.99/MicrosoftTeams.schema.json', 'no offline copy'],
    ['no $schema', undefined, 'no $schema URL'],
  ])('refuses to validate against %s instead of fetching it', (_name, url, want) => {
    expect(() => loadManifestSchema(url)).toThrow(want);
  });

  it('inserts values as string content, so a value cannot add structure', () => {
    const manifest = fillManifest(TEMPLATE, { ...SAMPLE, version: '1.0.0", "evil": "x' }) as Manifest;
    expect(manifest.version).toBe('1.0.0", "evil": "x');
    expect(manifest.evil).toBeUndefined();
  });

  it('refuses a template placeholder that has no value', () => {
    expect(() => fillManifest('{"id": "{{TEAMS_APP_ID}}"}', SAMPLE)).toThrow('placeholders with no value: TEAMS_APP_ID');
  });
});

describe('packaging environment', () => {
  it.each([
    { env: {}, wantError: 'MicrosoftAppId: required' },
    { env: { PICBOT_PUBLIC_HOST: 'picbot.contoso.com' }, wantError: 'MicrosoftAppId: required' },
    { env: { MicrosoftAppId: '  ', PICBOT_PUBLIC_HOST: 'picbot.contoso.com' }, wantError: 'MicrosoftAppId: required' },
    { env: { MicrosoftAppId: 'not-a-guid', PICBOT_PUBLIC_HOST: 'picbot.contoso.com' }, wantError: 'MicrosoftAppId: must be' },
    { env: { MicrosoftAppId: SAMPLE.appId }, wantError: 'PICBOT_PUBLIC_HOST: required' },
    { env: { MicrosoftAppId: SAMPLE.appId, PICBOT_PUBLIC_HOST: 'https://picbot.contoso.com' }, wantError: 'PICBOT_PUBLIC_HOST: give the host name only' },
    { env: { MicrosoftAppId: SAMPLE.appId, PICBOT_PUBLIC_HOST: 'picbot.contoso.com:443' }, wantError: 'PICBOT_PUBLIC_HOST: give the host name only' },
    { env: { MicrosoftAppId: SAMPLE.appId, PICBOT_PUBLIC_HOST: 'picbot' }, wantError: 'PICBOT_PUBLIC_HOST: "picbot" is not a DNS host name' },
    { env: { MicrosoftAppId: SAMPLE.appId, PICBOT_PUBLIC_HOST: 'bad_host.contoso.com' }, wantError: 'is not a DNS host name' },
  ])('refuses $env naming the variable', ({ env, wantError }) => {
    expect(() => checkManifestEnv(env)).toThrow(wantError);
  });

  it('accepts a GUID and a host name, lower-cased', () => {
    expect(checkManifestEnv({ MicrosoftAppId: SAMPLE.appId.toUpperCase(), PICBOT_PUBLIC_HOST: 'Picbot.Contoso.com' })).toEqual({
      appId: SAMPLE.appId,
      publicHost: 'picbot.contoso.com',
    });
  });
});

describe('app package', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'picbot-manifest-'));
    for (const f of ['manifest.json', 'color.png', 'outline.png']) copyFileSync(join(MANIFEST_DIR, f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('zips the filled manifest and both icons, the same bytes every time', async () => {
    const first = await buildAppPackage({ manifestDir: dir, env: ENV, version: '0.1.0' });
    const second = await buildAppPackage({ manifestDir: dir, env: ENV, version: '0.1.0' });
    expect(first.entries).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(first.zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(first.zip.equals(second.zip)).toBe(true);
    expect(first.zip.includes(Buffer.from(`"botId": "${SAMPLE.appId}"`))).toBe(false); // deflated, not stored
    expect(first.manifest.validDomains).toEqual([SAMPLE.publicHost]);
  });

  it('refuses to package without MicrosoftAppId', async () => {
    await expect(buildAppPackage({ manifestDir: dir, env: { PICBOT_PUBLIC_HOST: SAMPLE.publicHost }, version: '0.1.0' })).rejects.toThrow('MicrosoftAppId');
  });

  it('refuses an icon of the wrong size and an invalid manifest, listing both', async () => {
    copyFileSync(join(MANIFEST_DIR, 'outline.png'), join(dir, 'color.png'));
    const broken = JSON.parse(TEMPLATE);
    broken.name.short = 'x'.repeat(31);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(broken));
    const failure = buildAppPackage({ manifestDir: dir, env: ENV, version: '0.1.0' });
    await expect(failure).rejects.toThrow('color icon is 32×32; Teams requires 192×192');
    await expect(failure).rejects.toThrow('/name/short must NOT have more than 30 characters');
  });

  it('refuses a missing icon', async () => {
    rmSync(join(dir, 'outline.png'));
    await expect(buildAppPackage({ manifestDir: dir, env: ENV, version: '0.1.0' })).rejects.toThrow('outline icon outline.png is missing');
  });
});
