import { PROFILES, type Profile } from '../contracts/profiles';
import {
  addError, readCardFields, requestIdProblem, splitList, type CardSpec, type FieldErrors, type Fields,
} from './card-fields';
import type { IntakeData, IntakeStep } from './intake';
import {
  AGREEMENT_LABEL, AGREEMENT_TYPES, dnsNameProblem, Email, MAX_POLICY_USERS, normalizeDnsName, Phone, SipUri,
  type Agreement, type Contacts, type Options, type PolicyScope, type Target,
} from './request';

/**
 * Each intake card's raw Action.Execute data → the part of the request it fills, with a message
 * per bad field (the card is shown again with the typed values kept) or a refusal when the data
 * is not what the card sends. Pure: the cross-field context (the other parts) is passed in.
 */

/** The target card's extra choice: ends the intake (no Management Shell / no PIC support). */
export const LEGACY_PROFILE = 'ocs2007r2-or-older';
export const MAX_EDGE_FQDNS = 10;
export const MAX_SIP_DOMAINS = 50;
export { MAX_POLICY_USERS };
/**
 * The options card's users list may be long: MAX_POLICY_USERS SIP URIs of 40 characters, one per
 * line (cards/intake-options.json gives the input the same maxLength). The whole activity still
 * has to fit the 256 KiB body limit of /api/messages.
 */
export const MAX_USERS_TEXT_BYTES = 200_000;

export type StepOutcome<T> =
  | { kind: 'refused'; reason: string }
  | { kind: 'invalid'; draftId: string | null; values: Fields; errors: FieldErrors; notice?: string }
  | { kind: 'accepted'; draftId: string | null; values: Fields; part: T };

export type TargetOutcome = StepOutcome<Target> | { kind: 'legacy'; draftId: string | null; values: Fields };

/** Input ids of each card (the templates in cards/ use exactly these). */
export const EDGE_INPUTS = Array.from({ length: MAX_EDGE_FQDNS }, (_, i) => `edge_${i}`);
export const CARD_INPUTS = {
  target: ['label', 'profile'],
  agreement: ['agreementType', 'agreementNumber', 'productUseRights'],
  edge: EDGE_INPUTS,
  domains: ['domains'],
  contacts: ['name', 'phone'],
  options: ['scope', 'site', 'policyName', 'users', 'changeForOtherHolders', 'skype', 'publicAudioVideo', 'partnerDiscovery', 'disablePICPromptDisplayName'],
} as const satisfies Record<IntakeStep, readonly string[]>;

/** The contacts card has one e-mail input per SIP domain, named `admin:<domain>`. */
export const adminInput = (domain: string): string => `admin:${domain}`;
const ADMIN_INPUT = /^admin:/;

function read(raw: unknown, step: IntakeStep, draftRequired: boolean, extra: Partial<CardSpec> = {}) {
  const spec: CardSpec = {
    hidden: draftRequired ? ['draftId'] : [],
    optionalHidden: draftRequired ? [] : ['draftId'],
    inputs: CARD_INPUTS[step],
    ...extra,
  };
  const r = readCardFields(raw, spec);
  if (!r.ok) return r;
  // The first target card has no draft yet: its hidden draftId may be absent or empty.
  const draftId = r.fields.draftId === undefined || (!draftRequired && r.fields.draftId === '') ? null : r.fields.draftId;
  if (draftId !== null) {
    const problem = requestIdProblem(draftId);
    if (problem) return { ok: false as const, reason: problem };
  }
  const values: Fields = {};
  for (const [k, v] of Object.entries(r.fields)) if (k !== 'draftId') values[k] = v;
  return { ok: true as const, draftId, values };
}

function done<T>(draftId: string | null, values: Fields, errors: FieldErrors, part: () => T, notice?: string): StepOutcome<T> {
  if (Object.keys(errors).length > 0 || notice) return { kind: 'invalid', draftId, values, errors, ...(notice ? { notice } : {}) };
  return { kind: 'accepted', draftId, values, part: part() };
}

