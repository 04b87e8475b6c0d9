import { z } from 'zod';
import { Profile } from '../contracts/profiles';

/**
 * The provisioning request (the export format of `picbot request export`) and the validation rules of its fields.
 * Every rule lives here once; the intake cards and `picbot plan` parse through these schemas.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Why a DNS name is not acceptable, or null. Input is expected trimmed and lower-cased. */
export function dnsNameProblem(name: string): string | null {
  if (name.length === 0) return 'enter a name such as sip.contoso.com';
  if (name.includes('@')) return 'enter the domain name only, not an e-mail or SIP address';
  if (/^sips?:/.test(name)) return 'enter the name only, without "sip:"';
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(name)) return 'enter the name only, without a scheme such as https://';
  if (name.includes('/')) return 'enter the name only, without a path';
  if (name.includes('*')) return 'wildcards are not allowed: enter the exact name';
  if (IPV4.test(name) || name.includes(':')) return 'enter a DNS name, not an IP address or a port';
  if (name.length > 253) return 'a DNS name is at most 253 characters';
  if (/[^\x00-\x7f]/.test(name)) return 'use the ASCII (punycode, xn--…) form of international names';
  const labels = name.split('.');
  if (labels.length < 2) return 'a full name has at least two labels, such as contoso.com';
  for (const label of labels) {
    if (label.length === 0) return 'empty label (two dots in a row, or a leading dot)';
    if (label.length > 63) return `the label "${label.slice(0, 20)}…" is longer than 63 characters`;
    if (!LABEL.test(label)) {
      return label.startsWith('-') || label.endsWith('-')
        ? `the label "${label}" starts or ends with a hyphen`
        : `the label "${label}" may hold only letters, digits and hyphens`;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return 'the last label cannot be all digits';
  return null;
}

/** Trims, lower-cases and drops one trailing dot (the only normalisation we do). */
export function normalizeDnsName(raw: string): string {
  const t = raw.trim().toLowerCase();
  return t.endsWith('.') && !t.endsWith('..') ? t.slice(0, -1) : t;
}

export const DnsName = z
  .string()
  .max(1024)
  .transform(normalizeDnsName)
  .superRefine((name, ctx) => {
    const problem = dnsNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `fqdn` is `<one label>.<domain>`: the partner-discovery suffix rule (docs/lync-reference.md, DNS and certificate). */
export function isTopLevelSuffixMatch(fqdn: string, domain: string): boolean {
  if (!fqdn.endsWith(`.${domain}`)) return false;
  const head = fqdn.slice(0, -(domain.length + 1));
  return head.length > 0 && !head.includes('.');
}

export const AGREEMENT_TYPES = ['volume-licensing', 'mpn-partner-id', 'spla-enrollment', 'high-volume-enrollment'] as const;
export const AgreementType = z.enum(AGREEMENT_TYPES);
export const AGREEMENT_LABEL: Record<(typeof AGREEMENT_TYPES)[number], string> = {
  'volume-licensing': 'Microsoft Volume Licensing agreement number',
  'mpn-partner-id': 'Microsoft Partner Network headquarters partner ID',
  'spla-enrollment': 'SPLA initial enrollment number',
  'high-volume-enrollment': 'High Volume product enrollment number',
};

export const Target = z.object({
  label: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'a runner label is letters, digits, dot, underscore or hyphen'),
  profile: Profile,
}).strict();
export type Target = z.infer<typeof Target>;

export const Agreement = z.object({
  type: AgreementType,
  number: z.string().trim().min(1, 'enter the number').max(64, 'at most 64 characters')
    .regex(/^[A-Za-z0-9-]+$/, 'letters, digits and hyphens only'),
  productUseRightsAccepted: z.literal(true, { error: 'the Lync Server product use rights must be accepted' }),
}).strict();
export type Agreement = z.infer<typeof Agreement>;

export const AccessEdgeFqdns = z.array(DnsName).min(1, 'enter at least one Access Edge FQDN').max(10, 'at most 10 Access Edge FQDNs')
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [i], message: `${n} is listed twice` });
      seen.add(n);
    });
  });

export const SipDomains = z.array(DnsName).min(1, 'enter at least one SIP domain').max(50, 'at most 50 SIP domains')
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [i], message: `${n} is listed twice` });
      seen.add(n);
    });
  });

// The local part is a dot-atom (RFC 5322 §3.2.3): no leading, trailing or doubled dot.
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_HINT = 'enter an e-mail address such as admin@contoso.com';

/** Why an e-mail address is not acceptable, or null. Input is expected trimmed. */
export function emailProblem(address: string): string | null {
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@') || at === address.length - 1) return EMAIL_HINT;
  const local = address.slice(0, at);
  if (local.length > 64) return 'the part of the e-mail address before @ is at most 64 characters';
  if (!EMAIL_LOCAL.test(local)) {
    return /^\.|\.$|\.\./.test(local)
      ? 'the part of the e-mail address before @ cannot start or end with a dot or have two dots in a row'
      : EMAIL_HINT;
  }
  const domainProblem = dnsNameProblem(address.slice(at + 1).toLowerCase());
  return domainProblem ? `the domain of the e-mail address: ${domainProblem}` : null;
}

