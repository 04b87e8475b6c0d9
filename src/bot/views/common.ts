/** Help, welcome, whoami, refusal, "ended" and resume-or-discard cards. */
import { legacyProductRefusal } from '../../core/planner';
import { PROFILE_LABEL } from '../../contracts/profiles';
import { cleanForLog } from '../../shared/logger';
import type { Actor, Card } from '../turn';
import type { IntakeDraft } from '../workflows/ports';
import { positionText } from './intake';
import { when } from './request';
import { renderCard } from './render';

/** One line of the help card. Later areas append theirs to the list they pass in. */
export interface CommandHelp {
  name: string;
  text: string;
}

export const INTAKE_COMMANDS: readonly CommandHelp[] = [
  { name: 'start', text: 'start a provisioning request for a Lync deployment (admins)' },
  { name: 'resume', text: 'bring back your unfinished intake where you left it' },
  { name: 'status [id]', text: 'the provisioning request records, or one of them' },
  { name: 'whoami', text: 'your Entra object id and Teams user id, for PICBOT_ADMINS / PICBOT_APPROVERS' },
  { name: 'help', text: 'this card' },
];

/** The help card; `heard` is the unknown text that brought it (shown, cleaned and cut short). */
export function helpCard(commands: readonly CommandHelp[], heard = ''): Card {
  return renderCard('help', { heard: cleanForLog(heard.trim(), 60), commands: [...commands] });
}

/** The card the bot posts when it is added to a conversation. */
export function welcomeCard(): Card {
  return renderCard('welcome', {});
}

/**
 * The caller's ids and roles, and this conversation's id: what PICBOT_ADMINS / PICBOT_APPROVERS
 * and PICBOT_APPROVALS_CONVERSATION take. In a channel Teams gives `19:…@thread.tacv2;messageid=…`;
 * the part before `;messageid=` names the channel itself.
 */
export function whoamiCard(actor: Actor, roles: { admin: boolean; approver: boolean }, conversationId: string): Card {
  return renderCard('whoami', {
    name: actor.name,
    aadObjectId: actor.aadObjectId ?? 'not given by Teams',
    teamsUserId: actor.teamsUserId,
    admin: roles.admin ? 'yes' : 'no',
    approver: roles.approver ? 'yes' : 'no',
    conversationId: conversationId.split(';messageid=')[0],
  });
}

/** The way forward a refusal card offers: back to a draft's review, a plan's card, or a new start. */
export interface RefusalWays {
  reviewId?: string;
  planId?: string;
  start?: boolean;
}

/** A clear message card for something picbot will not do (a refusal is a value, not an error), with a way on. */
export function refusalCard(title: string, reason: string, hint = '', ways: RefusalWays = {}): Card {
  return renderCard('refusal', { title, reason, hint, reviewId: ways.reviewId ?? '', planId: ways.planId ?? '', offerStart: ways.start === true });
}

/** The intake ended (discarded, or a product picbot cannot configure). */
export function endedCard(title: string, lines: string[], offerStart: boolean): Card {
  return renderCard('ended', { title, lines, offerStart });
}

/**
 * Why the intake ends at "OCS 2007 R2 or older" (docs/lync-reference.md, Supported versions):
 * the planner's own refusal text, so the intake and a refused plan say the same thing.
 */
export function legacyProductCard(): Card {
  return endedCard('picbot cannot configure OCS 2007 R2 or older', [
    legacyProductRefusal().reason,
    'The intake ends here and nothing was saved. If this deployment now runs Lync Server 2010 or later, start again and choose that product.',
  ], true);
}

export interface ResumeChoice {
  draft: IntakeDraft;
  /** True when a saved request record exists under the same id (discarding keeps it). */
  hasRecord: boolean;
}

/** Offers to resume or discard open drafts (on `start` or `resume` with several open). */
export function resumeOrDiscardCard(input: { title: string; text: string; choices: ResumeChoice[]; offerNew: boolean }): Card {
  return renderCard('resume-or-discard', {
    title: input.title,
    text: input.text,
    offerNew: input.offerNew,
    drafts: input.choices.map(({ draft, hasRecord }) => ({
      draftId: draft.id,
      target: draft.data.target ? `${draft.targetLabel} · ${PROFILE_LABEL[draft.data.target.profile]}` : draft.targetLabel,
      where: positionText(draft.position),
      updatedAt: when(draft.updatedAt),
      hasRecord,
    })),
  });
}
