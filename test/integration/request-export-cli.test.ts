/**
 * `picbot request export <id>` as a real child process (the compiled CLI behind bin/picbot.js;
 * `npm test` builds it first) on a SQLite file the intake stores wrote.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import { createRequestStore } from '../../src/bot/stores/requests';
import { ProvisioningRequest } from '../../src/core/request';
import { newId } from '../../src/shared/ids';
import { PICBOT_BIN, runNode, type Ran } from './cli-process';

const COMPILED = resolve(__dirname, '../../dist/bot/cli/request-export.js');

let dir: string;
let dbPath: string;
const id = newId('request');

// The export example, stored the way the intake stores it.
const EXAMPLE = {
  target: { label: 'pool-eu', profile: 'lync2013' },
  agreement: { type: 'volume-licensing', number: '12345678', productUseRightsAccepted: true },
  accessEdgeFqdns: ['sip.contoso.com'],
  sipDomains: ['contoso.com'],
  contacts: { name: 'Dana Admin', phone: '+14255550100', domainAdmins: { 'contoso.com': 'dana@contoso.com' } },
  options: { policyScope: { kind: 'global' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null },
};

const picbot = (args: string[], env: Record<string, string> = {}): Promise<Ran> => runNode(PICBOT_BIN, args, { cwd: dir, env });

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run \`npm run build\` (npm test does it first)`);
  dir = await mkdtemp(join(tmpdir(), 'picbot-request-cli-'));
  dbPath = join(dir, 'picbot.db');
  const db = sqliteSql(openDatabase(dbPath), dbPath);
  await createRequestStore(db).save({
    id, ownerId: 'owner', ownerName: 'Dana Admin', request: ProvisioningRequest.parse(EXAMPLE), status: 'draft',
    submittedOn: null, activeOn: null, createdAt: '2026-11-02T09:00:00.000Z', updatedAt: '2026-11-02T09:00:00.000Z',
  });
  await db.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('picbot request export', () => {
  it('prints exactly the export shape on stdout (PICBOT_DB or --db)', async () => {
    for (const ran of [await picbot(['request', 'export', id], { PICBOT_DB: dbPath }), await picbot(['request', 'export', id, '--db', dbPath])]) {
      expect(ran).toMatchObject({ code: 0, stderr: '' });
      expect(ran.stdout).toBe(`${JSON.stringify(EXAMPLE, null, 2)}\n`);
    }
  });

  it.each([
    { args: ['request', 'export', 'req_0000000000000000'], want: /no provisioning request req_0000000000000000/ },
    { args: ['request', 'export', 'plan_0000000000000000'], want: /is not a request id/ },
    { args: ['request', 'export'], want: /missing the request id/ },
    { args: ['request', 'import', 'x'], want: /unknown subcommand import/ },
    { args: ['request', 'export', id, '--db', 'nowhere.db'], want: /no picbot database at \/.*\/nowhere\.db: run this command in the picbot server's folder/ },
    { args: ['request', 'export', id, '--bogus'], want: /Unknown option/i },
  ])('$args → exit 1 with the reason on stderr', async ({ args, want }) => {
    const ran = await picbot(args, { PICBOT_DB: dbPath });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(want);
  });

  it('--help prints the usage on stdout', async () => {
    const ran = await picbot(['request', '--help']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^Usage: picbot request export <req_id>/);
  });
});
