/**
 * The intake handlers over hand-written fakes at the workflow ports (stores, audit, clock):
 * authority, races between two messages, refusals as cards, and the record's status rules.
 */
import { createRoles } from '../../../../src/core/roles';
import { createIntakeCommands } from '../../../../src/bot/handlers/commands';
import { createIntakeNavHandlers } from '../../../../src/bot/handlers/intake-nav';
import { createIntakeStepHandlers } from '../../../../src/bot/handlers/intake-steps';
import { createRequestActionHandlers } from '../../../../src/bot/handlers/request-actions';
import type { ActionResult, ActionTurn, Actor, Card, MessageTurn, Reply } from '../../../../src/bot/turn';
import { VERBS, type Verb } from '../../../../src/bot/verbs';
import { INTAKE_COMMANDS } from '../../../../src/bot/views/common';
import { createIntakeWorkflow } from '../../../../src/bot/workflows/intake';
import { fakeClock } from '../../../fakes/clock';
import { fakeAuditLog, fakeDraftStore, fakeRequestStore } from '../../../fakes/intake-stores';
import { allText, errorsUnder, inputs } from '../../../integration/card-query';

const DANA: Actor = { aadObjectId: 'AAAA-dana', teamsUserId: '29:dana', name: 'Dana' };
const ALEX: Actor = { aadObjectId: 'bbbb-alex', teamsUserId: '29:alex', name: 'Alex' };
const NOBODY: Actor = { aadObjectId: 'cccc-nobody', teamsUserId: '29:nobody', name: 'Nobody' };

function setup() {
  const drafts = fakeDraftStore();
  const requests = fakeRequestStore();
  const audit = fakeAuditLog();
  const clock = fakeClock('2026-11-02T09:00:00.000Z');
  const roles = createRoles({ localMode: false, admins: ['aaaa-dana', 'bbbb-alex'], approvers: ['dddd-approver'] });
  const intake = createIntakeWorkflow({ drafts, requests, audit, clock });
  const deps = { intake, roles, nextSteps: () => ({}) };
  const actions = { ...createIntakeStepHandlers(deps), ...createIntakeNavHandlers(deps), ...createRequestActionHandlers(deps) };
  const commands = createIntakeCommands({ ...deps, commandHelp: INTAKE_COMMANDS });
  const said: Card[] = [];
  const base = (actor: Actor) => ({
    actor,
    conversation: { id: 'c1', type: 'personal' as const, tenantId: null },
    say: async (reply: Reply) => {
      if ('card' in reply) said.push(reply.card);
      return `m${said.length}`;
    },
    update: async () => undefined,
  });
  const click = (verb: Verb, data: unknown, actor: Actor = DANA): Promise<ActionResult> => {
    const turn: ActionTurn = { ...base(actor), kind: 'action', verb, data, messageId: 'm1' };
    const handler = actions[verb];
    if (!handler) throw new Error(`no intake handler for ${verb}`);
    return handler(turn);
  };
  const say = async (text: string, actor: Actor = DANA): Promise<Card> => {
    const [command, ...args] = text.split(' ');
    const turn: MessageTurn = { ...base(actor), kind: 'message', text };
    const handler = (commands.commands as Record<string, (t: MessageTurn, a: string[]) => Promise<void>>)[command] ?? commands.help;
    await handler(turn, args);
    return said[said.length - 1];
  };
  return { drafts, requests, audit, clock, click, say };
}

const STEPS: [Verb, Record<string, string>][] = [
  [VERBS.intakeAgreementSubmit, { agreementType: 'spla-enrollment', agreementNumber: 'SPLA-1', productUseRights: 'true' }],
  [VERBS.intakeEdgeSubmit, { edge_0: 'sip.contoso.com' }],
  [VERBS.intakeDomainsSubmit, { domains: 'contoso.com' }],
  [VERBS.intakeContactsSubmit, { name: 'Dana', 'admin:contoso.com': 'dana@contoso.com' }],
  [VERBS.intakeOptionsSubmit, { scope: 'global', partnerDiscovery: 'true' }],
];

