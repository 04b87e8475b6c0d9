/**
 * The real runner process ⇄ the real server over loopback HTTP, with the real simulator as the
 * shell host: enrollment, discovery end to end, refusals (signature, unknown op, write op in a
 * discovery), events resent through a connection cut, lease expiry after a kill, shell hang,
 * two runners, revocation, cancel and SIGTERM, and the apply flow (drift, check → change → verify).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { createJobStore } from '../../src/bot/stores/jobs';
import { jobAudit } from '../../src/bot/runner-gateway/job-queue';
import { fingerprint, normalizeObserved, ObservedState, sameState } from '../../src/contracts/observed';
import { JobEnvelope, PROTOCOL_VERSION, type PlanStep } from '../../src/contracts/runner-api';
import { satisfied } from '../../src/contracts/satisfied';
import { signEnvelope } from '../../src/contracts/signing';
import { plan } from '../../src/core/planner';
import { discoveryScope } from '../../src/core/discovery-scope';
import { newId } from '../../src/shared/ids';
import { requestFixture } from '../fixtures/load';
import { writeState } from './sim-helpers';
import {
  discoverJob, enrolledRunner, finished, killRunners, spawnRunner, startTestServer, type TestServer,
} from './runner-helpers';

let t: TestServer;
afterEach(async () => {
  await killRunners();
  await t?.close();
});

const readState = (file: string) => ObservedState.parse(JSON.parse(readFileSync(file, 'utf8')));

/** Stores a job signed with the server's key, bypassing the queue's own checks (what a bug or an attacker with the key could send). */
async function insertSignedJob(envelope: Omit<JobEnvelope, 'protocolVersion' | 'jobId' | 'issuedAt'> & Record<string, unknown>): Promise<string> {
  const full = { protocolVersion: PROTOCOL_VERSION, jobId: newId('job'), issuedAt: new Date().toISOString(), ...envelope } as JobEnvelope;
  const store = createJobStore(t.server.deps.db, t.server.deps.clock, t.server.deps.auditInTransaction, jobAudit);
  await store.insert({ envelope: full, signature: signEnvelope(full, t.server.deps.signingKeys.privateKeyPem), context: { purpose: 'test', requestId: null, planId: null, card: null }, createdBy: 'test', pickupDeadline: null });
  return full.jobId;
}

