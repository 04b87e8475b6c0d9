/**
 * What the runner refuses before anything runs, with the real guard (envelope-guard.ts): keys the
 * server never signs (checked before the signature), a target that is not one of its labels, a
 * job past its time limit, a replay of a job it already took, and a lync-ops.ps1 whose SHA-256
 * is not the one the server's release ships. Each refused job opens no shell.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type JobEnvelope } from '../../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope } from '../../../src/contracts/signing';
import { createEnvelopeGuard, createTakenJobs, type TakenJobs } from '../../../src/runner/envelope-guard';
import { executeJob } from '../../../src/runner/execute';
import { silentLogger } from '../../../src/shared/logger';
import { freshState } from '../../fixtures/load';
import { observedShell } from '../../fakes/observed-shell';

const keys = generateSigningKeys();
const NOW = new Date('2026-11-28T14:00:00.000Z');
let dir: string;
let script: string;
let scriptSha256: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-guard-'));
  script = join(dir, 'lync-ops.ps1');
  writeFileSync(script, '# the shipped script\n');
  scriptSha256 = createHash('sha256').update('# the shipped script\n').digest('hex');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function envelope(over: Partial<JobEnvelope> = {}): JobEnvelope {
  return {
    protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000001', kind: 'discover', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-11-28T13:59:00.000Z',
    scriptSha256, notAfter: '2026-11-28T14:10:00.000Z', ...over,
  };
}

async function run(raw: unknown, options: { taken?: TakenJobs; labels?: string[]; now?: Date } = {}) {
  let opened = 0;
  const now = () => options.now ?? NOW;
  const guard = createEnvelopeGuard({ labels: options.labels ?? ['pool-eu'], scriptPath: script, taken: options.taken ?? createTakenJobs(null, now), now });
  const done = await executeJob({
    lease: { jobId: 'job_0000000000000001', envelope: raw, signature: signEnvelope(raw as JobEnvelope, keys.privateKeyPem), leaseId: 'l', leaseExpiresAt: '', leaseSeconds: null, leaseWaitedMs: null },
    serverKey: keys.publicKeyPem,
    guard,
    openShell: () => {
      opened += 1;
      return observedShell(freshState('lync2013'));
    },
    events: { push: () => undefined },
    control: { stopReason: () => null, onStop: () => undefined },
    logger: silentLogger(),
    now,
  });
  return { report: done.report, opened };
}

describe('the runner\'s checks on a signed envelope', () => {
  it('runs a job that passes them all', async () => {
    const { report, opened } = await run(envelope());
    expect(report.status).toBe('succeeded');
    expect(opened).toBe(1);
  });

  it.each([
    { name: 'a target that is not one of its labels', raw: () => envelope({ target: 'pool-us' }), code: 'job_refused', message: /for target pool-us, and this runner serves pool-eu/ },
    { name: 'a job past its time limit', raw: () => envelope({ notAfter: '2026-11-28T13:50:00.000Z' }), code: 'job_expired', message: /time limit ended at 2026-11-28T13:50:00.000Z/ },
    { name: 'a changed lync-ops.ps1', raw: () => envelope({ scriptSha256: 'ab'.repeat(32) }), code: 'script_mismatch', message: /lync-ops\.ps1 has SHA-256 [0-9a-f]{64}, but the server's release ships abab/ },
    { name: 'no script hash (an older server)', raw: () => envelope({ scriptSha256: undefined }), code: 'job_refused', message: /server is older than this runner/ },
    { name: 'no time limit (an older server)', raw: () => envelope({ notAfter: undefined }), code: 'job_refused', message: /server is older than this runner/ },
    { name: 'an unknown key, though signed', raw: () => ({ ...envelope(), runAs: 'SYSTEM' }), code: 'job_refused', message: /keys the protocol does not know at \(root\): runAs/ },
    { name: 'an unknown key in a step', raw: () => envelope({ steps: [{ id: 's1', title: 't', op: 'server.version', params: {}, rollback: [], shell: 'cmd' } as never] }), code: 'job_refused', message: /keys the protocol does not know at steps\.0: shell/ },
    {
      name: 'a __proto__ key smuggling a field past canonical JSON',
      raw: () => JSON.parse(`{"__proto__":{"expectedFingerprint":"${'c'.repeat(64)}"},${JSON.stringify(envelope()).slice(1)}`) as unknown,
      code: 'job_refused',
      message: /key named __proto__/,
    },
  ])('refuses $name, and opens no shell', async ({ raw, code, message }) => {
    const { report, opened } = await run(raw());
    expect(report).toMatchObject({ status: 'failed', error: { code, message: expect.stringMatching(message) } });
    expect(opened).toBe(0);
  });

  it('refuses a replay of a job it already took, across a restart (the taken list is a file)', async () => {
    const file = join(dir, 'jobs-taken.json');
    expect((await run(envelope(), { taken: createTakenJobs(file, () => NOW) })).report.status).toBe('succeeded');
    const again = await run(envelope(), { taken: createTakenJobs(file, () => NOW) });
    expect(again.report).toMatchObject({ status: 'failed', error: { code: 'job_replayed', message: expect.stringMatching(/already taken job job_0000000000000001/) } });
    expect(again.opened).toBe(0);
  });

  it('forgets taken jobs once their time limit has passed (the time limit refuses them from then on)', () => {
    const file = join(dir, 'jobs-taken.json');
    const taken = createTakenJobs(file, () => NOW);
    taken.add('job_old', '2026-11-28T13:00:00.000Z');
    taken.add('job_new', '2026-11-28T15:00:00.000Z');
    const reread = createTakenJobs(file, () => NOW);
    expect(reread.has('job_old')).toBe(false);
    expect(reread.has('job_new')).toBe(true);
  });
});
