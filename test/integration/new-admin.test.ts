/**
 * The chat as a new admin meets it, over real HTTP through the harness: text in angle brackets
 * survives on every card, free text in the middle of an intake, Back and Cancel inside the
 * intake, and "Show script" showing exactly what `picbot plan export` prints, with a way back.
 */
import { VERBS } from '../../src/bot/verbs';
import { unescapeMarkdown } from '../../src/bot/views/markdown';
import { freshState, requestFixture } from '../fixtures/load';
import { allText, button, buttons, inputs, type Json } from './card-query';
import { runPicbot } from './cli-process';
import { startHarness, type Harness, appOf } from './harness';
import { draftIdOf, fillSteps, press, sayForCard, VALID, type Shown } from './intake-flow';
import { discover, httpRunner, requestApproval, seedRequest, vote } from './plan-helpers';
import { cardOf } from '../fakes/connector';
import { ALEX, channel, DANA } from './teams-activities';
import { dirname } from 'node:path';

jest.setTimeout(60_000);

let h: Harness;
afterEach(async () => {
  await appOf(h).plans.idle();
  await h.close();
});

const titles = (card: Json | null) => buttons(card).map((b) => b.title);

describe('text in angle brackets', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('"audit <id>" and "status <plan id>" keep their brackets on the cards they appear on', async () => {
    const audit = await sayForCard(h, 'audit');
    expect(allText(audit.card)).toContain('Say "audit <id>" with a request, plan, job or runner id');
    const plans = await sayForCard(h, 'plans');
    expect(allText(plans.card)).toContain('"status <plan id>" shows one.');
    // Chat text echoed back goes through the same escaping.
    const help = await sayForCard(h, 'frobnicate <b>now</b> *please* # _x_');
    expect(allText(help.card)).toContain('I don\'t know "frobnicate <b>now</b> *please* # _x_"');
    expect(JSON.stringify(help.card)).toContain('frobnicate \\\\<b\\\\>now\\\\</b\\\\> \\\\*please\\\\* # \\\\_x\\\\_');
  });
});

describe('free text in the middle of an intake', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('says which intake is open and where, with Resume and Discard, instead of the help card', async () => {
    const at = await fillSteps(h, 2);
    const id = draftIdOf(at);
    const r = await sayForCard(h, 'sip.contoso.com');
    const text = allText(r.card);
    expect(text).toMatch(/"sip\.contoso\.com" is not a command/);
    expect(text).toMatch(/Your intake for pool-eu is open at step 3 of 6 \(Access Edge FQDNs\): type your answer into its card\./);
    expect(text).not.toMatch(/picbot commands/);
    expect(titles(r.card)).toEqual(['Resume', 'Discard']);
    expect(button(r.card, 'Resume').data).toEqual({ draftId: id });
    const resumed = await press(h, r, 'Resume');
    expect(allText(resumed.card)).toMatch(/Access Edge FQDNs/);
    // "help" itself still lists the commands.
    expect(allText((await sayForCard(h, 'help')).card)).toMatch(/picbot commands/);
  });
});

describe('one live intake card', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  /** The next update of message `messageId` (the card scheduler sends it after the answer). */
  const updateOf = (messageId: string | null, from: number) =>
    h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= from && c.kind === 'update' && c.activityId === messageId);

  it('resuming an intake in a newer message retires the older copy, which keeps no button', async () => {
    const first = await fillSteps(h, 2);
    const id = draftIdOf(first);
    // "resume" posts the intake anew at the bottom of the chat: the first copy is retired.
    let from = h.connector.calls.length;
    const again = await sayForCard(h, 'resume');
    expect(again.messageId).not.toBe(first.messageId);
    expect(allText(again.card)).toMatch(/step 3 of 6/);
    const retired = cardOf(await updateOf(first.messageId, from));
    expect(allText(retired)).toContain('Intake for pool-eu continues below');
    expect(allText(retired)).toContain(`This is an older copy of the card of intake ${id}: it goes on in the newer card further down the chat.`);
    expect(buttons(retired)).toEqual([]);

    // "start" offers it, and Resume shows it in that message: the copy "resume" posted is retired in turn.
    const offer = await sayForCard(h, 'start');
    from = h.connector.calls.length;
    const resumed = await press(h, offer, 'Resume');
    expect(allText(resumed.card)).toMatch(/step 3 of 6/);
    expect(buttons(cardOf(await updateOf(again.messageId, from)))).toEqual([]);
    // The live card goes on; the first copy was not touched again.
    const next = await press(h, { card: resumed.card, messageId: offer.messageId }, 'Next', VALID[2]!.typed);
    expect(allText(next.card)).toMatch(/step 4 of 6/);
    expect(h.connector.calls.slice(from).filter((c) => c.kind === 'update' && c.activityId === first.messageId)).toEqual([]);
  });
});

