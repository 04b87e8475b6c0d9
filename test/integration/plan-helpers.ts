/**
 * Helpers for plan transcripts over the harness (real HTTP to the bot, the loopback connector):
 * a finished intake at the review, discovery answered by a runner speaking the real runner API
 * over HTTP (for tests of the chat side; the end-to-end test uses the real runner process),
 * requesting approval, and clicking the approval card the way Teams does.
 */
import type { ObservedState } from '../../src/contracts/observed';
import { RUNNER_API_BASE } from '../../src/contracts/runner-api';
import type { ProvisioningRequest } from '../../src/core/request';
import { createDraftStore } from '../../src/bot/stores/drafts';
import { createRequestStore } from '../../src/bot/stores/requests';
import { VERBS } from '../../src/bot/verbs';
import type { JobChange } from '../../src/bot/workflows/ports';
import { cardOf, type ConnectorCall } from '../fakes/connector';
import { allText, button, clickData, type Json } from './card-query';
import type { ClickResult, Harness } from './harness';

/** What the chat-only helpers need: clicks, messages and the connector (an in-process harness or a server process). */
export type Chat = Pick<Harness, 'click' | 'say' | 'connector'>;
import type { TeamsConversation, TeamsUser } from './teams-activities';

/** A finished intake of `owner` standing at the review, with its request record. */
export async function seedRequest(h: Harness, requestId: string, request: ProvisioningRequest, owner: TeamsUser): Promise<void> {
  const at = h.server.deps.clock.now().toISOString();
  const who = { ownerId: owner.aadObjectId.toLowerCase(), ownerName: owner.name };
  const draft = await createDraftStore(h.server.deps.db).create({ id: requestId, ...who, targetLabel: request.target.label, position: 'review', data: request, createdAt: at, updatedAt: at });
  if (!draft.ok) throw new Error('seeding the draft failed');
  await createRequestStore(h.server.deps.db).save({ id: requestId, ...who, request, status: 'draft', submittedOn: null, activeOn: null, createdAt: at, updatedAt: at });
}

/** Resolves with the first job change (from now on) that matches. */
export function nextJobChange(h: Harness, match: (c: JobChange) => boolean): Promise<JobChange> {
  return new Promise((resolve) => {
    const off = h.server.deps.jobs.onChange((c) => {
      if (match(c)) {
        off();
        resolve(c);
      }
    });
  });
}

/**
 * A runner that speaks the runner API over real HTTP from the test itself, answering discovery
 * jobs with a given state. Enough for the chat side of approvals; it never runs write steps.
 */