async function startDraft(t: ReturnType<typeof setup>, label = 'pool-eu', actor = DANA): Promise<string> {
  const r = await t.click(VERBS.intakeTargetSubmit, { label, profile: 'sfb2019' }, actor);
  const id = /"draftId":"(req_[0-9a-z]{16})"/.exec(JSON.stringify(r.card))?.[1];
  if (!id) throw new Error(`no draft started: ${allText(r.card)}`);
  return id;
}

async function completeDraft(t: ReturnType<typeof setup>, steps = STEPS.length): Promise<string> {
  const id = await startDraft(t);
  for (const [verb, data] of STEPS.slice(0, steps)) await t.click(verb, { draftId: id, ...data });
  return id;
}

describe('authority', () => {
  it('a non-admin cannot start, by command or by card', async () => {
    const t = setup();
    expect(allText(await t.say('start', NOBODY))).toMatch(/Only picbot admins may start an intake/);
    const r = await t.click(VERBS.intakeTargetSubmit, { label: 'x', profile: 'sfb2019' }, NOBODY);
    expect(r.scope).toBe('clicker');
    expect(t.drafts.drafts.size).toBe(0);
  });

  it('another admin cannot change Dana\'s intake; the clicker alone is told', async () => {
    const t = setup();
    const id = await startDraft(t);
    const r = await t.click(VERBS.intakeAgreementSubmit, { draftId: id, ...STEPS[0][1] }, ALEX);
    expect(allText(r.card)).toMatch(/belongs to Dana/);
    expect(r.scope).toBe('clicker');
    expect(t.drafts.drafts.get(id)?.data.agreement).toBeUndefined();
  });

  it('status is for admins and approvers only', async () => {
    const t = setup();
    expect(allText(await t.say('status', NOBODY))).toMatch(/Only picbot admins and approvers/);
    expect(allText(await t.say('status', { ...NOBODY, aadObjectId: 'dddd-approver' }))).toMatch(/No provisioning request has been saved yet/);
  });

  it('owner keys are case-insensitive Entra ids: the same person resumes', async () => {
    const t = setup();
    const id = await startDraft(t);
    const card = await t.say('resume', { ...DANA, aadObjectId: 'aaaa-DANA' });
    expect(JSON.stringify(card)).toContain(id);
  });
});

describe('drafts', () => {
  it('two clicks racing on one draft: the second sees the draft as it stands, with a notice', async () => {
    const t = setup();
    const id = await startDraft(t);
    t.drafts.raceNextUpdate();
    const r = await t.click(VERBS.intakeAgreementSubmit, { draftId: id, ...STEPS[0][1] });
    expect(allText(r.card)).toMatch(/changed in another message at the same moment/);
    expect(allText(r.card)).toMatch(/Microsoft agreement/);
  });

  it('renaming the target onto another open intake of the same person is refused with the offer', async () => {
    const t = setup();
    await startDraft(t, 'pool-eu');
    const other = await startDraft(t, 'pool-us');
    const r = await t.click(VERBS.intakeTargetSubmit, { draftId: other, label: 'Pool-EU', profile: 'sfb2019' });
    expect(allText(r.card)).toMatch(/You already have an intake for Pool-EU/);
    expect(t.drafts.drafts.get(other)?.targetLabel).toBe('pool-us');
  });

  it('the legacy choice on an existing draft keeps the draft and says why under the field', async () => {
    const t = setup();
    const id = await startDraft(t);
    const r = await t.click(VERBS.intakeTargetSubmit, { draftId: id, label: 'pool-eu', profile: 'ocs2007r2-or-older' });
    expect(errorsUnder(r.card, 'profile')[0]).toMatch(/cannot configure OCS 2007 R2 or older/);
    expect(t.drafts.drafts.get(id)?.data.target?.profile).toBe('sfb2019');
  });

  it('finish before the review is refused; a discarded draft is dead for every card', async () => {
    const t = setup();
    const id = await completeDraft(t, 2);
    const early = await t.click(VERBS.intakeFinish, { draftId: id });
    expect(allText(early.card)).toMatch(/not complete yet/);
    await t.click(VERBS.intakeDiscard, { draftId: id });
    const late = await t.click(VERBS.intakeDomainsSubmit, { draftId: id, domains: 'contoso.com' });
    expect(allText(late.card)).toMatch(/was discarded/);
    expect(late.scope).toBe('everyone');
    expect(t.audit.records.map((a) => a.action)).toEqual(['intake.started', 'intake.step', 'intake.step', 'intake.discarded']);
  });

  it('the record keeps the last complete version when a reopened draft is discarded', async () => {
    const t = setup();
    const id = await completeDraft(t);
    await t.click(VERBS.intakeFinish, { draftId: id });
    await t.click(VERBS.intakeResume, { draftId: id });
    await t.click(VERBS.intakeDomainsSubmit, { draftId: id, domains: 'contoso.com\nfabrikam.com' });
    expect(t.drafts.drafts.get(id)?.position).toBe('contacts');
    const offer = await t.say('start');
    expect(allText(offer)).toMatch(/the request record .* stays as last reviewed/);
    await t.click(VERBS.intakeDiscard, { draftId: id });
    expect(t.requests.records.get(id)?.request.sipDomains).toEqual(['contoso.com']);
  });

  it('resume with several open drafts offers them; with an id brings that one', async () => {
    const t = setup();
    const a = await startDraft(t, 'pool-a');
    await startDraft(t, 'pool-b');
    expect(allText(await t.say('resume'))).toMatch(/You have 2 unfinished intakes/);
    expect(JSON.stringify(await t.say(`resume ${a}`))).toContain(a);
    expect(allText(await t.say('resume plan_0123456789abcdef'))).toMatch(/is not an intake id/);
  });
});