export const Email = z.string().trim().max(254).superRefine((address, ctx) => {
  const problem = emailProblem(address);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const PHONE_HINT = 'enter a phone number in international form, such as +14255550100';
// E.164: a number has at most 15 digits; fewer than 7 is not a reachable number anywhere.
export const Phone = z.string().trim().superRefine((phone, ctx) => {
  const digits = phone.replace(/\D/g, '').length;
  if (!/^\+[1-9][0-9 ()-]{6,20}$/.test(phone)) ctx.addIssue({ code: 'custom', message: PHONE_HINT });
  else if (digits < 7 || digits > 15) ctx.addIssue({ code: 'custom', message: `${PHONE_HINT}: 7 to 15 digits` });
});

export const Contacts = z.object({
  name: z.string().trim().min(1, 'enter a name').max(128),
  phone: Phone.nullable().optional().transform((p) => p ?? null),
  domainAdmins: z.record(z.string(), Email),
}).strict();
export type Contacts = z.infer<typeof Contacts>;

const SIP_USER = /^[a-z0-9_%+'-]+(?:\.[a-z0-9_%+'-]+)*$/;
const SIP_URI_HINT = 'enter a SIP URI such as sip:alice@contoso.com';

/** Why a user SIP URI is not acceptable, or null. Input is expected trimmed and lower-cased. */
export function sipUriProblem(uri: string): string | null {
  if (!uri.startsWith('sip:')) return SIP_URI_HINT;
  const address = uri.slice('sip:'.length);
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@') || at === address.length - 1) return SIP_URI_HINT;
  if (!SIP_USER.test(address.slice(0, at))) {
    return 'the user part before @ may hold letters, digits and _ % + \' - separated by single dots (no leading, trailing or double dot)';
  }
  const domainProblem = dnsNameProblem(address.slice(at + 1));
  return domainProblem ? `the domain after @: ${domainProblem}` : null;
}

export const SipUri = z.string().trim().toLowerCase().max(1024).superRefine((uri, ctx) => {
  const problem = sipUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The most users one per-user request may name. A plan then holds up to this many grant steps:
 * its card folds them into one row, the approval's plan hash covers every one of them, and the
 * runner reads them in batches.
 */
export const MAX_POLICY_USERS = 5000;

export const PolicyScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('global') }).strict(),
  z.object({ kind: z.literal('site'), site: z.string().trim().min(1, 'enter the site name').max(64).regex(/^[A-Za-z0-9 _.-]+$/, 'letters, digits, space, dot, underscore or hyphen') }).strict(),
  z.object({
    kind: z.literal('user'),
    policyName: z.string().trim().min(1, 'enter the policy name').max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, dot, underscore or hyphen'),
    users: z.array(SipUri).min(1, 'enter at least one user SIP URI').max(MAX_POLICY_USERS, `at most ${MAX_POLICY_USERS} users`),
  }).strict(),
]);
export type PolicyScope = z.infer<typeof PolicyScope>;

export const Options = z.object({
  policyScope: PolicyScope,
  /** true = make sure it is on; false = leave it as it is. */
  publicAudioVideo: z.boolean(),
  /** true = make sure it is on; false = leave it as it is (never "turn off"). */
  partnerDiscovery: z.boolean(),
  /** true/false = set it; null = leave it as it is. */
  disablePICPromptDisplayName: z.boolean().nullable(),
  /**
   * Whether to configure the Skype public provider and public IM in the policy, as well as
   * federation. Absent = true: a request saved or exported before this option keeps its meaning.
   * The intake card asks, and defaults new requests to false (Microsoft retired Skype consumer
   * interop on 5 May 2025).
   */
  skypeProvider: z.boolean().optional(),
  /**
   * Per-user scope: when the named policy exists and other users hold it too, change it anyway
   * (for them as well). Absent = false: the planner refuses instead.
   */
  changeForOtherHolders: z.boolean().optional(),
}).strict();
export type Options = z.infer<typeof Options>;

/** Whether the request includes the Skype public provider (absent = yes, today's meaning). */
export function includesSkype(options: Options): boolean {
  return options.skypeProvider !== false;
}

/** The whole request, with the cross-field rules. */
export const ProvisioningRequest = z.object({
  target: Target,
  agreement: Agreement,
  accessEdgeFqdns: AccessEdgeFqdns,
  sipDomains: SipDomains,
  contacts: Contacts,
  options: Options,
}).strict().superRefine((req, ctx) => {
  const edges = new Set(req.accessEdgeFqdns);
  req.sipDomains.forEach((d, i) => {
    if (edges.has(d)) ctx.addIssue({ code: 'custom', path: ['sipDomains', i], message: `${d} is an Access Edge FQDN; enter the SIP domain suffix (e.g. contoso.com)` });
    if (!req.contacts.domainAdmins[d]) ctx.addIssue({ code: 'custom', path: ['contacts', 'domainAdmins', d], message: `enter an administrator e-mail for ${d}` });
  });
  for (const k of Object.keys(req.contacts.domainAdmins)) {
    if (!req.sipDomains.includes(k)) ctx.addIssue({ code: 'custom', path: ['contacts', 'domainAdmins', k], message: `${k} is not one of the SIP domains` });
  }
});
export type ProvisioningRequest = z.infer<typeof ProvisioningRequest>;

/** Warnings (not refusals): SIP domains for which no Access Edge FQDN is `<one label>.<domain>`. */
export function suffixRuleWarnings(accessEdgeFqdns: string[], sipDomains: string[]): string[] {
  return sipDomains
    .filter((d) => !accessEdgeFqdns.some((f) => isTopLevelSuffixMatch(f, d)))
    .map((d) => `No Access Edge FQDN is a top-level name of ${d}, such as sip.${d}: partner discovery and Skype federation need the _sipfederationtls SRV record of ${d} to point at one.`);
}
