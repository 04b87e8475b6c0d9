/**
 * The apply loop of the runner (executeJob) against a hand-written shell fake: after each change
 * it re-reads only what the step touched (a grant: that one user), reads the whole scope once after
 * the last change, and fails the job when a step it ran no longer holds in that last read.
 */
import pino from 'pino';
import { fingerprint, sameState, type ObservedState } from '../../../src/contracts/observed';
import { isWriteOp } from '../../../src/contracts/ops';
import { JobEvent, MAX_EVENT_TEXT, PROTOCOL_VERSION, type JobEnvelope } from '../../../src/contracts/runner-api';
import { generateSigningKeys, signEnvelope } from '../../../src/contracts/signing';
import { discoveryScope } from '../../../src/core/discovery-scope';
import { plan } from '../../../src/core/planner';
import { discover } from '../../../src/runner/discover';
import { executeJob } from '../../../src/runner/execute';
import { silentLogger } from '../../../src/shared/logger';
import { freshState, requestFixture } from '../../fixtures/load';
import { observedShell, type ObservedShell } from '../../fakes/observed-shell';

const keys = generateSigningKeys();
const USERS = ['sip:alice@contoso.com', 'sip:bob@contoso.com', 'sip:carol@contoso.com'];

function perUserServer(): ObservedState {
  const s = freshState('lync2013');
  s.userPolicies = USERS.map((user) => ({ user, externalAccessPolicy: null }));
  return s;
}

async function apply(shell: ObservedShell, start: ObservedState, request = requestFixture('user', { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users: USERS } }), logger = silentLogger()) {
  // What the runner's read of the job's scope gives (the plan is made from a discovery, as in production).
  const read = await discover(observedShell(start), discoveryScope(request));
  const planned = plan(request, read, 'lync2013');
  expect(planned.refusals).toEqual([]);
  const envelope: JobEnvelope = {
    protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000001', kind: 'apply', target: 'pool-eu', profile: 'lync2013',
    discovery: discoveryScope(request), steps: planned.steps, expectedFingerprint: planned.fingerprint, planHash: planned.planHash,
    approvals: [{ approver: 'alex', at: '2026-11-28T14:00:00.000Z' }], issuedAt: '2026-11-28T14:00:00.000Z',
  };
  const events: JobEvent[] = [];
  const done = await executeJob({
    lease: { jobId: envelope.jobId, envelope, signature: signEnvelope(envelope, keys.privateKeyPem), leaseId: 'l', leaseExpiresAt: '', leaseSeconds: null, leaseWaitedMs: null },
    serverKey: keys.publicKeyPem,
    guard: { admit: () => null },
    openShell: () => shell,
    events: { push: (e) => events.push(e) },
    control: { stopReason: () => null, onStop: () => undefined },
    logger,
  });
  return { planned, report: done.report, events };
}

describe('apply: the job timing line', () => {
  it('logs once per job how many steps ran and where the time went (shell, journal, the rest)', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
    const start = perUserServer();
    const { planned, events } = await apply(observedShell(start), start, undefined, logger);
    const timing = lines.filter((l) => l.msg === 'job timing');
    expect(timing).toHaveLength(1);
    expect(timing[0]).toMatchObject({ kind: 'apply', jobId: 'job_0000000000000001', steps: planned.steps.length, journalMs: 0 });
    expect(events.filter((e) => e.type === 'step-started')).toHaveLength(planned.steps.length);
    const { wallMs, shellMs, otherMs } = timing[0] as { wallMs: number; shellMs: number; otherMs: number };
    expect(shellMs).toBeGreaterThanOrEqual(0);
    expect(otherMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(wallMs - shellMs - otherMs)).toBeLessThanOrEqual(0.2);
  });
});

