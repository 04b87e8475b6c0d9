import { z } from 'zod';
import {
  AccessEdgeFqdns, Agreement, Contacts, Options, ProvisioningRequest, SipDomains, Target,
} from './request';

/**
 * The intake: six cards, each filling one part of the provisioning request, then a
 * review. What has been accepted so far is an `IntakeData`; `nextStep` says which card comes next.
 */

export const INTAKE_STEPS = ['target', 'agreement', 'edge', 'domains', 'contacts', 'options'] as const;
export const IntakeStep = z.enum(INTAKE_STEPS);
export type IntakeStep = z.infer<typeof IntakeStep>;

/** Where an intake stands: one of the six cards, or the review. */
export const IntakePosition = z.enum([...INTAKE_STEPS, 'review']);
export type IntakePosition = z.infer<typeof IntakePosition>;

export const STEP_TITLE: Record<IntakeStep, string> = {
  target: 'Target deployment',
  agreement: 'Microsoft agreement',
  edge: 'Access Edge FQDNs',
  domains: 'SIP domains',
  contacts: 'Contact information',
  options: 'Options',
};

/** The accepted parts so far (also how a draft is stored: rows read back are parsed with it). */
export const IntakeData = z.object({
  target: Target.optional(),
  agreement: Agreement.optional(),
  accessEdgeFqdns: AccessEdgeFqdns.optional(),
  sipDomains: SipDomains.optional(),
  contacts: Contacts.optional(),
  options: Options.optional(),
}).strict();
export type IntakeData = z.infer<typeof IntakeData>;

/** The part of IntakeData each step fills. */
export const STEP_PART = {
  target: 'target',
  agreement: 'agreement',
  edge: 'accessEdgeFqdns',
  domains: 'sipDomains',
  contacts: 'contacts',
  options: 'options',
} as const satisfies Record<IntakeStep, keyof IntakeData>;

/** True when the contacts name exactly one administrator e-mail per SIP domain. */
function contactsCoverDomains(data: IntakeData): boolean {
  if (!data.contacts || !data.sipDomains) return false;
  const keys = Object.keys(data.contacts.domainAdmins);
  return keys.length === data.sipDomains.length && data.sipDomains.every((d) => keys.includes(d));
}

/**
 * The first card still to fill, or 'review'. Contacts count as missing while they do not match the
 * SIP domains (a domain was added or removed after the contacts were given).
 */
export function nextStep(data: IntakeData): IntakePosition {
  for (const step of INTAKE_STEPS) {
    if (data[STEP_PART[step]] === undefined) return step;
    if (step === 'contacts' && !contactsCoverDomains(data)) return 'contacts';
  }
  return 'review';
}

/** The whole request when every part is there and the cross-field rules hold; else null. */
export function completeRequest(data: IntakeData): ProvisioningRequest | null {
  if (nextStep(data) !== 'review') return null;
  const parsed = ProvisioningRequest.safeParse(data);
  return parsed.success ? parsed.data : null;
}

