/**
 * Key rotation as the runner sees it: it follows only rotations each signed by the key it already
 * trusts, pins the new key, and from then on refuses a job signed with the retired key.
 */
import { PROTOCOL_VERSION, type JobEnvelope } from '../../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope, signRotation, type KeyRotation } from '../../../src/contracts/signing';
import type { RunnerCredentials } from '../../../src/runner/credentials';
import { executeJob } from '../../../src/runner/execute';
import { createPinnedKeys, followRotations } from '../../../src/runner/pinned-keys';
import { silentLogger } from '../../../src/shared/logger';
import { freshState } from '../../fixtures/load';
import { observedShell } from '../../fakes/observed-shell';

const k1 = generateSigningKeys();
const k2 = generateSigningKeys();
const k3 = generateSigningKeys();
const mallory = generateSigningKeys();
const rotate = (from: typeof k1, to: typeof k1, at = '2026-11-28T12:00:00.000Z'): KeyRotation => {
  const r = { previousKey: from.publicKeyPem, nextKey: to.publicKeyPem, at };
  return { ...r, signature: signRotation(r, from.privateKeyPem) };
};

describe('following the server\'s key rotations', () => {
  it.each([
    { name: 'no rotation', rotations: () => [], want: () => ({ key: k1.publicKeyPem, passed: [] }) },
    { name: 'one rotation', rotations: () => [rotate(k1, k2)], want: () => ({ key: k2.publicKeyPem, passed: [k1.publicKeyPem] }) },
    { name: 'two, in any order', rotations: () => [rotate(k2, k3), rotate(k1, k2)], want: () => ({ key: k3.publicKeyPem, passed: [k1.publicKeyPem, k2.publicKeyPem] }) },
    {
      name: 'a rotation to an attacker\'s key, signed by the attacker (someone who wrote the database)',
      rotations: () => [{ ...rotate(mallory, mallory), previousKey: k1.publicKeyPem, nextKey: mallory.publicKeyPem }],
      want: () => ({ key: k1.publicKeyPem, passed: [] }),
    },
    { name: 'a rotation whose next key was swapped after signing', rotations: () => [{ ...rotate(k1, k2), nextKey: mallory.publicKeyPem }], want: () => ({ key: k1.publicKeyPem, passed: [] }) },
    { name: 'a loop back to an earlier key', rotations: () => [rotate(k1, k2), rotate(k2, k1)], want: () => ({ key: k2.publicKeyPem, passed: [k1.publicKeyPem] }) },
  ])('$name', ({ rotations, want }) => {
    expect(followRotations(k1.publicKeyPem, rotations())).toEqual(want());
  });
});

describe('a runner pinned to the old key', () => {
  const credentials: RunnerCredentials = {
    server: 'https://picbot.contoso.com', runnerId: 'run_0000000000000001', runnerToken: 't', serverKey: k1.publicKeyPem,
    labels: ['pool-eu'], name: 'fe01', shell: 'sim', simState: null, frontEnd: null, enrolledAt: '2026-11-01T00:00:00.000Z',
  };
  const envelope = (jobId: string): JobEnvelope => ({
    protocolVersion: PROTOCOL_VERSION, jobId, kind: 'discover', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-11-28T13:59:00.000Z',
  });
  async function run(pinned: ReturnType<typeof createPinnedKeys>, jobId: string, signer: typeof k1) {
    const e = envelope(jobId);
    const done = await executeJob({
      lease: { jobId, envelope: e, signature: signEnvelope(e, signer.privateKeyPem), leaseId: 'l', leaseExpiresAt: '', leaseSeconds: null, leaseWaitedMs: null },
      serverKey: credentials.serverKey,
      pinned,
      guard: { admit: () => null },
      openShell: () => observedShell(freshState('lync2013')),
      events: { push: () => undefined },
      control: { stopReason: () => null, onStop: () => undefined },
      logger: silentLogger(),
    });
    return done.report;
  }

  it('runs a job signed with the new key after following the rotation, and refuses one signed with the retired key', async () => {
    let asked = 0;
    const pinned = createPinnedKeys({ credentials, path: null, fetchRotations: async () => ((asked += 1), [rotate(k1, k2)]), logger: silentLogger() });
    expect((await run(pinned, 'job_0000000000000001', k2)).status).toBe('succeeded');
    expect(asked).toBe(1);
    expect(pinned.current()).toBe(k2.publicKeyPem);
    expect(pinned.retired()).toEqual([k1.publicKeyPem]);
    expect(await run(pinned, 'job_0000000000000002', k1)).toMatchObject({ status: 'failed', error: { code: 'key_retired', message: expect.stringMatching(/rotated away from/) } });
  });

  it('refuses a job signed with a key no signed rotation leads to', async () => {
    const pinned = createPinnedKeys({ credentials, path: null, fetchRotations: async () => [{ ...rotate(mallory, mallory), previousKey: k1.publicKeyPem }], logger: silentLogger() });
    expect(await run(pinned, 'job_0000000000000003', mallory)).toMatchObject({ status: 'failed', error: { code: 'signature_invalid' } });
    expect(pinned.current()).toBe(k1.publicKeyPem);
  });

  it('keeps the pinned key when the server cannot say (an older server, a network error)', async () => {
    const pinned = createPinnedKeys({ credentials, path: null, fetchRotations: async () => { throw new Error('POST /server-key: 404'); }, logger: silentLogger() });
    expect(await pinned.refresh()).toBe(false);
    expect((await run(pinned, 'job_0000000000000004', k1)).status).toBe('succeeded');
  });
});
