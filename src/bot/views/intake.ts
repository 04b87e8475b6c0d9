/**
 * The intake cards (six steps and the review): intake state → template data → card JSON.
 * A step card shows the typed values and the messages under each bad field when a submit was
 * invalid, and the accepted part otherwise.
 */
import type { FieldErrors, Fields } from '../../core/card-fields';
import { INTAKE_STEPS, nextStep, STEP_TITLE, type IntakeData, type IntakePosition, type IntakeStep } from '../../core/intake';
import { adminInput, CARD_INPUTS, EDGE_INPUTS, LEGACY_PROFILE, stepValues } from '../../core/intake-cards';
import { AGREEMENT_LABEL, AGREEMENT_TYPES, includesSkype, suffixRuleWarnings, type Options, type ProvisioningRequest } from '../../core/request';
import { SKYPE_RETIRED_SHORT } from '../../contracts/skype-provider';
import { PROFILE_LABEL, PROFILES } from '../../contracts/profiles';
import type { Card } from '../turn';
import { renderCard } from './render';

export interface StepCardInput {
  step: IntakeStep;
  /** null only for the first target card, before a draft exists. */
  draftId: string | null;
  /** The accepted parts (context for the card: the SIP domains of the contacts card, …). */
  data: IntakeData;
  /** Typed values of an invalid submit; default: the accepted part. */
  values?: Fields;
  errors?: FieldErrors;
  notice?: string;
}

/** "step 3 of 6 (Access Edge FQDNs)" or "the review". */
export function positionText(position: IntakePosition): string {
  if (position === 'review') return 'at the review';
  return `at step ${INTAKE_STEPS.indexOf(position) + 1} of ${INTAKE_STEPS.length} (${STEP_TITLE[position]})`;
}

function heading(step: IntakeStep, data: IntakeData, editing: boolean, draftId: string | null): string {
  const label = data.target?.label;
  const where = editing ? `editing ${draftId ?? 'the provisioning request'} · ${STEP_TITLE[step]}`
    : `new provisioning request · step ${INTAKE_STEPS.indexOf(step) + 1} of ${INTAKE_STEPS.length}`;
  return label ? `${label} · ${where}` : where.charAt(0).toUpperCase() + where.slice(1);
}

const errorsFor = (fields: readonly string[], errors: FieldErrors) =>
  Object.fromEntries(fields.map((f) => [f, errors[f] ?? []]));

/** The template data of a step card (exported for tests and the card gallery). */
export function stepCardData(input: StepCardInput): Record<string, unknown> {
  const { step, data } = input;
  const values = { ...stepValues(step, data), ...(input.values ?? {}) };
  const errors = input.errors ?? {};
  // Editing a finished intake: every part is there, so the submit goes back to the review.
  const editing = nextStep(data) === 'review';
  const base = {
    heading: heading(step, data, editing, input.draftId),
    draftId: input.draftId ?? '',
    // An edit opened from the review offers Cancel (back to the review); a new intake, Back.
    editing,
    notice: input.notice ?? '',
    submitTitle: editing ? 'Save and review' : step === 'options' ? 'Review' : 'Next',
    values,
    err: errorsFor(CARD_INPUTS[step], errors),
  };
  switch (step) {
    case 'target':
      return {
        ...base,
        profiles: [
          ...PROFILES.map((p) => ({ title: PROFILE_LABEL[p], value: p })),
          { title: 'OCS 2007 R2 or older', value: LEGACY_PROFILE },
        ],
      };
    case 'agreement':
      return { ...base, agreementTypes: AGREEMENT_TYPES.map((t) => ({ title: AGREEMENT_LABEL[t], value: t })) };
    case 'edge': {
      const more = EDGE_INPUTS.slice(1).map((id, i) => ({ id, n: i + 1, value: values[id] ?? '', errors: errors[id] ?? [] }));
      return { ...base, moreCount: more.length, showMore: more.some((m) => m.value !== '' || m.errors.length > 0), more };
    }
    case 'domains':
      return { ...base, edges: data.accessEdgeFqdns?.join(', ') ?? 'none yet' };
    case 'contacts': {
      const admins = (data.sipDomains ?? []).map((domain) => {
        const id = adminInput(domain);
        return { id, domain, value: values[id] ?? '', errors: errors[id] ?? [] };
      });
      return { ...base, admins };
    }
    case 'options':
      // The site and per-user fields show when their scope is chosen (or holds a message); the
      // buttons above them toggle them for a client that does not re-render on a choice.
      return {
        ...base,
        showSite: values.scope === 'site' || (errors.site ?? []).length > 0,
        showUser: values.scope === 'user' || ['policyName', 'users'].some((f) => (errors[f] ?? []).length > 0),
      };
  }
}