const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Target card: runner label and product profile (or the legacy choice, which ends the intake). */
export function parseTargetCard(raw: unknown): TargetOutcome {
  const r = read(raw, 'target', false);
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  if (values.profile === LEGACY_PROFILE) return { kind: 'legacy', draftId, values };
  const errors: FieldErrors = {};
  const label = values.label.trim();
  if (label === '') addError(errors, 'label', 'enter the runner label of this deployment, such as pool-eu');
  else if (label.length > 63) addError(errors, 'label', 'a runner label is at most 63 characters');
  else if (!RUNNER_LABEL.test(label)) addError(errors, 'label', 'a runner label is letters, digits, dot, underscore or hyphen, starting with a letter or digit');
  const profile = values.profile;
  if (profile === '') addError(errors, 'profile', 'choose the product this deployment runs');
  else if (!(PROFILES as readonly string[]).includes(profile)) addError(errors, 'profile', 'choose one of the listed products');
  return done(draftId, values, errors, () => ({ label, profile: profile as Profile }));
}

/** Agreement card: type, number, product use rights. */
export function parseAgreementCard(raw: unknown): StepOutcome<Agreement> {
  const r = read(raw, 'agreement', true);
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  const errors: FieldErrors = {};
  const type = values.agreementType;
  const known = (AGREEMENT_TYPES as readonly string[]).includes(type);
  if (type === '') addError(errors, 'agreementType', 'choose the agreement type');
  else if (!known) addError(errors, 'agreementType', 'choose one of the four agreement types');
  const number = values.agreementNumber.trim();
  const what = known ? AGREEMENT_LABEL[type as Agreement['type']] : 'agreement number';
  if (number === '') addError(errors, 'agreementNumber', `enter the ${what}`);
  else if (number.length > 64) addError(errors, 'agreementNumber', 'at most 64 characters');
  else if (!/^[A-Za-z0-9-]+$/.test(number)) addError(errors, 'agreementNumber', 'letters, digits and hyphens only');
  if (values.productUseRights !== 'true') {
    addError(errors, 'productUseRights', 'the Lync Server product use rights must be accepted to go on');
  }
  return done(draftId, values, errors, () => ({ type: type as Agreement['type'], number, productUseRightsAccepted: true as const }));
}

/** Access Edge card: the Access Edge service FQDN (edge_0) and up to nine more. */
export function parseEdgeCard(raw: unknown, ctx: { sipDomains?: string[] }): StepOutcome<string[]> {
  const r = read(raw, 'edge', true);
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  const errors: FieldErrors = {};
  const names: string[] = [];
  const seen = new Map<string, number>();
  EDGE_INPUTS.forEach((field, i) => {
    if (values[field].trim() === '') {
      if (i === 0) addError(errors, field, 'enter the Access Edge service FQDN, such as sip.contoso.com');
      return;
    }
    const name = normalizeDnsName(values[field]);
    const problem = dnsNameProblem(name);
    if (problem) return addError(errors, field, problem);
    if (seen.has(name)) return addError(errors, field, `${name} is already listed above`);
    if (ctx.sipDomains?.includes(name)) {
      return addError(errors, field, `${name} is one of your SIP domains; an Access Edge FQDN names the Edge server, such as sip.${name}`);
    }
    seen.set(name, i);
    names.push(name);
  });
  return done(draftId, values, errors, () => names);
}

/** SIP domains card: one or more domain suffixes, one per line. */
export function parseDomainsCard(raw: unknown, ctx: { accessEdgeFqdns?: string[] }): StepOutcome<string[]> {
  const r = read(raw, 'domains', true);
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  const errors: FieldErrors = {};
  const entries = splitList(values.domains);
  const domains: string[] = [];
  if (entries.length === 0) addError(errors, 'domains', 'enter at least one SIP domain, such as contoso.com');
  if (entries.length > MAX_SIP_DOMAINS) addError(errors, 'domains', `at most ${MAX_SIP_DOMAINS} SIP domains`);
  for (const entry of entries.slice(0, MAX_SIP_DOMAINS)) {
    const name = normalizeDnsName(entry);
    const problem = dnsNameProblem(name);
    if (problem) addError(errors, 'domains', `${quote(entry)}: ${problem}`);
    else if (domains.includes(name)) addError(errors, 'domains', `${name} is listed twice`);
    else if (ctx.accessEdgeFqdns?.includes(name)) {
      addError(errors, 'domains', `${name} is an Access Edge FQDN; enter the SIP domain suffix (for sip.contoso.com, contoso.com)`);
    } else domains.push(name);
  }
  return done(draftId, values, errors, () => domains);
}

