/**
 * `picbot plan` as a real child process (bin/picbot.js → the compiled dispatcher; `npm test`
 * builds it first): stdout carries only the script or the JSON, stderr the log lines, and the
 * exit code says computed (0), refused (2) or bad input (1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createAuditLog } from '../../src/bot/stores/audit-log';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import { createPlanStore } from '../../src/bot/stores/plans';
import { discoveryScope } from '../../src/core/discovery-scope';
import { planScript } from '../../src/core/plan-script';
import { plan } from '../../src/core/planner';
import { fixturePath, freshState, requestFixture } from '../fixtures/load';
import { PICBOT_BIN, runNode, type Ran } from './cli-process';

const COMPILED = resolve(__dirname, '../../dist/bot/cli/plan.js');

let dir: string;

const picbot = (args: string[]): Promise<Ran> => runNode(PICBOT_BIN, ['plan', ...args], { cwd: dir });

const json = (name: string) => JSON.parse(readFileSync(fixturePath(name), 'utf8'));
async function writeJson(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}
const REQ = fixturePath('requests', 'global.json');
const FRESH = fixturePath('observed', 'fresh-lync2013.json');

beforeAll(async () => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run \`npm run build\` (npm test does it first)`);
  dir = await mkdtemp(join(tmpdir(), 'picbot-plan-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('picbot plan', () => {
  it('prints the PowerShell script of the plan, logs on stderr', async () => {
    const r = await picbot(['--request', REQ, '--observed', FRESH]);
    expect(r.code).toBe(0);
    const commands = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(commands).toEqual([
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true -EnablePartnerDiscovery $true -UseDnsSrvRouting',
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      'Remove-CsPublicProvider -Identity Messenger',
      'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1',
    ]);
    expect(r.stdout).toContain('# Step 1 of 4 [federation]: Enable federation and partner discovery on the Access Edge');
    expect(r.stdout).toContain('# Remove-CsPublicProvider -Identity Skype');
    expect(r.stderr).toMatch(/^picbot plan: 4 step\(s\), 0 already configured, plan hash [0-9a-f]{12}\n$/);
  });

  it('--json prints only the plan JSON, each step and rollback entry with its PowerShell', async () => {
    // An observed export from before capabilities/topology: it plans as it did, to the same hash, and says what it could not check.
    const r = await picbot(['--request', fixturePath('requests', 'user.json'), '--observed', fixturePath('observed', 'legacy-fresh-lync2013.json'), '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(Object.keys(plan).sort()).toEqual(['alreadyConfigured', 'fingerprint', 'planHash', 'profile', 'refusals', 'steps', 'warnings']);
    expect(plan.planHash).toBe('857a5040397321b8816d6796b198ed50d9461dd66508186bcb487db6fdd77100');
    expect(plan.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/no list of the server's cmdlet parameters .*not checked against what the server can run/),
      expect.stringMatching(/no Edge topology/),
    ]));
    expect(plan.steps[2]).toEqual({
      id: 'grant-1',
      title: 'Assign EnablePublicUsers to sip:alice@contoso.com',
      op: 'externalAccessPolicy.grant',
      params: { user: 'sip:alice@contoso.com', policyName: 'EnablePublicUsers' },
      powershell: "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName EnablePublicUsers",
      rollback: [{ op: 'externalAccessPolicy.grant', params: { user: 'sip:alice@contoso.com', policyName: null }, powershell: "Grant-CsExternalAccessPolicy -Identity 'sip:alice@contoso.com' -PolicyName $null" }],
    });
  });

  it('lists already configured steps as {id, title, reason}', async () => {
    const r = await picbot(['--request', REQ, '--observed', fixturePath('observed', 'configured-lync2013.json'), '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.steps).toEqual([]);
    expect(plan.alreadyConfigured.map((a: { id: string }) => a.id)).toEqual(['federation', 'policy', 'provider']);
    expect(Object.keys(plan.alreadyConfigured[0]).sort()).toEqual(['id', 'reason', 'title']);
  });

  it('--profile overrides the request profile', async () => {
    const r = await picbot(['--request', REQ, '--observed', fixturePath('observed', 'fresh-sfb2015.json'), '--profile', 'sfb2015', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.profile).toBe('sfb2015');
    expect(plan.steps.at(-1).powershell).toMatch(/-EnableSkypeIdRouting \$true -EnableSkypeDirectorySearch \$true$/);
  });

  it('accepts a simulator state file (its faults are ignored)', async () => {
    const file = await writeJson('sim-state.json', { ...json('observed/fresh-lync2013.json'), faults: { failOp: 'publicProvider.new' } });
    const a = JSON.parse((await picbot(['--request', REQ, '--observed', file, '--json'])).stdout);
    const b = JSON.parse((await picbot(['--request', REQ, '--observed', FRESH, '--json'])).stdout);
    expect(a.planHash).toBe(b.planHash);
  });

  it('exits 2 when refused, still printing the plan JSON with its refusals', async () => {
    const state = json('observed/fresh-lync2013.json');
    state.accessEdge.routing = 'DefaultRoute';
    const r = await picbot(['--request', REQ, '--observed', await writeJson('default-route.json', state), '--json']);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(plan.steps).toEqual([]);
    expect(plan.refusals).toEqual([{ code: 'routing_not_dns_srv', reason: expect.stringMatching(/default routing/) }]);
    expect(r.stderr).toContain('refused (routing_not_dns_srv)');
  });

  it('exits 2 for a CU5 plan on a server without CU5, naming the cmdlet, the parameter and the products in words', async () => {
    const r = await picbot(['--request', REQ, '--observed', FRESH, '--profile', 'lync2013-cu5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refused (profile_capability_mismatch, profile_capability_mismatch)');
    expect(r.stdout).toMatch(/\[profile_capability_mismatch\] The plan was made for Lync Server 2013 CU5 or later \(`lync2013-cu5`\), but this server's New-CsPublicProvider has no -NameDecorationRoutingDomain parameter/);
    expect(r.stdout).toMatch(/Choose Lync Server 2013 \(before CU5\) \(`lync2013`\) instead\./);
    expect(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
  });

  it('exits 2 with the refusals in the script', async () => {
    const r = await picbot(['--request', REQ, '--observed', FRESH, '--profile', 'lync2010']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/# REFUSED: nothing will be changed\.\n# \[product_mismatch\]/);
  });

  it.each([
    ['an unknown flag', ['--request', REQ, '--observed', FRESH, '--bogus'], /Unknown option '--bogus'/],
    ['a missing --observed', ['--request', REQ], /--observed is required/],
    ['a positional argument', ['--request', REQ, '--observed', FRESH, 'extra'], /extra/],
    ['an unknown profile', ['--request', REQ, '--observed', FRESH, '--profile', 'ocs2007'], /--profile: "ocs2007" is not one of lync2010, /],
    ['a missing file', ['--request', 'nope.json', '--observed', FRESH], /--request nope\.json: cannot read: ENOENT/],
  ])('exits 1 on %s', async (_what, args, want) => {
    const r = await picbot(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(want);
  });

  it('exits 1 on bad input files, naming the zod path', async () => {
    const badRequest = json('requests/global.json');
    badRequest.options.policyScope = { kind: 'planet' };
    let r = await picbot(['--request', await writeJson('bad-request.json', badRequest), '--observed', FRESH]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--request .*bad-request\.json: invalid:\n {2}options\.policyScope\.kind: /);

    const badState = json('observed/fresh-lync2013.json');
    badState.publicProviders[1].enabled = 'yes';
    r = await picbot(['--request', REQ, '--observed', await writeJson('bad-state.json', badState)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/publicProviders\.1\.enabled: /);

    r = await picbot(['--request', REQ, '--observed', await writeJson('not-json.json', '{"serverVersion":')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not-json\.json: not JSON: /);
    expect(r.stdout).toBe('');
  });

  it('--help prints the usage on stdout', async () => {
    const r = await picbot(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: picbot plan --request REQ\.json --observed OBS\.json \[--profile P\] \[--json\]/);
  });
});

describe('picbot plan export', () => {
  const users = Array.from({ length: 200 }, (_, i) => `sip:user${i + 1}@contoso.com`);
  const request = requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users } });
  const observed = { ...freshState('lync2013'), userPolicies: users.map((user) => ({ user, externalAccessPolicy: null })) };
  const planned = plan(request, observed, 'lync2013');
  const PLAN_ID = 'plan_0a1b2c3d4e5f6a7b';
  let dbPath: string;

  beforeAll(async () => {
    dbPath = join(dir, 'picbot.db');
    const db = sqliteSql(openDatabase(dbPath), dbPath);
    const at = '2026-11-28T14:05:00.000Z';
    await createPlanStore(db, () => at, createAuditLog(db, { now: () => new Date(at) }, Buffer.alloc(32, 7)).inTransaction).create({
      id: PLAN_ID, kind: 'apply', requestId: 'req_0123456789abcdef', revision: 1, targetLabel: 'pool-eu', request, plan: planned,
      discovery: discoveryScope(request), requesterId: 'dana', requesterName: 'Dana Admin', requestedIn: 'c', status: 'pending-approval',
      createdAt: at, updatedAt: at, expiresAt: at, remindedAt: null, card: null, jobId: null, rollbackOf: null, cardShows: null, follows: null,
    });
    await db.close();
  });

  it('prints the stored plan\'s whole script (longer than the card\'s 20,000 characters), or its JSON', async () => {
    const script = await picbot(['export', PLAN_ID, '--db', dbPath]);
    expect(script.code).toBe(0);
    expect(script.stdout).toBe(planScript(planned));
    expect(script.stdout.length).toBeGreaterThan(20_000);
    expect(script.stdout).toContain("Grant-CsExternalAccessPolicy -Identity 'sip:user200@contoso.com' -PolicyName EnablePublicUsers");
    expect(script.stderr).toMatch(/apply plan_0a1b2c3d4e5f6a7b \(pending-approval\), 205 step\(s\)/);

    const asJson = await picbot(['export', PLAN_ID, '--json', '--db', dbPath]);
    expect(asJson.code).toBe(0);
    const parsed = JSON.parse(asJson.stdout);
    expect(parsed).toMatchObject({ planId: PLAN_ID, kind: 'apply', status: 'pending-approval', target: 'pool-eu', planHash: planned.planHash, fingerprint: planned.fingerprint });
    expect(parsed.steps).toHaveLength(planned.steps.length);
    expect(parsed.steps[0]).toEqual(expect.objectContaining({ op: 'accessEdge.set', powershell: expect.stringMatching(/^Set-CsAccessEdgeConfiguration/) }));
  });

  it.each([
    ['an unknown plan', ['export', 'plan_0000000000000000'], /there is no plan plan_0000000000000000/],
    ['not a plan id', ['export', 'req_0123456789abcdef'], /is not a plan id/],
    ['no id', ['export'], /missing the plan id/],
    ['a missing database', ['export', PLAN_ID, '--db', 'nowhere.db'], /no picbot database at \/.*nowhere\.db/],
  ])('exits 1 on %s', async (_what, args, want) => {
    const r = await picbot([...args, ...(args.includes('--db') ? [] : ['--db', dbPath])]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(want);
  });
});
