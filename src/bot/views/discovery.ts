/** The discovery card: waiting for a runner, reading, the observed state in readable form, or why not. */
import { fingerprint, type ObservedState } from '../../contracts/observed';
import type { IntakeStep } from '../../core/intake';
import { refusalsFor, type PlanRefusal } from '../../core/planner';
import type { Card } from '../turn';
import type { DiscoveryStatus } from '../workflows/discovery';
import { when } from './request';
import { renderCard } from './render';

interface Fact {
  title: string;
  value: string;
}
interface Section {
  title: string;
  facts: Fact[];
  empty: string;
}

const onOff = (v: boolean | null, unset = 'not set') => (v === null ? unset : v ? 'on' : 'off');

// A request may name 200 users; Teams refuses cards over 28 KB. Longer lists end in "… N more".
const MAX_FACTS = 40;
function capped(facts: Fact[], what: string): Fact[] {
  if (facts.length <= MAX_FACTS) return facts;
  return [...facts.slice(0, MAX_FACTS), { title: '…', value: `${facts.length - MAX_FACTS} more ${what} (all of them are in the plan and the audit export)` }];
}

/** Reads that did not work the usual way, and Edge pools with federation off in the topology: shown first. */
function attentionSection(observed: ObservedState): Section[] {
  const facts: Fact[] = [];
  for (const pool of observed.topology?.edgePools ?? []) {
    if (pool.federationEnabled === false) {
      facts.push({ title: pool.accessEdgeExternalFqdn, value: 'Federation (port 5061) is OFF for this Edge pool in the topology: nothing federates until it is on. Topology Builder, not picbot, must change it (then publish the topology).' });
    }
  }
  for (const f of observed.discoveryFallbacks ?? []) {
    facts.push({ title: f.read, value: `Read instead: ${f.instead}. Why: ${f.reason}` });
  }
  return facts.length === 0 ? [] : [{ title: 'Needs attention', empty: '', facts }];
}

/** " · held by N users" for a per-user policy when discovery counted its holders. */
function holdersText(observed: ObservedState, identity: string): string {
  if (!identity.toLowerCase().startsWith('tag:') || !observed.policyHolders) return '';
  const name = identity.slice('tag:'.length).toLowerCase();
  const count = Object.entries(observed.policyHolders).find(([k]) => k.toLowerCase() === name)?.[1] ?? 0;
  return ` · held by ${count} user${count === 1 ? '' : 's'}`;
}

/** What the server's New-CsPublicProvider accepts, in words (CU5 or not). */
function binariesText(observed: ObservedState): string {
  const params = observed.capabilities?.['New-CsPublicProvider'];
  if (!params) return 'not read (an older discovery): plans are not checked against them';
  const has = (name: string) => params.some((p) => p.toLowerCase() === name.toLowerCase());
  const parts = [
    has('NameDecorationRoutingDomain') ? 'NameDecoration* parameters (Lync Server 2013 CU5 or later)' : 'no NameDecoration* parameters (before Lync Server 2013 CU5)',
    has('EnableSkypeIdRouting') ? 'Skype ID routing switches' : null,
    has('InMemory') ? 'in-memory precheck possible' : 'no -InMemory',
  ];
  return `New-CsPublicProvider has ${parts.filter((x): x is string => x !== null).join(' · ')}`;
}

