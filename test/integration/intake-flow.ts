/**
 * Drives the intake over the harness like a person at a Teams client: say a command, read the
 * card that reached the connector, click a button with typed values, read the next card.
 */
import { cardOf } from '../fakes/connector';
import { button, clickData, type Json } from './card-query';
import type { ClickResult, Harness, Who } from './harness';

/** The valid values of each intake card, in order (Dana's request for pool-eu). */
export const VALID: { title: string; button: string; typed: Record<string, string> }[] = [
  { title: 'Target deployment', button: 'Next', typed: { label: 'pool-eu', profile: 'lync2013' } },
  { title: 'Microsoft agreement', button: 'Next', typed: { agreementType: 'volume-licensing', agreementNumber: '12345678', productUseRights: 'true' } },
  { title: 'Access Edge FQDNs', button: 'Next', typed: { edge_0: 'SIP.Contoso.com', edge_1: 'access.contoso.com.' } },
  { title: 'SIP domains', button: 'Next', typed: { domains: 'contoso.com\nfabrikam.com' } },
  {
    title: 'Contact information',
    button: 'Next',
    typed: { name: 'Dana Admin', phone: '+14255550100', 'admin:contoso.com': 'dana@contoso.com', 'admin:fabrikam.com': 'ops@fabrikam.com' },
  },
  { title: 'Options', button: 'Review', typed: { scope: 'global', publicAudioVideo: 'false', partnerDiscovery: 'true', disablePICPromptDisplayName: 'leave' } },
];

/** The request those values make, in the export shape. */
export const EXPECTED_EXPORT = {
  target: { label: 'pool-eu', profile: 'lync2013' },
  agreement: { type: 'volume-licensing', number: '12345678', productUseRightsAccepted: true },
  accessEdgeFqdns: ['sip.contoso.com', 'access.contoso.com'],
  sipDomains: ['contoso.com', 'fabrikam.com'],
  contacts: { name: 'Dana Admin', phone: '+14255550100', domainAdmins: { 'contoso.com': 'dana@contoso.com', 'fabrikam.com': 'ops@fabrikam.com' } },
  // The Skype choice is left as the card offers it: federation only, the default of a new request.
  options: { policyScope: { kind: 'global' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null, skypeProvider: false },
};

/** A card message in the chat: its card and the activity id the connector gave it. */
export interface Shown {
  card: Json | null;
  messageId: string | null;
}

/** What driving a chat needs: the in-process harness, or a server process (server-process.ts). */
export type ChatDriver = Pick<Harness, 'say' | 'click'>;

/** Says a command and returns the card it posted. */
export async function sayForCard(h: ChatDriver, text: string, who?: Who): Promise<Shown> {
  const r = await h.say(text, who);
  if (r.status !== 200) throw new Error(`"${text}" answered ${r.status}`);
  const call = r.calls.find((c) => c.kind === 'reply' || c.kind === 'send');
  return { card: cardOf(call), messageId: call?.activityId ?? null };
}

/** Clicks a button of the shown card with typed values, as Teams would. */
export function press(h: ChatDriver, shown: Shown, title: string, typed: Record<string, string> = {}, who?: Who): Promise<ClickResult> {
  const b = button(shown.card, title);
  return h.click(b.verb, clickData(shown.card, b, typed), { ...who, replyToId: shown.messageId });
}

/** Starts an intake and fills the first `steps` cards with VALID values; returns the card then shown. */
export async function fillSteps(h: ChatDriver, steps: number, who?: Who): Promise<Shown> {
  let shown = await sayForCard(h, 'start', who);
  for (const step of VALID.slice(0, steps)) {
    const r = await press(h, shown, step.button, step.typed, who);
    if (!r.card) throw new Error(`no card after ${step.title}: ${JSON.stringify(r.body)}`);
    shown = { card: r.card, messageId: shown.messageId };
  }
  return shown;
}

/** The draft id the shown card carries on its buttons. */
export function draftIdOf(shown: Shown): string {
  const json = JSON.stringify(shown.card);
  const m = /"(?:draftId|requestId)":"(req_[0-9a-z]{16})"/.exec(json);
  if (!m) throw new Error('no draft id on the card');
  return m[1];
}