describe('Back and Cancel inside the intake', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('Back on steps 2–6 goes one card back and keeps what was typed', async () => {
    let shown: Shown = await fillSteps(h, 3);
    expect(allText(shown.card)).toMatch(/step 4 of 6/);
    expect(titles(shown.card)).toEqual(['Next', 'Back']);
    // Typed, then Back: the domains are saved, and the Access Edge card comes back as it was filled.
    const back = await press(h, shown, 'Back', { domains: 'contoso.com\nfabrikam.com' });
    expect(allText(back.card)).toMatch(/Access Edge FQDNs[\s\S]*step 3 of 6|step 3 of 6[\s\S]*Access Edge FQDNs/);
    expect(inputs(back.card).edge_0).toBe('sip.contoso.com');
    shown = { card: back.card, messageId: shown.messageId };
    const again = await press(h, shown, 'Back');
    expect(allText(again.card)).toMatch(/step 2 of 6/);
    expect(inputs(again.card).agreementNumber).toBe('12345678');
    // Forward again: the domains typed before going back are still there.
    shown = { card: again.card, messageId: shown.messageId };
    let next = await press(h, shown, 'Next');
    next = await press(h, { card: next.card, messageId: shown.messageId }, 'Next');
    expect(allText(next.card)).toMatch(/step 5 of 6|Contact information/);
    const record = await sayForCard(h, 'resume');
    expect(allText(record.card)).toMatch(/Contact information/);
  });

  it('Back with a typed value that is not valid keeps it, with the message under the field', async () => {
    const shown = await fillSteps(h, 3);
    const back = await press(h, shown, 'Back', { domains: 'sip..contoso.com' });
    expect(allText(back.card)).toMatch(/Back keeps what you typed, so it must be valid first/);
    expect(inputs(back.card).domains).toBe('sip..contoso.com');
  });

  it('Back on an untouched card goes back without complaint', async () => {
    const shown = await fillSteps(h, 5);
    expect(allText(shown.card)).toMatch(/step 6 of 6/);
    const back = await press(h, shown, 'Back');
    expect(allText(back.card)).toMatch(/step 5 of 6/);
  });

  it('an Edit card opened from the review keeps the request\'s label and has Cancel, back to the review unchanged', async () => {
    const review = await fillSteps(h, VALID.length);
    const id = draftIdOf(review);
    const edit = await h.click(VERBS.intakeEdit, { draftId: id, section: 'domains' }, { replyToId: review.messageId });
    expect(allText(edit.card)).toContain(`pool-eu · editing ${id} · SIP domains`);
    expect(allText(edit.card)).not.toMatch(/new provisioning request|step \d of 6/);
    expect(titles(edit.card)).toEqual(['Save and review', 'Cancel']);
    const cancel = await press(h, { card: edit.card, messageId: review.messageId }, 'Cancel', { domains: 'changed.example' });
    expect(allText(cancel.card)).toMatch(/Review the provisioning request/);
    expect(allText(cancel.card)).toMatch(/SIP domains: contoso\.com, fabrikam\.com/);
  });
});