/** Contacts card: name, optional phone, one administrator e-mail per SIP domain. */
export function parseContactsCard(raw: unknown, ctx: { sipDomains: string[] }): StepOutcome<Contacts> {
  const r = read(raw, 'contacts', true, { inputPattern: ADMIN_INPUT, maxPatterned: MAX_SIP_DOMAINS });
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  const errors: FieldErrors = {};
  const name = values.name.trim();
  if (name === '') addError(errors, 'name', 'enter the name of the contact person');
  else if (name.length > 128) addError(errors, 'name', 'at most 128 characters');
  let phone: string | null = null;
  if (values.phone.trim() !== '') {
    const p = Phone.safeParse(values.phone);
    if (p.success) phone = p.data;
    else addError(errors, 'phone', firstMessage(p.error));
  }
  const domainAdmins: Record<string, string> = {};
  for (const domain of ctx.sipDomains) {
    const field = adminInput(domain);
    const typed = (values[field] ??= '');
    if (typed.trim() === '') {
      addError(errors, field, `enter the e-mail of the administrator of ${domain}`);
      continue;
    }
    const e = Email.safeParse(typed);
    if (e.success) domainAdmins[domain] = e.data;
    else addError(errors, field, firstMessage(e.error));
  }
  // A card drawn for other SIP domains (they changed in another message): show the current ones.
  const stale = Object.keys(values).filter((k) => ADMIN_INPUT.test(k) && !ctx.sipDomains.includes(k.slice('admin:'.length)));
  const notice = stale.length > 0
    ? `The SIP domains changed since this card was shown; they are now ${ctx.sipDomains.join(', ')}. Check the e-mails and send again.`
    : undefined;
  for (const k of stale) delete values[k];
  return done(draftId, values, errors, () => ({ name, phone, domainAdmins }), notice);
}

/** The client-policy choice of the options card. */
export const DISABLE_PIC_PROMPT_CHOICES = { leave: null, 'set-true': true, 'set-false': false } as const;

/** The Skype choice of the options card: federation only, or the retired Skype provider too. */
export const SKYPE_CHOICES = { federation: false, 'federation-skype': true } as const;

/** Options card: policy scope, Skype provider, public A/V, partner discovery, DisablePICPromptDisplayName. */
export function parseOptionsCard(raw: unknown): StepOutcome<Options> {
  const r = read(raw, 'options', true, { maxBytes: { users: MAX_USERS_TEXT_BYTES } });
  if (!r.ok) return { kind: 'refused', reason: r.reason };
  const { draftId, values } = r;
  const errors: FieldErrors = {};
  let scope: PolicyScope | null = null;
  switch (values.scope) {
    case 'global':
      scope = { kind: 'global' };
      break;
    case 'site': {
      const site = values.site.trim().replace(/^site:/i, '');
      if (site === '') addError(errors, 'site', 'enter the site name');
      else if (site.length > 64) addError(errors, 'site', 'at most 64 characters');
      else if (!/^[A-Za-z0-9 _.-]+$/.test(site)) addError(errors, 'site', 'letters, digits, space, dot, underscore or hyphen');
      else scope = { kind: 'site', site };
      break;
    }
    case 'user': {
      const policyName = values.policyName.trim().replace(/^tag:/i, '');
      if (policyName === '') addError(errors, 'policyName', 'enter the name of the per-user policy, such as EnablePublicUsers');
      else if (policyName.length > 64) addError(errors, 'policyName', 'at most 64 characters');
      else if (!/^[A-Za-z0-9_.-]+$/.test(policyName)) addError(errors, 'policyName', 'letters, digits, dot, underscore or hyphen');
      const users = parseUsers(values.users, errors);
      if (!errors.policyName && !errors.users) scope = { kind: 'user', policyName, users };
      break;
    }
    case '':
      addError(errors, 'scope', 'choose where public access is granted');
      break;
    default:
      addError(errors, 'scope', 'choose global, a site or a per-user policy');
  }
  const changeForOtherHolders = toggle(values, 'changeForOtherHolders', errors);
  // A card drawn before the choice existed sends nothing: federation only, the default of new requests.
  const skype = values.skype === '' ? 'federation' : values.skype;
  if (!(skype in SKYPE_CHOICES)) addError(errors, 'skype', 'choose federation only, or federation and the Skype public provider');
  const publicAudioVideo = toggle(values, 'publicAudioVideo', errors);
  const partnerDiscovery = toggle(values, 'partnerDiscovery', errors);
  const choice = values.disablePICPromptDisplayName === '' ? 'leave' : values.disablePICPromptDisplayName;
  if (!(choice in DISABLE_PIC_PROMPT_CHOICES)) addError(errors, 'disablePICPromptDisplayName', 'choose leave, set to true or set to false');
  return done(draftId, values, errors, () => ({
    policyScope: scope as PolicyScope,
    publicAudioVideo,
    partnerDiscovery,
    disablePICPromptDisplayName: DISABLE_PIC_PROMPT_CHOICES[choice as keyof typeof DISABLE_PIC_PROMPT_CHOICES],
    skypeProvider: SKYPE_CHOICES[skype as keyof typeof SKYPE_CHOICES],
    // Only a ticked box is recorded, and only where it means something (a per-user policy).
    ...(changeForOtherHolders && scope?.kind === 'user' ? { changeForOtherHolders: true } : {}),
  }));
}