/** One of the six intake cards. */
export function stepCard(input: StepCardInput): Card {
  return renderCard(`intake-${input.step}`, stepCardData(input));
}

const onOrLeave = (on: boolean) => (on ? 'make sure it is on' : 'leave it as it is');

// A request may name thousands of users and Teams refuses cards over 28 KB: the review lists the
// first ones (the export and the plan's script have all of them).
const LISTED_USERS = 20;
const listed = (users: string[]) =>
  users.length <= LISTED_USERS ? users.join(', ') : `${users.slice(0, LISTED_USERS).join(', ')} and ${users.length - LISTED_USERS} more (Export JSON lists all)`;

function scopeText(scope: Options['policyScope']): string {
  switch (scope.kind) {
    case 'global':
      return 'global (every user)';
    case 'site':
      return `site:${scope.site}`;
    case 'user':
      return `per-user policy ${scope.policyName}, granted to ${scope.users.length === 1 ? '1 user' : `${scope.users.length} users`}: ${listed(scope.users)}`;
  }
}

/** The facts of each section of a complete request, in intake order. */
export function reviewSections(req: ProvisioningRequest): { step: IntakeStep; title: string; facts: { title: string; value: string }[] }[] {
  const [first, ...more] = req.accessEdgeFqdns;
  const facts: Record<IntakeStep, { title: string; value: string }[]> = {
    target: [
      { title: 'Runner label', value: req.target.label },
      { title: 'Product', value: PROFILE_LABEL[req.target.profile] },
    ],
    agreement: [
      { title: AGREEMENT_LABEL[req.agreement.type], value: req.agreement.number },
      { title: 'Product use rights', value: 'accepted' },
    ],
    edge: [
      { title: 'Access Edge service FQDN', value: first },
      { title: 'Additional', value: more.length > 0 ? more.join(', ') : 'none' },
    ],
    domains: [{ title: 'SIP domains', value: req.sipDomains.join(', ') }],
    contacts: [
      { title: 'Name', value: req.contacts.name },
      { title: 'Phone', value: req.contacts.phone ?? 'none given' },
      ...req.sipDomains.map((d) => ({ title: d, value: req.contacts.domainAdmins[d] })),
    ],
    options: [
      { title: 'External access policy', value: scopeText(req.options.policyScope) },
      ...(req.options.policyScope.kind === 'user'
        ? [{ title: 'If other users hold the policy', value: req.options.changeForOtherHolders ? 'change it for them too' : 'stop and ask (the plan is refused)' }]
        : []),
      { title: 'What to configure', value: includesSkype(req.options) ? `federation and the Skype public provider (${SKYPE_RETIRED_SHORT})` : 'federation only' },
      { title: 'Public-provider audio/video', value: onOrLeave(req.options.publicAudioVideo) },
      { title: 'Partner discovery', value: onOrLeave(req.options.partnerDiscovery) },
      {
        // A title with spaces: a fact title is a narrow column, and one long word breaks mid-word.
        title: 'PIC prompt name',
        value: `${req.options.disablePICPromptDisplayName === null ? 'leave it as it is' : `set it to ${req.options.disablePICPromptDisplayName ? 'True' : 'False'}`} · client policy DisablePICPromptDisplayName`,
      },
    ],
  };
  return INTAKE_STEPS.map((step) => ({ step, title: STEP_TITLE[step], facts: facts[step] }));
}

export interface ReviewCardInput {
  draftId: string;
  request: ProvisioningRequest;
  notice?: string;
  /**
   * The extension point of later areas: which "Next steps" actions to show (preflight, discovery,
   * approval, …). Each flag names an Action.Execute inside the `next-steps` container of
   * cards/review.json, guarded there by `"$when": "${next.<flag>}"`.
   */
  next?: Record<string, boolean>;
}

/** The template data of the review card. */
export function reviewCardData(input: ReviewCardInput): Record<string, unknown> {
  const next = input.next ?? {};
  return {
    heading: `${input.request.target.label} · ${input.draftId}`,
    draftId: input.draftId,
    notice: input.notice ?? '',
    sections: reviewSections(input.request),
    warnings: suffixRuleWarnings(input.request.accessEdgeFqdns, input.request.sipDomains),
    hasNext: Object.values(next).some(Boolean),
    next,
  };
}

/** The review card: every section with "Edit", the suffix-rule warnings, Finish and Export. */
export function reviewCard(input: ReviewCardInput): Card {
  return renderCard('review', reviewCardData(input));
}
