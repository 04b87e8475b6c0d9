import type { DiscoveryPhase, DiscoveryStatus } from '../../../../src/bot/workflows/discovery';
import type { JobRecord } from '../../../../src/bot/workflows/ports';
import { discoveryCard } from '../../../../src/bot/views/discovery';
import { unescapeMarkdown } from '../../../../src/bot/views/markdown';
import { checkTeamsSupport } from '../../../../src/tools/gallery/teams-rules';
import { freshState } from '../../../fixtures/load';

const job = (extra: Partial<JobRecord> = {}): JobRecord => ({
  id: 'job_0123456789abcdef',
  kind: 'discover',
  target: 'pool-eu',
  status: 'queued',
  envelope: { protocolVersion: 1, jobId: 'job_0123456789abcdef', kind: 'discover', target: 'pool-eu', profile: 'lync2013', discovery: { users: [], clientPolicyIdentities: [] }, steps: [], approvals: [], issuedAt: '2026-11-28T14:00:00.000Z' },
  signature: 'x',
  context: { purpose: 'discovery', requestId: 'req_0123456789abcdef', planId: null, card: null },
  createdBy: 'dana',
  createdAt: '2026-11-28T14:00:00.000Z',
  pickupDeadline: null,
  runnerId: null,
  runnerName: null,
  leasedAt: null,
  leaseExpiresAt: null,
  cancelRequested: false,
  timeLimitAt: null,
  lateAt: null,
  finishedAt: null,
  eventCount: 0,
  ...extra,
});

const status = (phase: DiscoveryPhase, extra: Partial<DiscoveryStatus> = {}): DiscoveryStatus => ({
  job: job(phase === 'waiting' ? {} : { runnerId: 'run_0123456789abcdef', runnerName: 'fe01' }),
  phase,
  request: null,
  label: 'pool-eu',
  runnerSeen: true,
  timeoutSeconds: 120,
  observed: null,
  result: null,
  events: [],
  ...extra,
});

function text(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n !== 'object' || n === null) return;
    const o = n as Record<string, unknown>;
    // As a reader sees it: the markdown escapes undone.
    if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(unescapeMarkdown(o.text));
    if (o.type === 'FactSet') for (const f of o.facts as { title: string; value: string }[]) out.push(`${unescapeMarkdown(f.title)}: ${unescapeMarkdown(f.value)}`);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out.join('\n');
}

