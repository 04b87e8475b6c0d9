/** Composition root: wiring mistakes stop the start; keys are made once and kept. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/bot/config';
import { startServer } from '../../src/bot/main';
import { silentLogger } from '../../src/shared/logger';
import { verifyEnvelope, signEnvelope } from '../../src/contracts/signing';
import { ALL_VERBS } from '../../src/bot/verbs';
import { echoArea } from '../fakes/echo-area';
import { startHarness } from './harness';

it('refuses to start when a verb in verbs.ts has no handler', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'picbot-start-'));
  try {
    const config = parseConfig({ PORT: '0', PICBOT_DB: join(dir, 'p.db') });
    const missing = ALL_VERBS[ALL_VERBS.length - 1]!;
    const partial = (deps: Parameters<typeof echoArea>[0]) => {
      const set = echoArea(deps);
      const actions = { ...set.actions };
      delete actions[missing];
      return { ...set, actions };
    };
    await expect(startServer({ config, areas: [partial], logger: silentLogger() })).rejects.toThrow(`verb without a handler: ${missing}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('generates the job signing key at first start and keeps it across restarts', async () => {
  const h = await startHarness({ areas: [echoArea] });
  try {
    const first = h.server.deps.signingKeys;
    expect(first.privateKeyPem).toMatch(/BEGIN PRIVATE KEY/);
    await h.restart();
    expect(h.server.deps.signingKeys).toEqual(first);
    const envelope = { jobId: 'job_0000000000000001' } as unknown as Parameters<typeof signEnvelope>[0];
    expect(verifyEnvelope(envelope, signEnvelope(envelope, first.privateKeyPem), first.publicKeyPem)).toBe(true);
  } finally {
    await h.close();
  }
});
