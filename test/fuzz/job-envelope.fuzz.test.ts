/**
 * Property test over the runner's inbound boundary: a leased job whose signed envelope was
 * changed anywhere (a value replaced, a key added — `__proto__` among them — or removed) is
 * refused before any shell starts, and executeJob never throws. The unchanged envelope runs.
 * 500 generated cases per run.
 */
import { fc, test } from '@fast-check/jest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION, type JobEnvelope } from '../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope } from '../../src/contracts/signing';
import { createEnvelopeGuard, createTakenJobs } from '../../src/runner/envelope-guard';
import { executeJob } from '../../src/runner/execute';
import { LYNC_OPS_SCRIPT } from '../../src/runner/shell-host';
import { silentLogger } from '../../src/shared/logger';
import { freshState } from '../fixtures/load';
import { observedShell } from '../fakes/observed-shell';

const keys = generateSigningKeys();
const NOW = new Date('2026-11-28T14:00:00.000Z');
const envelope: JobEnvelope = {
  protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000001', kind: 'discover', target: 'pool-eu', profile: 'lync2013',
  discovery: { users: ['sip:alice@contoso.com'], clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-11-28T13:59:00.000Z',
  scriptSha256: createHash('sha256').update(readFileSync(LYNC_OPS_SCRIPT)).digest('hex'), notAfter: '2026-11-28T14:10:00.000Z',
};
const signature = signEnvelope(envelope, keys.privateKeyPem);

async function run(raw: unknown): Promise<{ status: string; code: string | undefined; opened: boolean }> {
  let opened = false;
  const done = await executeJob({
    lease: { jobId: envelope.jobId, envelope: raw, signature, leaseId: 'l', leaseExpiresAt: '', leaseSeconds: null, leaseWaitedMs: null },
    serverKey: keys.publicKeyPem,
    guard: createEnvelopeGuard({ labels: ['pool-eu'], scriptPath: LYNC_OPS_SCRIPT, taken: createTakenJobs(null), now: () => NOW }),
    openShell: () => {
      opened = true;
      return observedShell(freshState('lync2013'));
    },
    events: { push: () => undefined },
    control: { stopReason: () => null, onStop: () => undefined },
    logger: silentLogger(),
    now: () => NOW,
  });
  return { status: done.report.status, code: done.report.error?.code, opened };
}

/** The envelope as JSON text changed at one place: JSON.parse makes `__proto__` an own key, as the runner's HTTP client does. */
const change = fc.oneof(
  fc.tuple(fc.constantFrom(...Object.keys(envelope)), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => ({ kind: 'replace' as const, key, value })),
  fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'runAs')), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', 'discovery')).map(([key, value, at]) => ({ kind: 'add' as const, key, value, at })),
  fc.constantFrom(...Object.keys(envelope)).map((key) => ({ kind: 'remove' as const, key })),
);

describe('a signed envelope changed anywhere', () => {
  it('runs unchanged', async () => {
    expect(await run(JSON.parse(JSON.stringify(envelope)))).toEqual({ status: 'succeeded', code: undefined, opened: true });
  });

  // A case found by this test (the test's own splice read "$`" as a replacement pattern), kept.
  test.prop([change], { numRuns: 500, examples: [[{ kind: 'add', key: 'runAs', value: { '$`': false }, at: 'discovery' }]] })('is refused before a shell starts, and nothing throws', async (c) => {
    const text = JSON.stringify(envelope);
    let changed: string;
    if (c.kind === 'replace') {
      if (JSON.stringify(c.value) === JSON.stringify((envelope as Record<string, unknown>)[c.key])) return;
      changed = JSON.stringify({ ...JSON.parse(text), [c.key]: c.value });
    } else if (c.kind === 'remove') {
      const copy = JSON.parse(text) as Record<string, unknown>;
      delete copy[c.key];
      changed = JSON.stringify(copy);
    } else {
      if (c.at === '' && c.key in envelope) return;
      if (c.at === 'discovery' && c.key in envelope.discovery) return;
      // Spliced into the text, so a "__proto__" key arrives exactly as over the wire. A function
      // as the replacement: a string one would read "$`" or "$&" in the value as patterns.
      const entry = `${JSON.stringify(c.key)}:${JSON.stringify(c.value)},`;
      changed = c.at === '' ? `{${entry}${text.slice(1)}` : text.replace('"discovery":{', () => `"discovery":{${entry}`);
    }
    const outcome = await run(JSON.parse(changed));
    expect(outcome.opened).toBe(false);
    expect(outcome.status).toBe('failed');
    expect(['signature_invalid', 'job_refused']).toContain(outcome.code);
  });
});