/** The observed state as card sections: what an admin checks before planning. */
export function observedSections(observed: ObservedState): Section[] {
  const edge = observed.accessEdge;
  const v = observed.serverVersion;
  const unknown = new Set(observed.unknownUsers.map((u) => u.toLowerCase()));
  return [
    ...attentionSection(observed),
    {
      title: 'Server',
      empty: '',
      facts: [
        { title: 'Product', value: `${v.product} (${v.version})` },
        { title: 'Routing', value: edge.routing === 'DnsSrv' ? 'DNS SRV (partner discovery possible)' : 'default route (public providers cannot be added)' },
        { title: 'Federation', value: `${onOff(edge.allowFederatedUsers)} · AllowFederatedUsers` },
        { title: 'Partner discovery', value: onOff(edge.enablePartnerDiscovery, 'not available with default routing') },
        { title: 'Archiving disclaimer', value: onOff(edge.enableArchivingDisclaimer) },
        { title: 'Remote users', value: `${onOff(edge.allowOutsideUsers)} · AllowOutsideUsers` },
        { title: 'Cmdlet parameters', value: binariesText(observed) },
      ],
    },
    {
      title: 'Edge pools (topology)',
      empty: observed.topology ? 'None in the topology.' : 'Not read (an older discovery): the Access Edge FQDNs are not checked against the topology.',
      facts: capped((observed.topology?.edgePools ?? []).map((e) => ({
        title: e.accessEdgeExternalFqdn,
        value: [
          e.identity,
          e.accessEdgeExternalSipPort === null ? null : `external SIP port ${e.accessEdgeExternalSipPort}`,
          e.federationEnabled === null ? 'federation setting not readable: check it in Topology Builder' : `federation (port 5061) ${e.federationEnabled ? 'enabled' : 'OFF'} in the topology`,
        ].filter((x): x is string => x !== null).join(' · '),
      })), 'Edge pools'),
    },
    {
      title: 'Sites',
      empty: observed.sites ? 'None.' : 'Not read (an older discovery): site names are not checked.',
      facts: capped((observed.sites ?? []).map((name) => ({ title: name, value: `site:${name}` })), 'sites'),
    },
    {
      title: 'SIP domains',
      empty: 'None.',
      facts: observed.sipDomains.map((d) => ({ title: d.name, value: d.isDefault ? 'default' : 'additional' })),
    },
    {
      title: 'Public providers',
      empty: 'None.',
      facts: capped(observed.publicProviders.map((p) => ({
        title: p.identity,
        value: [
          p.enabled ? 'enabled' : 'disabled',
          p.proxyFqdn,
          `verification ${p.verificationLevel}`,
          p.nameDecorationRoutingDomain ? `name decoration ${p.nameDecorationRoutingDomain}` : null,
          p.enableSkypeIdRouting ? 'Skype ID routing' : null,
        ].filter((x): x is string => x !== null).join(' · '),
      })), 'providers'),
    },
    {
      title: 'Hosting providers',
      empty: 'None.',
      facts: capped(observed.hostingProviders.map((p) => ({ title: p.identity, value: `${p.enabled ? 'enabled' : 'disabled'} · ${p.proxyFqdn} · verification ${p.verificationLevel}` })), 'providers'),
    },
    {
      title: 'External access policies',
      empty: 'None.',
      facts: capped(observed.externalAccessPolicies.map((p) => ({
        title: p.identity,
        value: `federation ${onOff(p.enableFederationAccess)} · public providers ${onOff(p.enablePublicCloudAccess)} · public A/V ${onOff(p.enablePublicCloudAudioVideoAccess)} · remote access ${onOff(p.enableOutsideAccess)}${holdersText(observed, p.identity)}`,
      })), 'policies'),
    },
    {
      title: 'Users\' external access policies',
      empty: 'No users asked about (the request does not use a per-user policy).',
      facts: capped([
        // Unknown users first: they stop the plan, so they must not hide behind "… more".
        ...[...unknown].map((u) => ({ title: u, value: 'not a Lync-enabled user on this server' })),
        ...observed.userPolicies.map((u) => ({ title: u.user, value: u.externalAccessPolicy ?? 'none assigned (site or global applies)' })),
      ], 'users'),
    },
    {
      title: 'Client policy',
      empty: 'Not read (the request leaves DisablePICPromptDisplayName as it is).',
      facts: observed.clientPolicies.map((p) => ({ title: p.identity, value: `DisablePICPromptDisplayName: ${p.disablePICPromptDisplayName === null ? 'not set' : String(p.disablePICPromptDisplayName)}` })),
    },
  ];
}

/** The intake card where each refusal is fixed (the others are fixed on the server, not in the request). */
const EDIT_SECTION: Partial<Record<PlanRefusal['code'], IntakeStep>> = {
  product_mismatch: 'target',
  sip_domain_missing: 'domains',
  unknown_user: 'options',
  policy_name_reserved: 'options',
};

/**
 * The runner in a sentence. Its id is set off by commas, not parentheses: a client that wraps an
 * id too long for the line at any character could leave a closing ")" alone on the next line.
 */
