/**
 * The intake conversation over real HTTP: the server in-process on a loopback
 * port with a temporary SQLite file, activities and invokes posted exactly as Teams sends them,
 * the loopback connector recording what reaches "Teams". Each test reads like a chat transcript.
 */
import { fakeClock } from '../fakes/clock';
import { cardOf } from '../fakes/connector';
import { allText, button, buttons, errorsUnder, fieldsWithErrors, inputs, texts } from './card-query';
import { startHarness, type Harness } from './harness';
import { draftIdOf, EXPECTED_EXPORT, fillSteps, press, sayForCard, VALID, type Shown } from './intake-flow';
import { ALEX, channel, DANA, personalChat } from './teams-activities';

const clock = fakeClock('2026-11-02T09:00:00.000Z');
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

/** Each test is one admin's conversation; a fresh user keeps drafts from crossing tests. */
let n = 0;
function newAdmin() {
  n += 1;
  const user = { aadObjectId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, teamsUserId: `29:1user-${n}`, name: `Admin ${n}` };
  return { user, conversation: personalChat(user) };
}

/** A refused click: no card message changed, and the refusal posted once more as a new message at the bottom. */
function expectRefusalPosted(r: { card: Shown['card']; calls: { kind: string }[] }): void {
  expect(r.calls.filter((c) => c.kind === 'update')).toEqual([]);
  const posted = r.calls.filter((c) => c.kind === 'send' || c.kind === 'reply');
  expect(posted).toHaveLength(1);
  expect(allText(cardOf(posted[0] as Parameters<typeof cardOf>[0]))).toBe(allText(r.card));
}

const title = (card: Shown['card']) => texts(card).find((t) => !t.startsWith('Local mode') && !/step \d of 6|editing|^New provisioning/.test(t) && !/ · /.test(t));

