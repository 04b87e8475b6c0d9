import { canonicalJson, sha256Hex } from '../../../src/contracts/canonical';
import { signEnvelope, verifyEnvelope, generateSigningKeys } from '../../../src/contracts/signing';
import type { JobEnvelope } from '../../../src/contracts/runner-api';

describe('canonicalJson', () => {
  it.each([
    { input: { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, want: '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}' },
    { input: { a: undefined, b: 'é' }, want: '{"b":"é"}' },
    { input: [], want: '[]' },
  ])('sorts keys recursively without whitespace: $want', ({ input, want }) => {
    expect(canonicalJson(input)).toBe(want);
  });

  it('hashes UTF-8 bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('job signatures', () => {
  const envelope: JobEnvelope = {
    protocolVersion: 1, jobId: 'job_0000000000000000', kind: 'discover', target: 'pool-eu', profile: 'lync2013',
    discovery: { users: [], clientPolicyIdentities: ['Global'] }, steps: [], approvals: [], issuedAt: '2026-01-01T00:00:00.000Z',
  };
  const keys = generateSigningKeys();

  it('verifies what was signed, in any key order', () => {
    const sig = signEnvelope(envelope, keys.privateKeyPem);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(envelope).reverse())));
    expect(verifyEnvelope(reordered, sig, keys.publicKeyPem)).toBe(true);
  });

  it('refuses an altered envelope or another key', () => {
    const sig = signEnvelope(envelope, keys.privateKeyPem);
    expect(verifyEnvelope({ ...envelope, kind: 'apply' }, sig, keys.publicKeyPem)).toBe(false);
    expect(verifyEnvelope(envelope, sig, generateSigningKeys().publicKeyPem)).toBe(false);
    expect(verifyEnvelope(envelope, 'not-base64!!', keys.publicKeyPem)).toBe(false);
  });
});

describe('a __proto__ key', () => {
  it('stays an own key of the canonical JSON (it does not set the prototype and vanish)', () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":2}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":2},"b":1}');
  });
});