describe('Show script', () => {
  const REQ = 'req_0123456789abcdef';
  const APPROVALS = channel('approvals');

  beforeEach(async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id } });
    await h.say('help', { user: ALEX, conversation: APPROVALS });
    await h.say('help', { user: DANA });
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));
  });

  it('shows exactly what picbot plan export prints, as a PowerShell CodeBlock and line by line; Back to the plan restores the card', async () => {
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    const planId = String(button(posted.card, 'Show script').data.planId);
    const script = await h.click(VERBS.planScript, { planId }, { user: ALEX, conversation: APPROVALS, replyToId: posted.messageId });
    expect(script.calls.filter((c) => c.kind === 'update')).toEqual([]);

    await appOf(h).plans.idle();
    const exported = await runPicbot(['plan', 'export', planId, '--db', h.dbPath], { cwd: dirname(h.dbPath) });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^# Undo step 1 \[federation\]/m);

    // Teams: the CodeBlock, in PowerShell.
    const code = findType(script.card, 'CodeBlock');
    expect(code).toMatchObject({ language: 'PowerShell', codeSnippet: exported.stdout });
    // Any other client: the fallback, one monospace line each, as the reader sees it.
    const fallback = code!.fallback as Json;
    const lines = (fallback.items as Json[]).map((b) => {
      expect(b).toMatchObject({ type: 'TextBlock', fontType: 'Monospace', wrap: true });
      const shown = unescapeMarkdown(String(b.text));
      return shown === '\u00a0' ? '' : shown;
    });
    expect(`${lines.join('\n')}\n`).toBe(exported.stdout);
    // The rollback lines stay comments: the fallback escapes their "#" so no markdown heading eats it.
    expect((fallback.items as Json[]).some((b) => String(b.text).startsWith('\\# Undo step 1'))).toBe(true);

    expect(titles(script.card)).toEqual(['Back to the plan']);
    const back = await h.click(VERBS.planStatus, button(script.card, 'Back to the plan').data, { user: ALEX, conversation: APPROVALS, replyToId: posted.messageId });
    expect(allText(back.card)).toMatch(/Approve this plan\?/);
    expect(titles(back.card)).toEqual(expect.arrayContaining(['Approve', 'Reject', 'Show script']));
  });
});

describe('a double-clicked Approve', () => {
  const REQ = 'req_0123456789abcdef';
  const APPROVALS = channel('approvals');

  beforeEach(async () => {
    h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId, PICBOT_APPROVALS_CONVERSATION: APPROVALS.id } });
    await h.say('help', { user: ALEX, conversation: APPROVALS });
    await h.say('help', { user: DANA });
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));
  });

  it('records one vote and one job; both answers show the plan as it is, and an update after the late one reaches the clicked card', async () => {
    const posted = await requestApproval(h, REQ, DANA, APPROVALS);
    await appOf(h).plans.idle();
    const [first, second] = await Promise.all([vote(h, posted, ALEX, 'Approve'), vote(h, posted, ALEX, 'Approve')]);
    const db = h.server.deps.db.sqlite!;
    expect((db.prepare('SELECT COUNT(*) AS n FROM plan_votes').get() as { n: number }).n).toBe(1);
    expect((db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'apply'").get() as { n: number }).n).toBe(1);
    const texts = [allText(first.card), allText(second.card)];
    // Neither answer is a pending approval card any more, and the repeat says so.
    for (const t of texts) expect(t).not.toMatch(/Approve this plan\?/);
    expect(texts.filter((t) => /Your vote to approve was already recorded/.test(t))).toHaveLength(1);

    // The worst case: the repeated click is answered after every update the vote caused went out.
    await appOf(h).plans.idle();
    const late = await vote(h, posted, ALEX, 'Approve');
    expect(allText(late.card)).toMatch(/already recorded/);
    const answered = h.connector.calls.length;
    await appOf(h).plans.idle();
    const after = h.connector.calls.slice(answered).filter((c) => c.kind === 'update' && c.activityId === posted.messageId);
    expect(after.length).toBeGreaterThan(0);
    expect(allText(cardOf(after[after.length - 1]))).toMatch(/Waiting for a runner with the label pool-eu|Applying/);
  });
});

