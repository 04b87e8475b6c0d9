/**
 * The planner against the real simulator process (node dist/lync-sim/main.js over stdio): for
 * every profile and policy scope, a fresh `--init` server, the plan's steps sent as ops, then the
 * rollback plan. Proves the planner's identities, params and rollback values are what the
 * simulated cmdlets accept, and that `satisfied` agrees with the state they leave.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ObservedState, sameState } from '../../src/contracts/observed';
import { ShellAnswer } from '../../src/contracts/ops';
import { PROFILES } from '../../src/contracts/profiles';
import type { PlanStep } from '../../src/contracts/runner-api';
import { satisfied } from '../../src/contracts/satisfied';
import { plan } from '../../src/core/planner';
import { rollbackPlan } from '../../src/core/rollback-plan';
import { configuredState, requestFixture } from '../fixtures/load';
import { runNode } from './cli-process';

const SIM = resolve(__dirname, '../../dist/lync-sim/main.js');
let dir: string;

/** Starts the simulator on a state file, sends the steps' ops in order, and resolves to the answers once it exits. */
async function runSim(stateFile: string, args: string[], steps: readonly PlanStep[]): Promise<ShellAnswer[]> {
  const input = steps.map((s, i) => `${JSON.stringify({ id: i + 1, op: s.op, params: s.params })}\n`).join('');
  const { code, stdout, stderr } = await runNode(SIM, ['--state', stateFile, ...args], { input });
  if (code !== 0) throw new Error(`lync-sim exited ${code}: ${stderr}`);
  return stdout.split('\n').filter(Boolean).map((l) => ShellAnswer.parse(JSON.parse(l)));
}
const readState = (file: string) => ObservedState.parse(JSON.parse(readFileSync(file, 'utf8')));

beforeAll(async () => {
  if (!existsSync(SIM)) throw new Error(`${SIM} is missing: run \`npm run build\` (npm test does it first)`);
  dir = await mkdtemp(join(tmpdir(), 'picbot-plan-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(PROFILES.map((p) => [p]))('%s on the simulator', (profile) => {
  it.each([['global'], ['site'], ['user']] as const)('%s scope: apply, re-plan to nothing, roll back to the original', async (scope) => {
    const file = join(dir, `${profile}-${scope}.json`);
    await runSim(file, ['--init', profile], []);
    const original = readState(file);
    const request = requestFixture(scope, {}, profile);

    const forward = plan(request, original, profile);
    expect(forward.refusals).toEqual([]);
    for (const step of forward.steps) expect(satisfied(step.op, step.params, original)).toBe(false);
    const answers = await runSim(file, [], forward.steps);
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    const after = readState(file);
    // A provider removed to be re-created (SfB's shipped Skype provider) is not expected to stay removed.
    const recreated = (id: unknown) => forward.steps.some((t) => t.op === 'publicProvider.new' && t.params.identity === id);
    const lasting = forward.steps.filter((step) => !(step.op === 'publicProvider.remove' && recreated(step.params.identity)));
    for (const step of lasting) expect(satisfied(step.op, step.params, after)).toBe(true);
    if (scope === 'global') expect(sameState(after, configuredState(profile))).toBe(true);
    const again = plan(request, after, profile);
    expect(again.steps).toEqual([]);
    expect(again.alreadyConfigured.length).toBeGreaterThanOrEqual(3);

    const back = rollbackPlan({
      profile, steps: forward.steps, statuses: Object.fromEntries(forward.steps.map((s) => [s.id, 'done'])),
      current: after, planFingerprint: forward.fingerprint, captured: original,
    });
    const undone = await runSim(file, [], back.steps);
    expect(undone.filter((a) => !a.ok)).toEqual([]);
    expect(sameState(readState(file), original)).toBe(true);
  });
});