describe('discovery card', () => {
  it.each([
    { phase: 'waiting' as const, extra: { runnerSeen: false }, want: /Waiting for a runner with label pool-eu[\s\S]*No runner with label pool-eu has been seen yet/ },
    { phase: 'waiting' as const, extra: {}, want: /Waiting for a runner with label pool-eu to pick the job up \(up to 120 s\)/ },
    { phase: 'running' as const, extra: {}, want: /Runner fe01, id run_0123456789abcdef, is reading the server/ },
    { phase: 'failed' as const, extra: { result: { status: 'failed' as const, observed: null, after: null, replication: null, error: { code: 'signature_invalid', message: 'bad signature' }, reportedAt: '2026-11-28T14:01:00.000Z' } }, want: /could not read the server: bad signature[\s\S]*signature did not verify/ },
    { phase: 'interrupted' as const, extra: {}, want: /stopped answering \(its lease expired without a heartbeat\)/ },
    { phase: 'expired' as const, extra: { runnerSeen: false }, want: /No runner with label pool-eu has been seen\./ },
    { phase: 'expired' as const, extra: { runnerSeen: true }, want: /No runner picked the job up within 120 s/ },
    { phase: 'cancelled' as const, extra: {}, want: /stopped before it finished reading/ },
  ])('says where a $phase discovery stands', ({ phase, extra, want }) => {
    const card = discoveryCard(status(phase, extra));
    expect(text(card)).toMatch(want);
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it('keeps a state with 200 users, unknown ones first, under Teams\' size limit', () => {
    const observed = freshState('lync2013');
    observed.userPolicies = Array.from({ length: 199 }, (_, i) => ({ user: `sip:user-with-a-long-name-${i}@subsidiary.contoso.com`, externalAccessPolicy: 'EnablePublicUsers' }));
    observed.unknownUsers = ['sip:gone@contoso.com'];
    const card = discoveryCard(status('done', { observed, result: { status: 'succeeded', observed, after: null, replication: null, error: null, reportedAt: '2026-11-28T14:01:00.000Z' } }));
    expect(checkTeamsSupport(card)).toEqual([]);
    expect(text(card)).toMatch(/sip:gone@contoso.com: not a Lync-enabled user on this server/);
    expect(text(card)).toMatch(/…: 160 more users/);
  });

  const done = (observed: ReturnType<typeof freshState>) => discoveryCard(status('done', { observed, result: { status: 'succeeded', observed, after: null, replication: null, error: null, reportedAt: '2026-11-28T14:01:00.000Z' } }));

  it('shows each discovery fallback and federation off in the topology first, under "Needs attention"', () => {
    const observed = freshState('lync2013');
    observed.topology!.edgePools[0].federationEnabled = false;
    observed.discoveryFallbacks = [
      { read: 'Get-CsServerVersion', reason: 'Get-CsServerVersion is designed to run only on the local computer.', instead: 'the product from the topology (Get-CsService -Registrar, version 5); the build number is unknown' },
      { read: 'VerificationLevelType values', reason: 'restricted language mode', instead: 'each number resolved by binding it with New-CsPublicProvider -InMemory (nothing created)' },
    ];
    const card = done(observed);
    expect(checkTeamsSupport(card)).toEqual([]);
    const t = text(card);
    expect(t).toMatch(/Needs attention\nsip\.contoso\.com: Federation \(port 5061\) is OFF for this Edge pool in the topology.*Topology Builder, not picbot, must change it/);
    expect(t).toMatch(/Get-CsServerVersion: Read instead: the product from the topology \(Get-CsService -Registrar, version 5\).*Why: Get-CsServerVersion is designed to run only on the local computer\./);
    expect(t).toMatch(/VerificationLevelType values: Read instead: each number resolved by binding it with New-CsPublicProvider -InMemory/);
    expect(t.indexOf('Needs attention')).toBeLessThan(t.indexOf('Product:'));
  });

  it('shows the Edge pools, the sites and what the binaries accept (CU5 or not)', () => {
    const pre = text(done(freshState('lync2013')));
    expect(pre).toMatch(/sip\.contoso\.com: EdgeServer:edge01\.contoso\.com · external SIP port 5061 · federation \(port 5061\) enabled in the topology/);
    expect(pre).toMatch(/Redmond: site:Redmond/);
    expect(pre).toMatch(/Cmdlet parameters: New-CsPublicProvider has no NameDecoration\* parameters \(before Lync Server 2013 CU5\)/);
    expect(pre).not.toMatch(/Needs attention/);
    const held = freshState('lync2013');
    held.externalAccessPolicies.push({ identity: 'tag:Kiosk', enableFederationAccess: true, enablePublicCloudAccess: false, enablePublicCloudAudioVideoAccess: false, enableOutsideAccess: false });
    held.policyHolders = { kiosk: 12 };
    expect(text(done(held))).toMatch(/tag:Kiosk: federation on · .* · held by 12 users/);
    expect(text(done(freshState('lync2013-cu5')))).toMatch(/NameDecoration\* parameters \(Lync Server 2013 CU5 or later\)/);
    const old = text(done({ ...freshState('lync2013'), capabilities: undefined, topology: undefined, sites: undefined }));
    expect(old).toMatch(/Cmdlet parameters: not read \(an older discovery\)/);
    expect(old).toMatch(/Not read \(an older discovery\): the Access Edge FQDNs are not checked against the topology/);
  });
});