describe('the request record', () => {
  it('active needs submitted first, and the date order holds', async () => {
    const t = setup();
    const id = await completeDraft(t);
    const notYet = await t.click(VERBS.requestActive, { requestId: id, activeOn: '2026-11-01' });
    expect(allText(notYet.card)).toMatch(/Enter the date it was submitted first/);
    await t.click(VERBS.requestSubmitted, { requestId: id, submittedOn: '2026-10-01' });
    const bad = await t.click(VERBS.requestActive, { requestId: id, submittedOn: '2026-10-01', activeOn: '2026-02-30' });
    expect(errorsUnder(bad.card, 'activeOn')).toEqual(['enter a date as YYYY-MM-DD']);
    expect(inputs(bad.card).activeOn).toBe('2026-02-30');
    const ok = await t.click(VERBS.requestActive, { requestId: id, activeOn: '2026-10-25' });
    expect(allText(ok.card)).toMatch(/Active on 2026-10-25, 24 days after submission/);
    const again = await t.click(VERBS.requestSubmitted, { requestId: id, submittedOn: '2026-10-02' });
    expect(allText(again.card)).toMatch(/already active/);
    expect(t.audit.records.filter((a) => a.action === 'request.status').map((a) => a.detail)).toEqual([
      { from: 'draft', to: 'submitted', submittedOn: '2026-10-01' },
      { from: 'submitted', to: 'active', activeOn: '2026-10-25' },
    ]);
  });

  it('approvers may read but not change a record', async () => {
    const t = setup();
    const id = await completeDraft(t);
    const approver = { ...NOBODY, aadObjectId: 'dddd-approver' };
    expect(allText((await t.click(VERBS.requestStatus, { requestId: id }, approver)).card)).toContain(`Provisioning request ${id}`);
    const r = await t.click(VERBS.requestSubmitted, { requestId: id, submittedOn: '2026-10-01' }, approver);
    expect(allText(r.card)).toMatch(/Only picbot admins may change a provisioning request/);
  });

  it('an unknown request id', async () => {
    const t = setup();
    expect(allText((await t.click(VERBS.requestExport, { requestId: 'req_0000000000000000' })).card)).toMatch(/no provisioning request req_0000000000000000/);
    expect(allText(await t.say('status job_0000000000000000'))).toMatch(/not a provisioning request id/);
  });
});
