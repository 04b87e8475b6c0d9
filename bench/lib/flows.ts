/**
 * picbot's journey driven like a person at a Teams client: the intake (start, then the six cards
 * with valid values), "Discover current state", "Request approval" and "Approve". Every step is
 * a real activity over HTTP; later cards are read from the loopback connector.
 */
import type { BenchUser } from './activities';
import type { BotClient } from './bot-client';
import { allText, button, clickData, cardOf, type Json } from './cards';
import type { Connector, Delivered } from './connector';

/** A card message in the chat: its card and the id the connector gave it. */
export interface Shown {
  card: Json | null;
  messageId: string | null;
}

export type Scope = { kind: 'global' } | { kind: 'user'; policyName: string; users: string[] };

/** The six intake cards' valid values (the same request as the integration tests'), for `label`. */
export function intakeSteps(label: string, scope: Scope): { button: string; typed: Record<string, string> }[] {
  const options: Record<string, string> = scope.kind === 'global'
    ? { scope: 'global' }
    : { scope: 'user', policyName: scope.policyName, users: scope.users.join('\n') };
  return [
    { button: 'Next', typed: { label, profile: 'lync2013' } },
    { button: 'Next', typed: { agreementType: 'volume-licensing', agreementNumber: '12345678', productUseRights: 'true' } },
    { button: 'Next', typed: { edge_0: 'sip.contoso.com' } },
    { button: 'Next', typed: { domains: 'contoso.com' } },
    { button: 'Next', typed: { name: 'Bench Admin', phone: '+14255550100', 'admin:contoso.com': 'bench@contoso.com' } },
    { button: 'Review', typed: { ...options, publicAudioVideo: 'false', partnerDiscovery: 'true', disablePICPromptDisplayName: 'leave' } },
  ];
}

export interface Intake {
  review: Shown;
  /** Each card submit's round trip, ms. */
  submits: number[];
}

/** `start`, then the six cards; throws when a card does not move on (bad values, a refusal). */
export async function runIntake(bot: BotClient, user: BenchUser, label: string, scope: Scope = { kind: 'global' }): Promise<Intake> {
  const started = await bot.say(user, 'start');
  let shown: Shown = { card: started.card, messageId: started.messageId };
  const submits: number[] = [];
  for (const step of intakeSteps(label, scope)) {
    const b = button(shown.card, step.button);
    const before = allText(shown.card);
    const r = await bot.click(user, b.verb, clickData(shown.card, b, step.typed), shown.messageId);
    submits.push(r.ms);
    if (!r.card || allText(r.card) === before) throw new Error(`the intake did not move on after "${step.button}": ${allText(r.card).slice(0, 400)}`);
    shown = { card: r.card, messageId: shown.messageId };
  }
  return { review: shown, submits };
}

/** "Discover current state" on the review card; resolves with the card showing what the runner read. */
export async function discover(bot: BotClient, connector: Connector, user: BenchUser, review: Shown, timeoutMs = 120_000): Promise<Shown> {
  const b = button(review.card, 'Discover current state');
  await bot.click(user, b.verb, b.data, review.messageId);
  const isDone = (d: Delivered) => d.kind === 'update' && d.activityId === review.messageId && /Current state of/.test(allText(cardOf(d.activity)));
  const failed = (d: Delivered) => d.kind === 'update' && d.activityId === review.messageId && /did not start|failed|interrupted/i.test(allText(cardOf(d.activity)));
  const done = await connector.waitFor(user.conversationId, (d) => isDone(d) || failed(d), timeoutMs);
  if (!isDone(done)) throw new Error(`discovery did not succeed: ${allText(cardOf(done.activity)).slice(0, 400)}`);
  return { card: cardOf(done.activity), messageId: review.messageId };
}

export interface Posted extends Shown {
  /** The "Request approval" round trip (plan, hash, store, answer), ms. */
  requestMs: number;
  /** The approval card's size as sent to the connector, bytes of JSON. */
  cardBytes: number;
}

/** "Request approval"; resolves with the approval card posted in the same chat. */
export async function requestApproval(bot: BotClient, connector: Connector, user: BenchUser, shown: Shown, timeoutMs = 120_000): Promise<Posted> {
  const before = new Set(connector.recent(user.conversationId).filter((d) => d.kind !== 'update').map((d) => d.activityId));
  const b = button(shown.card, 'Request approval');
  const r = await bot.click(user, b.verb, b.data, shown.messageId);
  if (!/Approval requested/.test(allText(r.card))) throw new Error(`request approval: ${allText(r.card).slice(0, 400)}`);
  const sent = await connector.waitFor(user.conversationId, (d) => d.kind !== 'update' && !before.has(d.activityId) && /Approve this plan\?/.test(allText(cardOf(d.activity))), timeoutMs);
  const card = cardOf(sent.activity);
  return { card, messageId: sent.activityId, requestMs: r.ms, cardBytes: Buffer.byteLength(JSON.stringify(card)) };
}

/** "Approve" on the posted approval card (local mode: the requester may approve). */
export async function approve(bot: BotClient, user: BenchUser, posted: Shown): Promise<number> {
  const b = button(posted.card, 'Approve');
  const r = await bot.click(user, b.verb, clickData(posted.card, b, { reason: '' }), posted.messageId);
  if (!/approved|Approved|applying|Applying|queued|Waiting/i.test(allText(r.card))) throw new Error(`approve: ${allText(r.card).slice(0, 400)}`);
  return r.ms;
}

/** An enrollment token from `runner token LABEL` in `admin`'s personal chat. */
export async function enrollmentToken(bot: BotClient, admin: BenchUser, label: string): Promise<string> {
  const r = await bot.say(admin, `runner token ${label}`);
  // The card shows the token on a line of its own (and pipes it into `--enroll -` in its command).
  const m = /\b(pbe_[A-Za-z0-9_-]+)/.exec(allText(r.card));
  if (!m) throw new Error(`no enrollment token in the answer to "runner token ${label}": ${allText(r.card).slice(0, 300)}`);
  return m[1]!;
}