function runnerText(status: DiscoveryStatus): string {
  return status.job.runnerName ? `${status.job.runnerName}, id ${status.job.runnerId},` : (status.job.runnerId ?? 'a runner');
}

/** The template data of the discovery card. */
export function discoveryCardData(status: DiscoveryStatus): Record<string, unknown> {
  const { job, label } = status;
  const base = {
    heading: `${label} · ${job.context.requestId ?? ''} · ${job.id}`,
    requestId: job.context.requestId ?? '',
    sections: [] as Section[],
    hint: '',
    footer: '',
    canRetry: true,
    // "Request approval" right after a discovery that read the server (the plan area checks the rest).
    canPlan: false,
    warnings: [] as string[],
    editSection: '',
  };
  const enroll = `Enroll one: say "runner token ${label}" in a personal chat with picbot (admins), then on the Lync management host run picbot-runner --enroll with that token and --labels ${label}.`;
  switch (status.phase) {
    case 'waiting':
      return {
        ...base,
        title: `Discovering the current state of ${label}`,
        statusLine: `Waiting for a runner with label ${label} to pick the job up (up to ${status.timeoutSeconds} s)…`,
        statusColor: 'default',
        hint: status.runnerSeen ? '' : `No runner with label ${label} has been seen yet. ${enroll}`,
        canRetry: false,
      };
    case 'running':
      return {
        ...base,
        title: `Discovering the current state of ${label}`,
        statusLine: `Runner ${runnerText(status)} is reading the server (read-only)…`,
        statusColor: 'default',
        canRetry: false,
      };
    case 'done': {
      const refusals = status.observed && status.request ? refusalsFor(status.request.request, status.observed, status.request.request.target.profile) : [];
      const section = refusals.map((r) => EDIT_SECTION[r.code]).find((x): x is IntakeStep => x !== undefined) ?? '';
      return {
        ...base,
        // What approval would refuse, said here, with the way to fix it instead of "Request approval".
        warnings: refusals.map((r) => r.reason),
        editSection: section,
        title: `Current state of ${label}`,
        statusLine: `Read by ${runnerText(status)} on ${when(status.result?.reportedAt ?? job.finishedAt ?? job.createdAt)}.`,
        statusColor: 'good',
        sections: status.observed ? observedSections(status.observed) : [],
        footer: status.observed ? `Fingerprint ${fingerprint(status.observed).slice(0, 12)} · a plan is computed from this state, and applying it first checks that the server still matches it.` : '',
        canPlan: status.observed !== null && refusals.length === 0,
      };
    }
    case 'failed':
      return {
        ...base,
        title: `Discovery of ${label} failed`,
        statusLine: `Runner ${runnerText(status)} could not read the server: ${status.result?.error?.message ?? 'no reason given'}`,
        statusColor: 'attention',
        hint: status.result?.error?.code === 'signature_invalid' ? 'The runner refused the job because its signature did not verify: the job was altered, or the runner was enrolled with another picbot server.' : '',
      };
    case 'interrupted':
      return {
        ...base,
        title: `Discovery of ${label} was interrupted`,
        statusLine: `Runner ${runnerText(status)} stopped answering (its lease expired without a heartbeat). Nothing was changed: discovery only reads.`,
        statusColor: 'warning',
        hint: 'Check that the runner is running, then discover again.',
      };
    case 'expired':
      return {
        ...base,
        title: `Discovery of ${label} did not start`,
        statusLine: status.runnerSeen
          ? `No runner picked the job up within ${status.timeoutSeconds} s. Runners with label ${label} are enrolled, but none is polling now.`
          : `No runner with label ${label} has been seen.`,
        statusColor: 'warning',
        hint: status.runnerSeen ? 'Say "runners" to see when each runner was last seen; start it, then discover again.' : enroll,
      };
    case 'cancelled':
      return {
        ...base,
        title: `Discovery of ${label} was cancelled`,
        statusLine: status.job.runnerId ? `Runner ${runnerText(status)} stopped before it finished reading.` : 'It was cancelled before a runner picked it up.',
        statusColor: 'warning',
      };
  }
}

/** The discovery card. */
export function discoveryCard(status: DiscoveryStatus): Card {
  return renderCard('discovery', discoveryCardData(status));
}