describe('apply: what the runner reads', () => {
  it('after a grant it reads that one user again; the whole scope is read before the first change and once after the last', async () => {
    const start = perUserServer();
    const shell = observedShell(start);
    const { planned, report } = await apply(shell, start);
    expect(report).toMatchObject({ status: 'succeeded' });
    const grants = planned.steps.filter((s) => s.op === 'externalAccessPolicy.grant');
    expect(grants).toHaveLength(3);
    // Full reads: server.version is read by every full discovery and by nothing else.
    expect(shell.calls.filter((c) => c.op === 'server.version')).toHaveLength(2);
    const userReads = shell.calls.filter((c) => c.op === 'user.externalAccessPolicy').map((c) => c.params.users);
    // Before (all three), one per grant (that user only), after (all three).
    expect(userReads).toEqual([USERS, [USERS[0]], [USERS[1]], [USERS[2]], USERS]);
    const afterGrant = (i: number) => shell.calls[shell.calls.findIndex((c) => c.op === 'externalAccessPolicy.grant' && c.params.user === USERS[i]) + 1];
    expect(afterGrant(1)).toEqual({ op: 'user.externalAccessPolicy', params: { users: [USERS[1]] } });
    expect(report.after).toEqual(expect.objectContaining({ userPolicies: USERS.map((user) => ({ user, externalAccessPolicy: 'EnablePublicUsers' })) }));
  });

  it('a step that a later change quietly undid fails the job with a clear error, though each step verified on its own', async () => {
    const start = freshState('lync2013');
    // A server where creating the Skype provider turns federation off again (the per-step re-read,
    // which reads only the providers, cannot see it; the read after the last change does).
    const shell = observedShell(start, (op, s) => (op === 'publicProvider.new' ? { ...s, accessEdge: { ...s.accessEdge, allowFederatedUsers: false } } : s));
    const { report, events } = await apply(shell, start, requestFixture('global'));
    const finished = events.flatMap((e) => (e.type === 'step-finished' ? [e.status] : []));
    expect(finished.every((s) => s === 'done')).toBe(true);
    expect(report).toMatchObject({
      status: 'failed',
      error: { code: 'verify_failed', message: expect.stringMatching(/after the last change, a step no longer holds: federation \(accessEdge\.set\): accessEdge\.allowFederatedUsers is false, want true/) },
    });
    expect(report.after?.accessEdge.allowFederatedUsers).toBe(false);
  });

  it('replacing an old Skype provider (remove, then new with the same identity) is not taken for an undone step', async () => {
    const start = freshState('lync2013');
    start.publicProviders = start.publicProviders.filter((p) => p.identity !== 'Messenger');
    start.publicProviders.push({ identity: 'Skype', proxyFqdn: 'federation.messenger.msn.com', enabled: false, verificationLevel: 'AlwaysVerifiable', iconUrl: null, nameDecorationRoutingDomain: null, nameDecorationExcludedDomainList: null, enableSkypeIdRouting: null, enableSkypeDirectorySearch: null });
    const shell = observedShell(start);
    const { planned, report } = await apply(shell, start, requestFixture('global'));
    expect(planned.steps.map((s) => s.op)).toEqual(expect.arrayContaining(['publicProvider.remove', 'publicProvider.new']));
    expect(report).toMatchObject({ status: 'succeeded' });
  });
});

describe('apply: step output in events', () => {
  it('keeps output up to the event schema\'s limit whole, and cuts longer output to exactly that limit', async () => {
    const start = freshState('lync2013');
    const long = (n: number) => 'ä'.repeat(n);
    const sizes: Record<string, number> = { 'accessEdge.set': 40_000, 'externalAccessPolicy.set': 200_000 };
    const shell = observedShell(start, undefined, { answer: (op) => long(sizes[op] ?? 10) });
    const { report, events } = await apply(shell, start, requestFixture('global'));
    expect(report.status).toBe('succeeded');
    const outputs = events.flatMap((e) => (e.type === 'step-finished' && e.output ? [e.output] : []));
    // 40,000 characters: more than the old 16 KiB cut, less than the schema's limit: kept whole.
    expect(outputs).toContain(long(40_000));
    const cutOne = outputs.find((o) => o.endsWith(`(cut at ${MAX_EVENT_TEXT} characters)`))!;
    expect(cutOne.length).toBe(MAX_EVENT_TEXT);
    for (const e of events) expect(JobEvent.safeParse(e).success).toBe(true);
  });
});