describe('the happy path', () => {
  it('start → six cards → review → export → finish → status, one message updated in place', async () => {
    const who = newAdmin();
    const start = await sayForCard(h, 'start', who);
    expect(allText(start.card)).toMatch(/Local mode: every user is an admin/);
    expect(allText(start.card)).toMatch(/step 1 of 6/);
    // The target card lists the six profiles and the legacy choice.
    const profileChoices = JSON.stringify(start.card).match(/"value":"(lync2010|lync2013|lync2013-cu5|sfb2015|sfb2019|sfbse|ocs2007r2-or-older)"/g);
    expect(profileChoices).toHaveLength(7);

    let shown: Shown = start;
    const titles: string[] = [];
    for (const step of VALID) {
      expect(allText(shown.card)).toContain(step.title);
      const r = await press(h, shown, step.button, step.typed, who);
      expect(r.status).toBe(200);
      // The invoke answer is the next card, and the stored message is updated to the same card.
      const update = r.calls.find((c) => c.kind === 'update');
      expect(update).toMatchObject({ activityId: start.messageId });
      expect(cardOf(update)).toEqual(r.card);
      shown = { card: r.card, messageId: start.messageId };
      titles.push(title(r.card) ?? '');
    }
    expect(titles).toEqual(['Microsoft agreement', 'Access Edge FQDNs', 'SIP domains', 'Contact information', 'Options', 'Review the provisioning request']);

    // The review: every section with Edit, the suffix-rule warning for fabrikam.com.
    const review = shown;
    expect(buttons(review.card).filter((b) => b.title === 'Edit').map((b) => b.data.section)).toEqual(['target', 'agreement', 'edge', 'domains', 'contacts', 'options']);
    expect(allText(review.card)).toMatch(/No Access Edge FQDN is a top-level name of fabrikam\.com/);
    expect(allText(review.card)).not.toMatch(/top-level name of contoso\.com/);
    expect(allText(review.card)).toContain('Access Edge service FQDN: sip.contoso.com');
    expect(allText(review.card)).toContain('Additional: access.contoso.com');
    const id = draftIdOf(review);

    // Export JSON: only the clicker sees it (no update of the message).
    const exported = await press(h, review, 'Export JSON', {}, who);
    expect(exported.calls.filter((c) => c.kind === 'update')).toEqual([]);
    const json = texts(exported.card).find((t) => t.startsWith('{'));
    expect(JSON.parse(json ?? 'null')).toEqual(EXPECTED_EXPORT);
    expect(Object.keys(JSON.parse(json ?? '{}'))).toEqual(Object.keys(EXPECTED_EXPORT));

    // Finish: the request record.
    const finished = await press(h, review, 'Finish', {}, who);
    const record = allText(finished.card);
    expect(record).toContain(`Provisioning request ${id}`);
    expect(record).toContain('1. Microsoft agreement: Microsoft Volume Licensing agreement number: 12345678');
    expect(record).toContain('2. Access Edge service FQDN: sip.contoso.com');
    expect(record).toContain('3. SIP domains: contoso.com, fabrikam.com');
    expect(record).toContain('4. Additional Access Edge FQDNs: access.contoso.com');
    expect(record).toContain('5. Contact information: Dana Admin, +14255550100; contoso.com: dana@contoso.com; fabrikam.com: ops@fabrikam.com');
    expect(record).toContain('Status: draft (not submitted)');
    expect(record).toMatch(/retired in 2019/);
    expect(record).toMatch(/_sipfederationtls\._tcp DNS SRV record/);
    expect(record).toMatch(/Skype consumer service was retired in May 2025/);
    expect(record).toMatch(/Federation with other organisations is unaffected/);

    // `status` lists it; `status <id>` shows it.
    const list = await sayForCard(h, 'status', who);
    expect(allText(list.card)).toContain(`${id} · draft (not submitted)`);
    const one = await sayForCard(h, `status ${id}`, who);
    expect(allText(one.card)).toContain(`Provisioning request ${id}`);

    // Submitted on a date the admin enters; days elapsed against "up to 30 days".
    const recordShown = { card: finished.card, messageId: start.messageId };
    const future = await press(h, recordShown, 'Mark as submitted', { submittedOn: '2026-11-03' }, who);
    expect(errorsUnder(future.card, 'submittedOn')).toEqual(['the date cannot be after today (2026-11-02)']);
    expect(inputs(future.card).submittedOn).toBe('2026-11-03');
    const submitted = await press(h, recordShown, 'Mark as submitted', { submittedOn: '2026-10-20' }, who);
    expect(allText(submitted.card)).toContain('Status: submitted on 2026-10-20');
    expect(allText(submitted.card)).toContain('Days: 13 days elapsed of up to 30 days since submission on 2026-10-20.');
    clock.advanceDays(20);
    const later = await sayForCard(h, `status ${id}`, who);
    expect(allText(later.card)).toContain('Days: 33 days elapsed since submission on 2026-10-20: past the documented 30 days.');
    const early = await press(h, later, 'Mark as active', { activeOn: '2026-10-01' }, who);
    expect(errorsUnder(early.card, 'activeOn')).toEqual(['the date cannot be before the submission date (2026-10-20)']);
    const active = await press(h, later, 'Mark as active', { activeOn: '2026-11-10' }, who);
    expect(allText(active.card)).toContain('Status: active since 2026-11-10 (submitted on 2026-10-20)');
    expect(allText(active.card)).toContain('Days: Active on 2026-11-10, 21 days after submission (up to 30 days documented).');
    expect(buttons(active.card).map((b) => b.verb)).not.toContain('request.active');

    // Every accepted step and status change is in the audit log.
    const audit = await h.server.deps.audit.list({ subjectId: id });
    expect(audit.map((a) => `${a.action}${a.detail.step ? ` ${String(a.detail.step)}` : ''}`)).toEqual([
      'intake.started target', 'intake.step agreement', 'intake.step edge', 'intake.step domains', 'intake.step contacts',
      'intake.step options', 'request.saved', 'intake.finished', 'request.status', 'request.status',
    ]);
    expect(audit.every((a) => a.actor === who.user.aadObjectId)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain('dana@contoso.com');
    expect((await h.server.deps.audit.verify()).ok).toBe(true);
  });

  it('edits a section from the review and comes back to it; new SIP domains ask for their e-mails', async () => {
    const who = newAdmin();
    const review = await fillSteps(h, 6, who);
    const domains = await h.click('intake.edit', button(review.card, 'Edit', 3).data, { ...who, replyToId: review.messageId });
    expect(title(domains.card)).toBe('SIP domains');
    expect(inputs(domains.card).domains).toBe('contoso.com\nfabrikam.com');
    // The edit keeps its request's label, and offers Cancel (back to the review) instead of Back.
    expect(allText(domains.card)).toMatch(/pool-eu · editing req_[0-9a-z]{16} · SIP domains/);
    expect(buttons(domains.card).map((b) => b.title)).toEqual(['Save and review', 'Cancel']);
    const shown = { card: domains.card, messageId: review.messageId };
    const contacts = await press(h, shown, 'Save and review', { domains: 'contoso.com\nfabrikam.com\nlitware.com' }, who);
    expect(title(contacts.card)).toBe('Contact information');
    expect(inputs(contacts.card)).toMatchObject({ name: 'Dana Admin', 'admin:contoso.com': 'dana@contoso.com', 'admin:litware.com': '' });
    const back = await press(h, { card: contacts.card, messageId: review.messageId }, 'Next', { 'admin:litware.com': 'it@litware.com' }, who);
    expect(title(back.card)).toBe('Review the provisioning request');
    expect(allText(back.card)).toContain('litware.com: it@litware.com');
  });
});

describe('invalid submits: the same card, values kept, a message under each bad field', () => {
  it.each<{ step: number; typed: Record<string, string>; want: Record<string, RegExp> }>([
    { step: 0, typed: { label: 'pool eu', profile: '' }, want: { label: /letters, digits/, profile: /choose the product/ } },
    { step: 1, typed: { agreementType: 'volume-licensing', agreementNumber: '12 34', productUseRights: 'false' }, want: { agreementNumber: /letters, digits and hyphens/, productUseRights: /must be accepted/ } },
    { step: 2, typed: { edge_0: 'sip..contoso.com', edge_1: '10.0.0.1', edge_2: '*.contoso.com', edge_3: 'https://sip.contoso.com' }, want: { edge_0: /empty label/, edge_1: /IP address/, edge_2: /wildcard/, edge_3: /scheme/ } },
    { step: 2, typed: { edge_0: 'sip.contoso.com', edge_1: 'SIP.contoso.com.' }, want: { edge_1: /already listed/ } },
    { step: 3, typed: { domains: 'contoso.com\nsip.contoso.com\n-bad.com' }, want: { domains: /is an Access Edge FQDN[\s\S]*hyphen/ } },
    { step: 4, typed: { name: '', phone: '4255550100', 'admin:contoso.com': 'dana', 'admin:fabrikam.com': '' }, want: { name: /enter the name/, phone: /international form/, 'admin:contoso.com': /e-mail address/, 'admin:fabrikam.com': /administrator of fabrikam.com/ } },
    { step: 5, typed: { scope: 'user', policyName: '', users: 'alice' }, want: { policyName: /per-user policy/, users: /enter a SIP URI/ } },
    { step: 5, typed: { scope: 'site', site: 'EU/West' }, want: { site: /letters, digits/ } },
  ])('step $step: $typed', async ({ step, typed, want }) => {
    const who = newAdmin();
    const shown = await fillSteps(h, step, who);
    const cardTitle = title(shown.card);
    const r = await press(h, shown, VALID[step].button, typed, who);
    expect(title(r.card)).toBe(cardTitle);
    expect(fieldsWithErrors(r.card).sort()).toEqual(Object.keys(want).sort());
    for (const [field, pattern] of Object.entries(want)) expect(errorsUnder(r.card, field).join(' ')).toMatch(pattern);
    // Typed values are kept (as typed, not normalised), and the message is updated for everyone.
    for (const [field, value] of Object.entries(typed)) expect(inputs(r.card)[field]).toBe(value);
    expect(r.calls.map((c) => c.kind)).toEqual(['update']);
  });
});

describe('malformed card data and unknown verbs get a clear refusal, never an exception', () => {
  it.each([
    { name: 'an unknown field', data: (id: string) => ({ draftId: id, domains: 'contoso.com', admin: 'x' }), want: /unknown field "admin"/ },
    { name: 'a field over 1 KiB', data: (id: string) => ({ draftId: id, domains: 'a'.repeat(2000) }), want: /2000 bytes long; the limit is 1 KiB/ },
    { name: 'a number for text', data: (id: string) => ({ draftId: id, domains: 7 }), want: /should be text but is a number/ },
    { name: 'a missing draft id', data: () => ({ domains: 'contoso.com' }), want: /did not send its "draftId"/ },
    { name: 'a draft id that is not ours', data: () => ({ draftId: '../../etc', domains: 'contoso.com' }), want: /is not a request id/ },
    { name: 'a list instead of fields', data: () => ['contoso.com'], want: /sent a list/ },
    { name: 'a string instead of fields', data: () => 'contoso.com', want: /sent a string/ },
  ])('$name', async ({ data, want }) => {
    const who = newAdmin();
    const shown = await fillSteps(h, 3, who);
    const r = await h.click('intake.domains.submit', data(draftIdOf(shown)), { ...who, replyToId: shown.messageId });
    expect(r.status).toBe(200);
    expect(allText(r.card)).toMatch(/That card can't be used/);
    expect(allText(r.card)).toMatch(want);
    // The intake card stays as it was for everyone; the refusal also goes to the bottom of the chat.
    expectRefusalPosted(r);
    // And the draft is untouched: resume brings back the same card.
    const again = await sayForCard(h, 'resume', who);
    expect(title(again.card)).toBe('SIP domains');
  });

  it('an unknown verb', async () => {
    const r = await h.click('intake.teleport', {}, newAdmin());
    expect(r.status).toBe(200);
    expect(allText(r.card)).toMatch(/does not know the action "intake.teleport"/);
  });

  it('a card of someone else\'s intake', async () => {
    const dana = newAdmin();
    const shown = await fillSteps(h, 2, dana);
    const other = newAdmin();
    const r = await press(h, shown, 'Next', VALID[2].typed, other);
    expect(allText(r.card)).toMatch(/belongs to Admin \d+; only they can change it/);
    expectRefusalPosted(r);
  });
});

describe('drafts', () => {
  it('resume after a server restart, in another conversation of the same user', async () => {
    const dana = { user: DANA, conversation: personalChat(DANA) };
    const shown = await fillSteps(h, 3, dana);
    const id = draftIdOf(shown);
    await h.restart();
    const resumed = await sayForCard(h, 'resume', { user: DANA, conversation: channel('lync-ops') });
    expect(title(resumed.card)).toBe('SIP domains');
    expect(draftIdOf(resumed)).toBe(id);
    // The accepted steps are there: going on from the channel finishes the same draft.
    let card: Shown = resumed;
    for (const step of VALID.slice(3)) {
      const r = await press(h, card, step.button, step.typed, { user: DANA, conversation: channel('lync-ops') });
      card = { card: r.card, messageId: resumed.messageId };
    }
    expect(title(card.card)).toBe('Review the provisioning request');
    expect(allText(card.card)).toContain('Runner label: pool-eu');
    expect(allText(card.card)).toContain('Microsoft Volume Licensing agreement number: 12345678');
  });

  it('`start` with an open draft offers resume or discard; one open draft per target', async () => {
    const who = newAdmin();
    await fillSteps(h, 2, who);
    const offer = await sayForCard(h, 'start', who);
    expect(allText(offer.card)).toMatch(/You have an unfinished intake/);
    expect(allText(offer.card)).toMatch(/pool-eu · Lync Server 2013 \(before CU5\)/);
    expect(allText(offer.card)).toMatch(/at step 3 of 6 \(Access Edge FQDNs\)/);

    // A second intake for the same target is refused with the same offer.
    const fresh = await press(h, offer, 'Start one for another deployment', {}, who);
    expect(title(fresh.card)).toBe('Target deployment');
    const same = await press(h, { card: fresh.card, messageId: offer.messageId }, 'Next', { label: 'POOL-EU', profile: 'sfb2019' }, who);
    expect(allText(same.card)).toMatch(/You already have an intake for POOL-EU/);

    const resumed = await press(h, offer, 'Resume', {}, who);
    expect(title(resumed.card)).toBe('Access Edge FQDNs');

    const discarded = await press(h, offer, 'Discard', {}, who);
    expect(allText(discarded.card)).toMatch(/Intake for pool-eu discarded/);
    // A card of the discarded intake is dead for everyone.
    const late = await press(h, { card: resumed.card, messageId: offer.messageId }, 'Next', VALID[2].typed, who);
    expect(allText(late.card)).toMatch(/was discarded/);
    const again = await sayForCard(h, 'start', who);
    expect(title(again.card)).toBe('Target deployment');
  });

  it('the OCS 2007 R2 choice ends the intake with the explanation, and saves nothing', async () => {
    const who = newAdmin();
    const start = await sayForCard(h, 'start', who);
    const r = await press(h, start, 'Next', { label: 'old-pool', profile: 'ocs2007r2-or-older' }, who);
    expect(allText(r.card)).toMatch(/cannot configure OCS 2007 R2 or older/);
    expect(allText(r.card)).toMatch(/no Lync Server Management Shell: configure OCS 2007 R2 with its own administrative tools/);
    expect(allText(r.card)).toMatch(/Live Communications Server 2005 SP1 and Office Communications Server 2007 no longer support public IM connectivity/);
    const resume = await sayForCard(h, 'resume', who);
    expect(allText(resume.card)).toMatch(/Nothing to resume/);
  });

  it('a finished intake is reopened at the review by Edit on its record', async () => {
    const who = newAdmin();
    const review = await fillSteps(h, 6, who);
    const finished = await press(h, review, 'Finish', {}, who);
    const edit = await press(h, { card: finished.card, messageId: review.messageId }, 'Edit', {}, who);
    expect(title(edit.card)).toBe('Review the provisioning request');
    expect(draftIdOf({ card: edit.card, messageId: null })).toBe(draftIdOf(review));
  });
});

describe('commands and welcome', () => {
  it('welcome card when added; help for unknown text; whoami', async () => {
    const added = await h.added({ user: ALEX, conversation: channel('welcome') });
    expect(allText(cardOf(added.calls[0]))).toMatch(/Hello, I'm picbot/);
    const help = await sayForCard(h, 'hello there', { user: ALEX });
    expect(allText(help.card)).toMatch(/I don't know "hello there"/);
    expect(allText(help.card)).toMatch(/start: start a provisioning request/);
    const me = await sayForCard(h, 'whoami', { user: ALEX });
    expect(allText(me.card)).toContain(`Entra object id: ${ALEX.aadObjectId}`);
    expect(allText(me.card)).toContain(`Teams user id: ${ALEX.teamsUserId}`);
    // In a channel, the id to put in PICBOT_APPROVALS_CONVERSATION is the channel's, without the thread part.
    const ops = channel('ops');
    const inChannel = await sayForCard(h, 'whoami', { user: ALEX, conversation: ops });
    expect(allText(inChannel.card)).toContain(`This conversation: ${ops.channelId}`);
    expect(allText(inChannel.card)).not.toContain(';messageid=');
  });

  it('"help" gets the same full card every time (rendered once), and unknown text still says what was heard', async () => {
    const first = await sayForCard(h, 'help', { user: ALEX });
    const second = await sayForCard(h, 'help', { user: ALEX });
    expect(allText(first.card)).toMatch(/start: start a provisioning request/);
    expect(allText(first.card)).toMatch(/runner token LABEL/);
    expect(allText(first.card)).not.toMatch(/I don't know/);
    expect(second.card).toEqual(first.card);
    expect(allText((await sayForCard(h, 'helo', { user: ALEX })).card)).toMatch(/I don't know "helo"/);
    expect(allText((await sayForCard(h, 'help', { user: ALEX })).card)).not.toMatch(/I don't know/);
  });
});

describe('roles', () => {
  let ha: Harness;
  beforeAll(async () => {
    ha = await startHarness({ clock, env: { PICBOT_ADMINS: DANA.aadObjectId } });
  });
  afterAll(async () => {
    await ha?.close();
  });

  it('only admins may start an intake', async () => {
    const alex = await sayForCard(ha, 'start', { user: ALEX });
    expect(allText(alex.card)).toMatch(/Only picbot admins may start an intake/);
    expect(allText(alex.card)).toMatch(/whoami/);
    expect(allText(alex.card)).toMatch(/Local mode: every user is an approver/);
    expect(allText(alex.card)).not.toMatch(/every user is an admin/);
    const dana = await sayForCard(ha, 'start', { user: DANA });
    expect(title(dana.card)).toBe('Target deployment');
    // A non-admin's click on the admin's card is refused for the clicker only.
    const r = await press(ha, dana, 'Next', VALID[0].typed, { user: ALEX });
    expect(allText(r.card)).toMatch(/Only picbot admins may start an intake/);
    expectRefusalPosted(r);
  });
});