function parseUsers(text: string, errors: FieldErrors): string[] {
  const entries = splitList(text);
  if (entries.length === 0) addError(errors, 'users', 'enter at least one user SIP URI, such as sip:alice@contoso.com');
  if (entries.length > MAX_POLICY_USERS) addError(errors, 'users', `at most ${MAX_POLICY_USERS} users`);
  const users: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries.slice(0, MAX_POLICY_USERS)) {
    // A bare address is taken as its SIP URI; anything else must already be sip:user@domain.
    const candidate = /^[^:]+@/.test(entry) ? `sip:${entry}` : entry;
    const u = SipUri.safeParse(candidate);
    if (!u.success) addError(errors, 'users', `${quote(entry)}: ${firstMessage(u.error)}`);
    else if (seen.has(u.data)) addError(errors, 'users', `${u.data} is listed twice`);
    else {
      seen.add(u.data);
      users.push(u.data);
    }
  }
  return users;
}

function toggle(values: Fields, field: string, errors: FieldErrors): boolean {
  const v = values[field];
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  addError(errors, field, 'tick or clear the box');
  return false;
}

function firstMessage(error: { issues: { message: string }[] }): string {
  return error.issues[0]?.message ?? 'not valid';
}

function quote(entry: string): string {
  const shown = entry.length > 60 ? `${entry.slice(0, 60)}…` : entry;
  return `“${shown}”`;
}

/**
 * The card values that show an accepted part again (for "Edit" and "Resume"): the inverse of the
 * parsers above, so parsing these values gives the same part back.
 */
export function stepValues(step: IntakeStep, data: IntakeData): Fields {
  switch (step) {
    case 'target':
      return { label: data.target?.label ?? '', profile: data.target?.profile ?? '' };
    case 'agreement':
      return {
        agreementType: data.agreement?.type ?? '',
        agreementNumber: data.agreement?.number ?? '',
        productUseRights: data.agreement ? 'true' : 'false',
      };
    case 'edge':
      return Object.fromEntries(EDGE_INPUTS.map((f, i) => [f, data.accessEdgeFqdns?.[i] ?? '']));
    case 'domains':
      return { domains: (data.sipDomains ?? []).join('\n') };
    case 'contacts': {
      const admins = data.contacts?.domainAdmins ?? {};
      const values: Fields = { name: data.contacts?.name ?? '', phone: data.contacts?.phone ?? '' };
      for (const d of data.sipDomains ?? []) values[adminInput(d)] = admins[d] ?? '';
      return values;
    }
    case 'options': {
      const o = data.options;
      const s = o?.policyScope;
      const choice = o === undefined || o.disablePICPromptDisplayName === null ? 'leave'
        : o.disablePICPromptDisplayName ? 'set-true' : 'set-false';
      return {
        scope: s?.kind ?? 'global',
        site: s?.kind === 'site' ? s.site : '',
        policyName: s?.kind === 'user' ? s.policyName : '',
        users: s?.kind === 'user' ? s.users.join('\n') : '',
        changeForOtherHolders: String(o?.changeForOtherHolders ?? false),
        // New requests default to federation only; options saved without the choice keep the Skype provider.
        skype: o === undefined || o.skypeProvider === false ? 'federation' : 'federation-skype',
        publicAudioVideo: String(o?.publicAudioVideo ?? false),
        // Partner discovery is what federation rests on now, so a fresh card suggests it.
        partnerDiscovery: String(o?.partnerDiscovery ?? true),
        disablePICPromptDisplayName: choice,
      };
    }
  }
}