export async function httpRunner(h: Harness, labels = ['pool-eu']) {
  const { token } = await h.server.deps.runners.createEnrollmentToken({ labels, createdBy: 'test' });
  const post = async (path: string, body: unknown, bearer?: string) => {
    const res = await fetch(`${h.url}${RUNNER_API_BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : null };
  };
  const enrolled = await post('/enroll', { enrollmentToken: token, name: 'test-runner', labels });
  if (enrolled.status !== 200) throw new Error(`enroll: ${enrolled.status}`);
  const runnerToken = String(enrolled.body!.runnerToken);
  return {
    /**
     * Leases jobs until a discovery comes and reports `observed` as what it read. This runner runs
     * no write steps: apply jobs left queued by earlier approvals are reported cancelled.
     */
    async discover(observed: ObservedState): Promise<string> {
      for (;;) {
        const lease = await post('/jobs/lease', { waitSeconds: 5 }, runnerToken);
        if (lease.status !== 200) throw new Error(`lease: ${lease.status}`);
        const job = lease.body!.job as { envelope: { jobId: string; kind: string } };
        const discovery = job.envelope.kind === 'discover';
        const body = discovery ? { leaseId: lease.body!.leaseId, status: 'succeeded', observed } : { leaseId: lease.body!.leaseId, status: 'cancelled' };
        const done = await post(`/jobs/${job.envelope.jobId}/result`, body, runnerToken);
        if (done.status !== 200) throw new Error(`result: ${done.status} ${JSON.stringify(done.body)}`);
        if (discovery) return job.envelope.jobId;
      }
    },
  };
}

/** "Discover current state" for the request, answered by `runner` with `observed`. */
export async function discover(h: Harness, requestId: string, owner: TeamsUser, runner: Awaited<ReturnType<typeof httpRunner>>, observed: ObservedState): Promise<void> {
  const stored = nextJobChange(h, (c) => c.type === 'finished' && c.job.context.requestId === requestId && c.job.kind === 'discover');
  const click = await h.click(VERBS.requestDiscover, { requestId }, { user: owner });
  if (click.status !== 200) throw new Error(`discover click: ${click.status}`);
  await runner.discover(observed);
  await stored;
}

export interface PostedCard {
  messageId: string;
  conversation: TeamsConversation;
  card: Json;
}

const isCardIn = (conversationId: string, pattern: RegExp) => (c: ConnectorCall) =>
  (c.kind === 'send' || c.kind === 'reply') && c.conversationId === conversationId && pattern.test(allText(cardOf(c)));

/**
 * Clicks "Request approval" and returns the approval card posted in `approvals` (the click is
 * answered at once; the card follows through the card scheduler).
 */
export async function requestApproval(h: Chat, requestId: string, owner: TeamsUser, approvals: TeamsConversation): Promise<PostedCard & { answer: ClickResult }> {
  const before = h.connector.calls.length;
  const answer = await h.click(VERBS.planRequest, { requestId }, { user: owner });
  if (!/Approval requested/.test(allText(answer.card))) throw new Error(`request approval: ${allText(answer.card)}`);
  if (!/being posted/.test(allText(answer.card))) throw new Error(`request approval: no new card (${allText(answer.card)})`);
  const isNew = (c: ConnectorCall) => h.connector.calls.indexOf(c) >= before;
  const inApprovals = isCardIn(approvals.id, /Approve this (plan|rollback)\?/);
  const inChannel = approvals.channelId ? isCardIn(approvals.channelId, /Approve this (plan|rollback)\?/) : () => false;
  const sent = await h.connector.waitFor((c) => isNew(c) && (inApprovals(c) || inChannel(c)));
  return { messageId: sent.activityId, conversation: clickedIn(approvals, sent), card: cardOf(sent)!, answer };
}

/**
 * Where Teams says a click on a posted card comes from: a card posted into a channel is the root
 * of a new thread, `<channel id>;messageid=<its id>`.
 */
export function clickedIn(approvals: TeamsConversation, sent: ConnectorCall): TeamsConversation {
  return sent.conversationId === approvals.channelId ? { ...approvals, id: `${approvals.channelId};messageid=${sent.activityId}` } : approvals;
}

/** Approve or Reject on a posted card, as Teams sends it (the card's data plus the typed reason). */
export function vote(h: Chat, posted: PostedCard, user: TeamsUser, decision: 'Approve' | 'Reject', reason = '', card: Json = posted.card): Promise<ClickResult> {
  const b = button(card, decision);
  return h.click(b.verb, clickData(card, b, { reason }), { user, conversation: posted.conversation, replyToId: posted.messageId });
}

/** Whether the click replaced the card message for everyone (not only the clicker's view). */
/** `approver` approves the posted plan; resolves to the status the apply job ended with. */
export async function approveAndWait(h: Harness, posted: PostedCard, approver: TeamsUser): Promise<string> {
  const finished = nextJobChange(h, (c) => c.type === 'finished' && c.job.kind === 'apply');
  await vote(h, posted, approver, 'Approve');
  return (await finished).job.status;
}

export const updatedForEveryone = (r: ClickResult, posted: PostedCard): boolean =>
  r.calls.some((c) => c.kind === 'update' && c.activityId === posted.messageId);

/** The latest card the message shows (the last update, or the card as sent). */
export function latestCard(h: Chat, posted: PostedCard): Json {
  const updates = h.connector.calls.filter((c) => c.kind === 'update' && c.activityId === posted.messageId);
  return updates.length > 0 ? cardOf(updates[updates.length - 1])! : posted.card;
}

/** Waits until the card message shows text matching `pattern` (updates come from the card scheduler). */
export async function cardShows(h: Chat, posted: PostedCard, pattern: RegExp): Promise<Json> {
  const call = await h.connector.waitFor((c) => c.kind === 'update' && c.activityId === posted.messageId && pattern.test(allText(cardOf(c))));
  return cardOf(call)!;
}

/** Says `text` and returns the card of the bot's answer whose text matches `pattern` (other messages may go out meanwhile). */
export async function sayForCard(h: Chat, text: string, who: { user: TeamsUser; conversation?: TeamsConversation }, pattern: RegExp): Promise<Json> {
  const r = await h.say(text, who);
  const call = r.calls.find((c) => (c.kind === 'reply' || c.kind === 'send') && pattern.test(allText(cardOf(c))));
  if (!call) throw new Error(`no answer to "${text}" matching ${pattern}: ${r.calls.map((c) => allText(cardOf(c)).slice(0, 80)).join(' | ')}`);
  return cardOf(call)!;
}