describe('the runner command line', () => {
  beforeEach(async () => {
    t = await startTestServer();
  });

  it('prints its usage with --help and exits 0', async () => {
    const r = spawnRunner(['--help']);
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toMatch(/^Usage: picbot-runner/);
  });

  it.each([
    { args: ['--bogus'], want: /Unknown option '--bogus'/ },
    { args: ['--shell', 'bash'], want: /--shell bash: expected sim or powershell/ },
    { args: ['--enroll', 'x', '--labels', 'pool-eu', '--shell', 'sim'], want: /--enroll needs --server/ },
    { args: ['--server', 'http://127.0.0.1:1', '--enroll', 'x', '--shell', 'sim'], want: /--enroll needs --labels/ },
    { args: ['--labels', 'pool-eu', '--shell', 'sim'], env: { PICBOT_ENROLL_TOKEN: 'pbe_x' }, want: /PICBOT_ENROLL_TOKEN needs --server/ },
    { args: ['--server', 'ftp://x', '--enroll', 'x', '--labels', 'a', '--shell', 'sim'], want: /use http:\/\/ or https:\/\// },
    { args: ['--labels', 'pool eu'], want: /"pool eu" is not a label/ },
    { args: ['--shell', 'sim', '--fe', 'fe01.contoso.com'], want: /does not go with --shell sim/ },
    { args: ['--fe', 'fe01; calc.exe'], want: /not a Front End FQDN/ },
    { args: ['--op-timeout', 'soon'], want: /--op-timeout soon: expected a number of seconds/ },
    { args: ['positional'], want: /Unexpected argument 'positional'/ },
  ])('refuses $args with exit 1 and a message', async ({ args, want, env }: { args: string[]; want: RegExp; env?: Record<string, string> }) => {
    const r = spawnRunner(args, { env });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(want);
    expect(r.stderr()).toMatch(/Usage: picbot-runner/);
  });

  it('refuses to start without credentials, naming how to enroll', async () => {
    const r = spawnRunner(['--config', join(t.dir, 'none.json')]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/not enrolled: .*none\.json does not exist/);
  });
});

describe('enrollment', () => {
  beforeEach(async () => {
    t = await startTestServer();
  });

  it('enrolls once, keeps 0600 credentials and reuses them without --enroll', async () => {
    const sim = writeState(t.dir);
    const first = await enrolledRunner(t, { simState: sim });
    const mode = statSync(first.config).mode & 0o777;
    expect(mode).toBe(0o600);
    const saved = JSON.parse(readFileSync(first.config, 'utf8'));
    expect(saved).toMatchObject({ server: t.server.url, runnerId: expect.stringMatching(/^run_/), labels: ['pool-eu'], shell: 'sim', simState: sim, serverKey: t.server.deps.signingKeys.publicKeyPem });
    // Tokens never reach the logs.
    expect(first.stderr()).not.toContain(saved.runnerToken);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const again = spawnRunner(['--config', first.config]);
    await again.waitForLog(/waiting for jobs/);
    const job = await t.server.deps.jobs.create(discoverJob());
    expect((await finished(t, job.id)).job).toMatchObject({ status: 'succeeded', runnerId: saved.runnerId });
    again.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const twice = spawnRunner(['--server', t.server.url, '--enroll', 'pbe_x', '--labels', 'pool-eu', '--shell', 'sim', '--config', first.config]);
    expect(await twice.exited).toBe(1);
    expect(twice.stderr()).toMatch(/already enrolled as run_/);
  });

  it.each([
    { how: '--enroll - (the token on stdin)', args: ['--enroll', '-'], stdin: true },
    { how: 'PICBOT_ENROLL_TOKEN', args: [] as string[], stdin: false },
  ])('enrolls with the token from $how, which its command line never shows', async ({ args, stdin }) => {
    const sim = writeState(t.dir);
    const { token } = await t.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
    const config = join(t.dir, 'runner-quiet.json');
    const runner = spawnRunner(
      ['--server', t.server.url, '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', config, ...args],
      { env: stdin ? {} : { PICBOT_ENROLL_TOKEN: token } },
    );
    if (stdin) runner.proc.stdin.end(`${token}\n`);
    await runner.waitForLog(/waiting for jobs/);
    // What `ps` shows every user of the machine: the process's command line.
    expect(readFileSync(`/proc/${runner.proc.pid}/cmdline`, 'utf8')).not.toContain(token);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toMatchObject({ runnerId: expect.stringMatching(/^run_/), labels: ['pool-eu'] });
    expect(runner.stderr()).not.toContain(token);
    runner.kill('SIGTERM');
    expect(await runner.exited).toBe(0);
    if (stdin) return;
    // A service that keeps the variable set starts again as the runner it already is.
    const again = spawnRunner(['--config', config, '--server', t.server.url, '--labels', 'pool-eu', '--shell', 'sim'], { env: { PICBOT_ENROLL_TOKEN: token } });
    await again.waitForLog(/waiting for jobs/);
    again.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('refuses --enroll - when stdin holds no token', async () => {
    const r = spawnRunner(['--server', t.server.url, '--enroll', '-', '--labels', 'pool-eu', '--shell', 'sim', '--config', join(t.dir, 'none.json')]);
    r.proc.stdin.end('\n');
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/--enroll -: stdin held no token/);
  });

  it('refuses credentials other users can read', async () => {
    const sim = writeState(t.dir);
    const r = await enrolledRunner(t, { simState: sim });
    r.kill('SIGTERM');
    await r.exited;
    const { chmodSync } = await import('node:fs');
    chmodSync(r.config, 0o644);
    const again = spawnRunner(['--config', r.config]);
    expect(await again.exited).toBe(1);
    expect(again.stderr()).toMatch(/readable by other users .*chmod 600/);
  });

  it.each([
    { name: 'an unknown token', token: async () => 'pbe_unknown' },
    {
      name: 'an expired token',
      token: async () => {
        const { createRunnerStore } = await import('../../src/bot/stores/runners');
        const past = createRunnerStore(t.server.deps.db, { now: () => new Date(Date.now() - 2 * 3600_000) });
        return (await past.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' })).token;
      },
    },
    {
      name: 'a used token',
      token: async () => {
        const { token } = await t.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
        const res = await fetch(`${t.server.url}/api/runner/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollmentToken: token, name: 'x', labels: ['pool-eu'] }) });
        expect(res.status).toBe(200);
        return token;
      },
    },
  ])('refuses $name (the server answers 401): exit 1 with what to do', async ({ token }) => {
    const config = join(t.dir, 'runner.json');
    const r = spawnRunner(['--server', t.server.url, '--enroll', await token(), '--labels', 'pool-eu', '--shell', 'sim', '--config', config]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/refused the enrollment token \(unknown, expired after 1 hour, or already used\)/);
    expect(() => statSync(config)).toThrow();
  });
});

describe('discovery', () => {
  beforeEach(async () => {
    t = await startTestServer();
  });

  it('reads the simulated server and reports the observed state', async () => {
    const sim = writeState(t.dir, 'lync2013', (s) => { s.accessEdge.allowFederatedUsers = true; });
    await enrolledRunner(t, { simState: sim });
    const job = await t.server.deps.jobs.create(discoverJob());
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('succeeded');
    const observed = end.result!.observed!;
    expect(observed.unknownUsers).toEqual(['sip:nobody@contoso.com']);
    // Everything else is the simulator's state file (users: only those asked about).
    expect(observed.userPolicies).toEqual([{ user: 'sip:alice@contoso.com', externalAccessPolicy: null }]);
    // policyHolders is counted from every user on the server (here: none holds a per-user policy).
    expect(observed.policyHolders).toEqual({});
    expect(sameState({ ...observed, unknownUsers: [], policyHolders: undefined }, { ...normalizeObserved(readState(sim)), userPolicies: observed.userPolicies })).toBe(true);
    expect(observed.accessEdge.allowFederatedUsers).toBe(true);
    expect(observed.clientPolicies.map((p) => p.identity)).toEqual(['Global']);
    const view = await t.server.deps.jobs.get(job.id);
    expect(view!.events.map((e) => [e.seq >= 0, e.event.type, 'stepId' in e.event ? e.event.stepId : null])).toEqual([
      [true, 'step-started', 'discover'], [true, 'step-finished', 'discover'],
    ]);
    expect(await t.server.deps.jobs.latestObserved('req_0123456789abcdef')).toMatchObject({ jobId: job.id, fingerprint: fingerprint(observed) });
  });

  it('refuses a job whose stored envelope was altered (signature) and runs nothing', async () => {
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { fail: { 'server.version': 'must not run' } }; });
    const job = await t.server.deps.jobs.create(discoverJob());
    const stored = JSON.parse((t.server.deps.db.sqlite!.prepare('SELECT envelope FROM jobs WHERE id = ?').get(job.id) as { envelope: string }).envelope);
    stored.discovery.users.push('sip:mallory@contoso.com');
    t.server.deps.db.sqlite!.prepare('UPDATE jobs SET envelope = ? WHERE id = ?').run(JSON.stringify(stored), job.id);
    await enrolledRunner(t, { simState: sim });
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('failed');
    expect(end.result!.error).toEqual({ code: 'signature_invalid', message: expect.stringMatching(/does not verify against the server key pinned at enrollment/) });
    const view = await t.server.deps.jobs.get(job.id);
    expect(view!.events.map((e) => e.event.type)).toEqual(['log']);
  });

  it.each([
    { name: 'an unknown op', step: { id: 's1', title: 'purge', op: 'publicProvider.purge', params: {}, rollback: [] }, want: /unknown op "publicProvider.purge"/ },
    { name: 'a write op in a discovery job', step: { id: 's1', title: 'federate', op: 'accessEdge.set', params: { allowFederatedUsers: true }, rollback: [] }, want: /accessEdge.set is a write op; a discovery job may only contain read ops/ },
    { name: 'params the op schema rejects', step: { id: 's1', title: 'get', op: 'clientPolicy.get', params: { identity: 'Global', extra: 1 }, rollback: [] }, want: /clientPolicy.get: params: Unrecognized key/ },
  ])('refuses a signed discovery job with $name and changes nothing', async ({ step, want }) => {
    const sim = writeState(t.dir);
    const before = readFileSync(sim, 'utf8');
    const jobId = await insertSignedJob({ kind: 'discover', target: 'pool-eu', profile: 'lync2013', discovery: { users: [], clientPolicyIdentities: [] }, steps: [step as PlanStep], approvals: [] });
    await enrolledRunner(t, { simState: sim });
    const end = await finished(t, jobId);
    expect(end.job.status).toBe('failed');
    expect(end.result!.error).toEqual({ code: 'job_refused', message: expect.stringMatching(want) });
    expect(readFileSync(sim, 'utf8')).toBe(before);
  });

  it('resends an event batch whose answer was lost, and the server stores it once', async () => {
    const sim = writeState(t.dir);
    // A loopback proxy that forwards the first events call to the server, then cuts the
    // runner's connection instead of answering: the batch is stored, the runner must resend it.
    let cut = 0;
    const target = new URL(t.server.url);
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer: IncomingMessage) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (/\/events$/.test(req.url ?? '') && cut === 0) {
              cut += 1;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const { token } = await t.server.deps.runners.createEnrollmentToken({ labels: ['pool-eu'], createdBy: 'test' });
      const runner = spawnRunner(['--server', `http://127.0.0.1:${port}`, '--enroll', token, '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', sim, '--config', join(t.dir, 'r.json')]);
      await runner.waitForLog(/waiting for jobs/);
      const job = await t.server.deps.jobs.create(discoverJob());
      expect((await finished(t, job.id)).job.status).toBe('succeeded');
      expect(cut).toBe(1);
      await runner.waitForLog(/resending the same batch/);
      const view = await t.server.deps.jobs.get(job.id);
      expect(view!.events.map((e) => `${e.seq}:${e.index}:${e.event.type}`)).toEqual(expect.arrayContaining(['0:0:step-started']));
      const started = view!.events.filter((e) => e.event.type === 'step-started');
      expect(started).toHaveLength(1);
      expect(view!.job.eventCount).toBe(view!.events.length);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('answers the server\'s cancel (heartbeat) by stopping the discovery and reporting cancelled', async () => {
    await t.close();
    // Heartbeats every second (a third of the lease); reading takes 9 ops × 1 s, so the cancel lands mid-read.
    t = await startTestServer({ leaseMs: 3000 });
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { delayMs: 1000 }; });
    await enrolledRunner(t, { simState: sim });
    const job = await t.server.deps.jobs.create(discoverJob());
    await t.nextChange((c) => c.type === 'events' && c.job.id === job.id);
    await t.server.deps.jobs.cancel(job.id, 'test');
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('cancelled');
    expect(end.result).toMatchObject({ status: 'cancelled' });
  });
});

describe('failures', () => {
  it('marks the job interrupted when the runner is killed mid-job and its lease expires', async () => {
    t = await startTestServer({ leaseMs: 1500 });
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { delayMs: 2000 }; });
    const runner = await enrolledRunner(t, { simState: sim });
    const job = await t.server.deps.jobs.create(discoverJob());
    await t.nextChange((c) => c.type === 'events' && c.job.id === job.id);
    runner.kill('SIGKILL');
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('interrupted');
    expect(end.result).toBeNull();
    expect((await t.server.deps.audit.list({ subjectId: job.id })).map((a) => a.action)).toEqual(['job.created', 'job.leased', 'job.interrupted']);
  });

  it('kills a hung shell host after the grace period and reports the op timeout', async () => {
    t = await startTestServer();
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { hang: ['accessEdge.get'] }; });
    const runner = await enrolledRunner(t, { simState: sim, extra: ['--op-timeout', '1', '--shell-grace', '1'] });
    const job = await t.server.deps.jobs.create(discoverJob());
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('failed');
    expect(end.result!.error).toEqual({ code: 'timeout', message: expect.stringMatching(/accessEdge.get \(id 2\): no answer within 1000 ms/) });
    const killed = await runner.waitForLog(/did not exit after stdin closed; killing it/);
    expect(() => process.kill(killed.pid as number, 0)).toThrow();
    // The runner goes on serving.
    const next = await t.server.deps.jobs.create(discoverJob());
    expect((await finished(t, next.id)).job.status).toBe('failed');
  });

  it('leases each job once with two runners polling', async () => {
    t = await startTestServer();
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { delayMs: 20 }; });
    const a = await enrolledRunner(t, { simState: sim, name: 'fe01' });
    const b = await enrolledRunner(t, { simState: sim, name: 'fe02' });
    const jobs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => t.server.deps.jobs.create(discoverJob())));
    const ends = await Promise.all(jobs.map((j) => finished(t, j.id)));
    expect(ends.map((e) => e.job.status)).toEqual(jobs.map(() => 'succeeded'));
    for (const job of jobs) {
      const leases = (await t.server.deps.audit.list({ subjectId: job.id })).filter((r) => r.action === 'job.leased');
      expect(leases).toHaveLength(1);
    }
    const runnerIds = new Set(ends.map((e) => e.job.runnerId));
    const known = new Set((await t.server.deps.runners.list()).map((r) => r.id));
    for (const id of runnerIds) expect(known.has(id!)).toBe(true);
    expect([a, b].every((r) => r.proc.exitCode === null)).toBe(true);
  });

  it('stops with exit 1 when its token is revoked (401), even mid long-poll', async () => {
    t = await startTestServer();
    const sim = writeState(t.dir);
    const runner = await enrolledRunner(t, { simState: sim });
    const id = JSON.parse(readFileSync(runner.config, 'utf8')).runnerId as string;
    expect(await t.server.deps.runners.revoke(id, 'test')).toMatchObject({ ok: true });
    expect(await runner.exited).toBe(1);
    expect(runner.stderr()).toMatch(/refused the runner token \(401\)/);
  });

  it('reports the job in hand as cancelled on SIGTERM and exits 0', async () => {
    t = await startTestServer();
    const sim = writeState(t.dir, 'lync2013', (s) => { s.faults = { delayMs: 300 }; });
    const runner = await enrolledRunner(t, { simState: sim });
    const job = await t.server.deps.jobs.create(discoverJob());
    await t.nextChange((c) => c.type === 'events' && c.job.id === job.id);
    runner.kill('SIGTERM');
    const end = await finished(t, job.id);
    expect(end.job.status).toBe('cancelled');
    expect(await runner.exited).toBe(0);
  });
});

