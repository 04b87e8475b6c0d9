import { z } from 'zod';
import type { ProvisioningRequest } from './request';

/**
 * The provisioning request record: the seed document's five data items, a status
 * (draft → submitted on a date the admin enters → active), and the days elapsed against the
 * documented "up to 30 days". Pure: "today" is passed in.
 */

export const REQUEST_STATUSES = ['draft', 'submitted', 'active'] as const;
export const RequestStatus = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof RequestStatus>;

/** "Provisioning can take up to thirty days" (docs/lync-reference.md, Provisioning request). */
export const PROVISIONING_DAYS = 30;

export interface RecordStatus {
  status: RequestStatus;
  /** YYYY-MM-DD, set from `submitted` on. */
  submittedOn: string | null;
  /** YYYY-MM-DD, set when active. */
  activeOn: string | null;
}

/** What changed since the seed document was written, said plainly on every record. */
export const WHAT_CHANGED: readonly string[] = [
  'The provisioning site (pic.lync.com) was retired in 2019: nothing can be submitted there any more. ' +
    'Federation now rests on partner discovery: a _sipfederationtls._tcp DNS SRV record for each SIP domain, ' +
    'pointing at an Access Edge FQDN on port 5061, and that FQDN named in the Edge certificate.',
  'The Skype consumer service was retired in May 2025, so the Skype public provider may reach nobody even when ' +
    'it is configured correctly. Federation with other organisations is unaffected.',
  'This record stays as the audit trail, and as the package to hand to Microsoft support if asked.',
];

/** Whole days from one calendar date to another (UTC). */
export function daysBetween(from: string, to: string): number {
  const ms = Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`);
  return Math.floor(ms / 86_400_000);
}

/** The calendar date (UTC) of an instant. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Days elapsed since submission (to today, or to the day it became active), and a sentence. */
export function provisioningProgress(rec: RecordStatus, today: string): { days: number | null; text: string } {
  if (rec.status === 'draft' || rec.submittedOn === null) {
    return { days: null, text: `Not submitted yet. Provisioning used to take up to ${PROVISIONING_DAYS} days from submission.` };
  }
  if (rec.status === 'active') {
    const days = rec.activeOn ? daysBetween(rec.submittedOn, rec.activeOn) : null;
    return { days, text: days === null ? 'Active.' : `Active on ${rec.activeOn}, ${plural(days)} after submission (up to ${PROVISIONING_DAYS} days documented).` };
  }
  const days = daysBetween(rec.submittedOn, today);
  const text = days <= PROVISIONING_DAYS
    ? `${plural(days)} elapsed of up to ${PROVISIONING_DAYS} days since submission on ${rec.submittedOn}.`
    : `${plural(days)} elapsed since submission on ${rec.submittedOn}: past the documented ${PROVISIONING_DAYS} days.`;
  return { days, text };
}

function plural(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}

/** The seed document's five data items, in its order, as label/value pairs. */
export function fiveDataItems(req: ProvisioningRequest, agreementLabel: string): { title: string; value: string }[] {
  const [first, ...more] = req.accessEdgeFqdns;
  const admins = req.sipDomains.map((d) => `${d}: ${req.contacts.domainAdmins[d]}`).join('; ');
  return [
    { title: '1. Microsoft agreement', value: `${agreementLabel}: ${req.agreement.number}` },
    { title: '2. Access Edge service FQDN', value: first },
    { title: '3. SIP domains', value: req.sipDomains.join(', ') },
    { title: '4. Additional Access Edge FQDNs', value: more.length > 0 ? more.join(', ') : 'none' },
    { title: '5. Contact information', value: `${req.contacts.name}${req.contacts.phone ? `, ${req.contacts.phone}` : ''}; ${admins}` },
  ];
}

/**
 * The request in exactly the export shape of `picbot request export` (key order included), which
 * `picbot plan` accepts.
 */
export function exportShape(req: ProvisioningRequest): ProvisioningRequest {
  const s = req.options.policyScope;
  const policyScope = s.kind === 'global' ? { kind: s.kind }
    : s.kind === 'site' ? { kind: s.kind, site: s.site }
      : { kind: s.kind, policyName: s.policyName, users: [...s.users] };
  return {
    target: { label: req.target.label, profile: req.target.profile },
    agreement: { type: req.agreement.type, number: req.agreement.number, productUseRightsAccepted: req.agreement.productUseRightsAccepted },
    accessEdgeFqdns: [...req.accessEdgeFqdns],
    sipDomains: [...req.sipDomains],
    contacts: {
      name: req.contacts.name,
      phone: req.contacts.phone ?? null,
      domainAdmins: Object.fromEntries(req.sipDomains.map((d) => [d, req.contacts.domainAdmins[d]])),
    },
    options: {
      policyScope,
      publicAudioVideo: req.options.publicAudioVideo,
      partnerDiscovery: req.options.partnerDiscovery,
      disablePICPromptDisplayName: req.options.disablePICPromptDisplayName,
      // Written only when set, so a request made before these options exports exactly as it did.
      ...(req.options.skypeProvider !== undefined ? { skypeProvider: req.options.skypeProvider } : {}),
      ...(req.options.changeForOtherHolders !== undefined ? { changeForOtherHolders: req.options.changeForOtherHolders } : {}),
    },
  };
}
