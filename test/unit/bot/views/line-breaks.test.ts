/**
 * No ")" left alone on a line. A client wraps a word that is wider than the column (an FQDN, an
 * id, a cmdlet parameter name) at whatever character fills the line, so a word that ends in ")"
 * can leave the ")" alone on the next line ("… (federation.messenger.msn.com" / ")"). Card text
 * is built so that this cannot happen: no text starts with ")", and no ")" closes a word longer
 * than the narrowest column holds. Checked on every card of the gallery and on the cards the
 * views make from real plans, discoveries and reviews of every product.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoveryCard } from '../../../../src/bot/views/discovery';
import { reviewCard } from '../../../../src/bot/views/intake';
import { unescapeMarkdown } from '../../../../src/bot/views/markdown';
import { planCard, planScriptCard } from '../../../../src/bot/views/plan';
import { cardsFolder, renderCard } from '../../../../src/bot/views/render';
import type { JobRecord, PlanRecord, RequestRecord } from '../../../../src/bot/workflows/ports';
import { tally } from '../../../../src/core/approval-policy';
import { discoveryScope } from '../../../../src/core/discovery-scope';
import { plan } from '../../../../src/core/planner';
import { PROFILES } from '../../../../src/contracts/profiles';
import { listTemplates } from '../../../../src/tools/gallery/templates';
import { freshState, requestFixture } from '../../../fixtures/load';

/**
 * The longest word that may end in ")": what the narrowest column a card has (a fact's title, a
 * step title beside its status, on a phone) holds on one line in the Teams font.
 */
const LONGEST_CLOSED_WORD = 16;

/** Every text a reader sees, as written: TextBlocks and facts (markdown escapes undone), TextRuns. */
function cardTexts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) cardTexts(n, out);
    return out;
  }
  if (typeof node !== 'object' || node === null) return out;
  const o = node as Record<string, unknown>;
  if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(unescapeMarkdown(o.text));
  if (o.type === 'TextRun' && typeof o.text === 'string') out.push(o.text);
  if (o.type === 'FactSet' && Array.isArray(o.facts)) for (const f of o.facts as Record<string, string>[]) out.push(unescapeMarkdown(f.title!), unescapeMarkdown(f.value!));
  if (o.type === 'CodeBlock' && typeof o.codeSnippet === 'string') out.push(...o.codeSnippet.split('\n'));
  for (const [k, v] of Object.entries(o)) if (k !== 'data') cardTexts(v, out);
  return out;
}

/** The places in `text` where a ")" could be left alone on a line. */
export function loneParenRisks(text: string): string[] {
  const risks: string[] = [];
  if (/^\s*\)/.test(text)) risks.push(`starts with ")": ${text.slice(0, 60)}`);
  for (const m of text.matchAll(/\S+\)/g)) if (m[0].length > LONGEST_CLOSED_WORD) risks.push(m[0]);
  return risks;
}

const risksOf = (card: unknown) => cardTexts(card).flatMap(loneParenRisks);

describe('loneParenRisks', () => {
  it.each([
    ['Remove the public provider Messenger (federation.messenger.msn.com) to re-create it', ['(federation.messenger.msn.com)']],
    [') on a line of its own', ['starts with ")": ) on a line of its own']],
    ['Read by fe01 (run_0123456789abcdef) on 2026-11-28', ['(run_0123456789abcdef)']],
    ['Lync Server 2013 (5.0.8308.0) · expires in 21 days (2026-12-28)', []],
    ['Alex Approver (2026-11-28 14:18 UTC)', []],
  ])('%j', (text, want) => {
    expect(loneParenRisks(text)).toEqual(want);
  });
});

describe('no card leaves a ")" alone on a line', () => {
  const { samples } = listTemplates(cardsFolder());
  it.each(samples)('gallery: $file', ({ template, file }) => {
    const card = renderCard(template, JSON.parse(readFileSync(join(cardsFolder(), file), 'utf8')) as object, { localNote: null });
    expect(risksOf(card)).toEqual([]);
  });

  const cases = PROFILES.flatMap((profile) => (['global', 'site', 'user'] as const).flatMap((scope) => [true, false].map((skypeProvider) => ({ profile, scope, skypeProvider }))));
  it.each(cases)('$profile, $scope scope, Skype provider $skypeProvider: the review, discovery, approval and script cards', ({ profile, scope, skypeProvider }) => {
    const request = requestFixture(scope, { skypeProvider }, profile);
    const observed = freshState(profile);
    const planned = plan(request, observed, profile);
    const record: PlanRecord = {
      id: 'plan_7x1k0v3m9q2d8a5n', kind: 'apply', requestId: 'req_0123456789abcdef', revision: 2, targetLabel: request.target.label, request, plan: planned,
      discovery: discoveryScope(request), requesterId: 'dana', requesterName: 'Dana Admin', requestedIn: 'c', status: 'pending-approval',
      createdAt: '2026-11-28T14:05:00.000Z', updatedAt: '2026-11-28T14:05:00.000Z', expiresAt: '2026-12-01T14:05:00.000Z', remindedAt: null,
      card: null, jobId: null, rollbackOf: null, cardShows: null, follows: null,
    };
    const job: JobRecord = {
      id: 'job_0123456789abcdef', kind: 'discover', target: request.target.label, status: 'succeeded', signature: 'x',
      envelope: { protocolVersion: 1, jobId: 'job_0123456789abcdef', kind: 'discover', target: request.target.label, profile, discovery: discoveryScope(request), steps: [], approvals: [], issuedAt: '2026-11-28T14:00:00.000Z' },
      context: { purpose: 'discovery', requestId: 'req_0123456789abcdef', planId: null, card: null }, createdBy: 'dana', createdAt: '2026-11-28T14:00:00.000Z',
      pickupDeadline: null, runnerId: 'run_0123456789abcdef', runnerName: 'fe01', leasedAt: '2026-11-28T14:00:01.000Z', leaseExpiresAt: null, cancelRequested: false,
      finishedAt: '2026-11-28T14:00:05.000Z', eventCount: 0, timeLimitAt: null, lateAt: null,
    };
    const stored: RequestRecord = {
      id: 'req_0123456789abcdef', ownerId: 'dana', ownerName: 'Dana Admin', request, status: 'draft', submittedOn: null, activeOn: null,
      createdAt: '2026-11-28T14:00:00.000Z', updatedAt: '2026-11-28T14:00:00.000Z',
    };
    const cards = [
      reviewCard({ draftId: 'req_0123456789abcdef', request }),
      discoveryCard({ job, phase: 'done', request: stored, label: request.target.label, runnerSeen: true, timeoutSeconds: 120, observed, result: null, events: [] }),
      planCard({
        plan: record, votes: [], tally: tally({ ...record, planHash: planned.planHash }, [], () => true, { quorum: 1, requesterMayCount: false }),
        job: null, preflight: null, followUps: [], rediscovering: false, requesterMayCount: false, refreshUserIds: [], now: new Date('2026-11-28T14:20:00.000Z'), checkpoint: null,
      }),
      planScriptCard(record),
    ];
    expect(cards.flatMap(risksOf)).toEqual([]);
  });
});