describe('apply (the runner side)', () => {
  const request = requestFixture('global');

  /**
   * The real flow: discover with the request's scope, plan from what was read, (let `between`
   * change the server), then apply. The simulator only runs during a job, so editing its file
   * between jobs is safe.
   */
  async function applyJob(sim: string, options: { tweak?: (steps: PlanStep[]) => PlanStep[]; between?: () => void } = {}): Promise<{ jobId: string; planned: ReturnType<typeof plan> }> {
    const discovery = await t.server.deps.jobs.create(discoverJob('pool-eu', { discovery: discoveryScope(request) }));
    const read = await finished(t, discovery.id);
    const planned = plan(request, read.result!.observed!, 'lync2013');
    expect(planned.refusals).toEqual([]);
    options.between?.();
    const job = await t.server.deps.jobs.create({
      kind: 'apply',
      target: 'pool-eu',
      profile: 'lync2013',
      discovery: discoveryScope(request),
      steps: options.tweak ? options.tweak(planned.steps) : planned.steps,
      expectedFingerprint: planned.fingerprint,
      planHash: planned.planHash,
      approvals: [{ approver: 'alex', at: new Date().toISOString() }],
      context: { purpose: 'test', requestId: null, planId: null, card: null },
      createdBy: 'test',
    });
    return { jobId: job.id, planned };
  }

  const editState = (sim: string, edit: (state: Record<string, any>) => void) => {
    const state = JSON.parse(readFileSync(sim, 'utf8'));
    edit(state);
    writeFileSync(sim, JSON.stringify(state));
  };

  beforeEach(async () => {
    t = await startTestServer();
  });

  it('checks, changes and verifies every step, then reports the state after and replication', async () => {
    const sim = writeState(t.dir);
    await enrolledRunner(t, { simState: sim });
    const { jobId, planned } = await applyJob(sim);
    const end = await finished(t, jobId);
    expect(end.result).toMatchObject({ status: 'succeeded', error: null });
    expect(fingerprint(end.result!.observed!)).toBe(planned.fingerprint);
    expect(planned.steps.length).toBeGreaterThan(2);
    for (const step of planned.steps) expect(satisfied(step.op, step.params, end.result!.after!)).toBe(true);
    expect(end.result!.replication).toEqual(expect.arrayContaining([expect.objectContaining({ replicaFqdn: 'edge01.contoso.com' })]));
    const view = await t.server.deps.jobs.get(jobId);
    const finishedSteps = view!.events.flatMap((e) => (e.event.type === 'step-finished' ? [[e.event.stepId, e.event.status]] : []));
    expect(finishedSteps).toEqual(planned.steps.map((s) => [s.id, 'done']));
    // The simulator's file now holds what the runner read last.
    const after = readState(sim);
    for (const step of planned.steps) expect(satisfied(step.op, step.params, after)).toBe(true);
  });

  it('skips a step whose state already holds', async () => {
    const sim = writeState(t.dir);
    await enrolledRunner(t, { simState: sim });
    const { jobId, planned } = await applyJob(sim, { tweak: (steps) => [...steps, steps[0]!].map((s, i) => ({ ...s, id: `${s.id}-${i}` })) });
    const end = await finished(t, jobId);
    expect(end.job.status).toBe('succeeded');
    const view = await t.server.deps.jobs.get(jobId);
    const last = view!.events.filter((e) => e.event.type === 'step-finished').at(-1)!.event;
    expect(last).toMatchObject({ stepId: `${planned.steps[0]!.id}-${planned.steps.length}`, status: 'skipped' });
  });

  it('aborts on drift without changing anything', async () => {
    const sim = writeState(t.dir);
    await enrolledRunner(t, { simState: sim });
    let changed: ObservedState | null = null;
    const { jobId } = await applyJob(sim, {
      between: () => {
        // Someone changes the server between plan and apply.
        editState(sim, (s) => { s.accessEdge.enableArchivingDisclaimer = true; });
        changed = readState(sim);
      },
    });
    const end = await finished(t, jobId);
    expect(end.result).toMatchObject({ status: 'aborted-drift', error: { code: 'drift', message: expect.stringMatching(/the server changed since the plan was made/) } });
    expect(sameState(readState(sim), changed!)).toBe(true);
    const view = await t.server.deps.jobs.get(jobId);
    expect(view!.events.some((e) => e.event.type === 'step-started')).toBe(false);
  });

  it('stops at the first failing step and reports the state after it', async () => {
    const sim = writeState(t.dir);
    await enrolledRunner(t, { simState: sim });
    const { jobId, planned } = await applyJob(sim, {
      between: () => editState(sim, (s) => { s.faults = { fail: { 'publicProvider.new': 'Cannot bind parameter: injected failure' } }; }),
    });
    const failing = planned.steps.findIndex((s) => s.op === 'publicProvider.new');
    expect(failing).toBeGreaterThan(0);
    const end = await finished(t, jobId);
    expect(end.result).toMatchObject({ status: 'failed', error: { code: 'cmdlet_failed', message: expect.stringMatching(/injected failure/) } });
    const view = await t.server.deps.jobs.get(jobId);
    const statuses = view!.events.flatMap((e) => (e.event.type === 'step-finished' ? [e.event.status] : []));
    expect(statuses).toEqual([...planned.steps.slice(0, failing).map(() => 'done'), 'failed']);
    expect(end.result!.after).not.toBeNull();
    expect(sameState({ ...end.result!.after!, policyHolders: undefined }, { ...readState(sim), userPolicies: [], clientPolicies: [] })).toBe(true);
  });
});