describe('apply: the plan-level precheck before the first change', () => {
  const request = requestFixture('global', {}, 'lync2013-cu5');

  /** Runs a signed apply job of `steps` planned from `planFrom`, on a server whose state is `server`. */
  async function run(shell: ObservedShell, server: ObservedState, planFrom: ObservedState) {
    const planned = plan(request, planFrom, 'lync2013-cu5');
    expect(planned.refusals).toEqual([]);
    const read = await discover(observedShell(server), discoveryScope(request));
    const envelope: JobEnvelope = {
      protocolVersion: PROTOCOL_VERSION, jobId: 'job_0000000000000002', kind: 'apply', target: 'pool-eu', profile: 'lync2013-cu5',
      discovery: discoveryScope(request), steps: planned.steps, expectedFingerprint: fingerprint(read), planHash: planned.planHash,
      approvals: [{ approver: 'alex', at: '2026-11-28T14:00:00.000Z' }], issuedAt: '2026-11-28T14:00:00.000Z',
    };
    const events: JobEvent[] = [];
    const done = await executeJob({
      lease: { jobId: envelope.jobId, envelope, signature: signEnvelope(envelope, keys.privateKeyPem), leaseId: 'l', leaseExpiresAt: '', leaseSeconds: null, leaseWaitedMs: null },
      serverKey: keys.publicKeyPem,
      guard: { admit: () => null },
      openShell: () => shell,
      events: { push: (e) => events.push(e) },
      control: { stopReason: () => null, onStop: () => undefined },
      logger: silentLogger(),
    });
    return { planned, report: done.report, events };
  }
  const writes = (shell: ObservedShell) => shell.calls.filter((c) => isWriteOp(c.op));

  it('a CU5 plan (made from an export without capabilities) on a server without CU5 ends with nothing changed', async () => {
    const server = freshState('lync2013');
    const oldExport = { ...freshState('lync2013-cu5'), capabilities: undefined };
    const shell = observedShell(server);
    const { report, events } = await run(shell, server, oldExport);
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('precheck_failed');
    expect(report.error?.message).toMatch(/step provider-new: this server's New-CsPublicProvider has no -NameDecorationRoutingDomain, -NameDecorationExcludedDomainList parameter/);
    expect(report.error?.message).toMatch(/nothing was changed/);
    expect(writes(shell)).toEqual([]);
    expect(sameState(shell.state(), server)).toBe(true);
    expect(events.some((e) => e.type === 'step-started')).toBe(false);
  });

  it('a provider that does not bind in memory stops the job before Messenger is removed', async () => {
    const server = freshState('lync2013-cu5');
    const shell = observedShell(server, undefined, { probeError: { code: 'bad_params', message: "Cannot bind parameter 'VerificationLevel'." } });
    const { report } = await run(shell, server, server);
    expect(report).toMatchObject({ status: 'failed', error: { code: 'precheck_failed' } });
    expect(report.error?.message).toMatch(/New-CsPublicProvider -InMemory does not bind these parameters: bad_params: Cannot bind parameter 'VerificationLevel'/);
    expect(writes(shell)).toEqual([]);
  });

  it('binds the new provider once, in memory, before the first change, then applies the plan', async () => {
    const server = freshState('lync2013-cu5');
    const shell = observedShell(server);
    const { planned, report } = await run(shell, server, server);
    expect(report.status).toBe('succeeded');
    const probe = shell.calls.findIndex((c) => c.op === 'publicProvider.probe');
    const firstWrite = shell.calls.findIndex((c) => isWriteOp(c.op));
    expect(probe).toBeGreaterThan(-1);
    expect(probe).toBeLessThan(firstWrite);
    expect(shell.calls.filter((c) => c.op === 'publicProvider.probe').map((c) => c.params)).toEqual([planned.steps.find((s) => s.op === 'publicProvider.new')!.params]);
  });

  it('a server without -InMemory is checked by its parameter names only', async () => {
    const server = freshState('lync2013-cu5');
    server.capabilities = { ...server.capabilities, 'New-CsPublicProvider': server.capabilities!['New-CsPublicProvider'].filter((p) => p !== 'InMemory') };
    const shell = observedShell(server);
    const { report } = await run(shell, server, server);
    expect(report.status).toBe('succeeded');
    expect(shell.calls.some((c) => c.op === 'publicProvider.probe')).toBe(false);
  });
});