describe('discovery flags what approval would refuse', () => {
  const REQ = 'req_0123456789abcdef';

  beforeEach(async () => {
    h = await startHarness();
  });

  it('a SIP domain the server lacks and another product: warnings in product names, "Edit the request" instead of "Request approval"', async () => {
    // The request says Skype for Business Server 2015 and names fabrikam.com; the server is Lync Server 2013 with contoso.com only.
    const request = requestFixture('global', {}, 'sfb2015');
    await seedRequest(h, REQ, { ...request, sipDomains: [...request.sipDomains, 'fabrikam.com'], contacts: { ...request.contacts, domainAdmins: { ...request.contacts.domainAdmins, 'fabrikam.com': 'ops@fabrikam.com' } } }, DANA);
    const review = await sayForCard(h, `resume ${REQ}`);
    const runner = await httpRunner(h);
    const clicked = await press(h, review, 'Discover current state');
    expect(clicked.status).toBe(200);
    await runner.discover(freshState('lync2013'));
    const call = await h.connector.waitFor((c) => c.kind === 'update' && c.activityId === review.messageId && /Current state of pool-eu/.test(allText(cardOf(c))));
    const card = cardOf(call);
    const text = allText(card);
    expect(text).toContain('Approval would refuse this request');
    expect(text).toContain('The server reports Lync Server 2013, but the request is for Skype for Business Server 2015. Edit the request\'s target to the product the server runs.');
    expect(text).toMatch(/The SIP domain fabrikam\.com is not one of the server's SIP domains/);
    expect(text).not.toMatch(/sfb2015|lync2013 profile/);
    expect(titles(card)).not.toContain('Request approval');
    expect(button(card, 'Edit the request').data).toEqual({ draftId: REQ, section: 'target' });
    const edit = await h.click(VERBS.intakeEdit, button(card, 'Edit the request').data, { replyToId: review.messageId });
    expect(allText(edit.card)).toContain(`pool-eu · editing ${REQ} · Target deployment`);
  });
});

describe('refusals that answer a button', () => {
  const REQ = 'req_0123456789abcdef';

  beforeEach(async () => {
    h = await startHarness();
  });

  it('also post at the bottom of the chat, and offer a way on', async () => {
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    const review = await sayForCard(h, `resume ${REQ}`);
    // Approval before the server was read (a card from before, say): refused, with the way back to the review.
    const r = await h.click(VERBS.planRequest, { requestId: REQ }, { replyToId: review.messageId });
    expect(allText(r.card)).toMatch(/Discover the server first/);
    expect(r.calls.filter((c) => c.kind === 'update')).toEqual([]);
    const posted = r.calls.filter((c) => c.kind === 'send' || c.kind === 'reply');
    expect(posted).toHaveLength(1);
    expect(allText(cardOf(posted[0]))).toBe(allText(r.card));
    expect(button(r.card, 'Back to the review').data).toEqual({ draftId: REQ });
    const back = await h.click(VERBS.intakeResume, { draftId: REQ }, { replyToId: posted[0]!.activityId });
    expect(allText(back.card)).toMatch(/Review the provisioning request/);

    // A card that cannot be used: "Start again", which offers the open intake.
    const odd = await h.click(VERBS.intakeDomainsSubmit, { draftId: REQ, evil: 'x' }, { replyToId: review.messageId });
    expect(allText(odd.card)).toMatch(/That card can't be used/);
    const again = await h.click(VERBS.intakeStart, button(odd.card, 'Start again').data, { replyToId: review.messageId });
    expect(allText(again.card)).toMatch(/You have an unfinished intake/);
  });
});

function findType(node: unknown, type: string): Json | null {
  if (Array.isArray(node)) {
    for (const n of node) {
      const found = findType(n, type);
      if (found) return found;
    }
    return null;
  }
  if (typeof node !== 'object' || node === null) return null;
  const o = node as Json;
  if (o.type === type) return o;
  for (const v of Object.values(o)) {
    const found = findType(v, type);
    if (found) return found;
  }
  return null;
}
