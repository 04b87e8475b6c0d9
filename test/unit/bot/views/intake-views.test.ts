/** renderCard and the intake views: data → card JSON, the local-mode note, the review's extension point. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardNames, cardsFolder, localModeNote, renderCard } from '../../../../src/bot/views/render';
import { legacyProductCard, refusalCard } from '../../../../src/bot/views/common';
import { legacyProductRefusal } from '../../../../src/core/planner';
import { reviewCard, stepCard } from '../../../../src/bot/views/intake';
import { ProvisioningRequest } from '../../../../src/core/request';
import { allText, errorsUnder, inputs } from '../../../integration/card-query';

const OWN = ['ended', 'help', 'intake-agreement', 'intake-contacts', 'intake-domains', 'intake-edge', 'intake-options', 'intake-target',
  'refusal', 'request-export', 'request-list', 'request-record', 'resume-or-discard', 'review', 'welcome', 'whoami'];

const sample = (name: string) => JSON.parse(readFileSync(join(cardsFolder(), `${name}.data.json`), 'utf8')) as object;

describe('renderCard', () => {
  it('finds the cards folder from the package root', () => {
    expect(cardsFolder()).toBe(join(__dirname, '..', '..', '..', '..', 'cards'));
    expect(cardNames()).toEqual(expect.arrayContaining(OWN));
  });

  it.each(OWN)('%s renders its sample: version 1.5, nothing left unbound', (name) => {
    const card = renderCard(name, sample(name), { localNote: null });
    expect(card.version).toBe('1.5');
    expect(JSON.stringify(card)).not.toContain('${');
  });

  it('puts the local-mode note first on every card, and only in local mode', () => {
    const local = renderCard('welcome', {}, { localNote: 'Local mode: test note.' });
    // Dark text on Teams' warning background, not yellow text on white.
    expect((local.body as Record<string, unknown>[])[0]).toEqual({ type: 'Container', style: 'warning', items: [expect.objectContaining({ type: 'TextBlock', text: 'Local mode: test note.' })] });
    expect(allText(renderCard('welcome', {}, { localNote: null }))).not.toMatch(/Local mode/);
  });

  it('refuses data a template asks for but did not get (a view bug), naming it', () => {
    expect(() => renderCard('refusal', { title: 'x' }, { localNote: null })).toThrow(/rendering card "refusal": no data for reason, hint/);
  });

  it('refuses a name that is not a card name', () => {
    expect(() => renderCard('../package', {})).toThrow(/not a card name/);
  });

  it('shows user text literally, even when it looks like a template expression', () => {
    const card = refusalCard('T', '${reason} and ${1+1}', '');
    expect(allText(card)).toContain('${reason} and ${1+1}');
  });
});

describe('localModeNote', () => {
  it.each([
    { roles: { localMode: false, adminsConfigured: true, approversConfigured: true }, want: null },
    { roles: { localMode: true, adminsConfigured: false, approversConfigured: false }, want: 'Local mode: every user is an admin; every user is an approver and may approve their own plan. Not for production.' },
    { roles: { localMode: true, adminsConfigured: true, approversConfigured: false }, want: 'Local mode: every user is an approver and may approve their own plan. Not for production.' },
    { roles: { localMode: true, adminsConfigured: true, approversConfigured: true }, want: 'Local mode (no Bot Framework sign-in). Not for production.' },
  ])('$roles', ({ roles, want }) => {
    expect(localModeNote(roles)).toBe(want);
  });
});

describe('intake views', () => {
  const draftId = 'req_0123456789abcdef';
  it('the edge card opens the additional FQDNs only when one is filled or wrong', () => {
    const closed = stepCard({ step: 'edge', draftId, data: { accessEdgeFqdns: ['sip.contoso.com'] } });
    expect(JSON.stringify(closed)).toContain('"id":"more-edges","isVisible":false');
    const open = stepCard({ step: 'edge', draftId, data: {}, values: { edge_0: '', edge_4: 'x' }, errors: { edge_4: ['bad'] } });
    expect(JSON.stringify(open)).toContain('"id":"more-edges","isVisible":true');
    expect(errorsUnder(open, 'edge_4')).toEqual(['bad']);
    expect(inputs(open).edge_4).toBe('x');
  });

  it('the contacts card has one e-mail input per SIP domain', () => {
    const card = stepCard({ step: 'contacts', draftId, data: { sipDomains: ['contoso.com', 'fabrikam.com'], contacts: { name: 'D', phone: null, domainAdmins: { 'contoso.com': 'd@contoso.com' } } } });
    expect(inputs(card)).toEqual({ name: 'D', phone: '', 'admin:contoso.com': 'd@contoso.com', 'admin:fabrikam.com': '' });
  });

  it('the legacy product card explains why the intake ends, in the planner\'s own words', () => {
    const text = allText(legacyProductCard());
    expect(text).toContain(legacyProductRefusal().reason);
    expect(text).toMatch(/configure OCS 2007 R2 with its own administrative tools/);
    expect(text).toMatch(/no longer support public IM connectivity/);
  });

  const request = ProvisioningRequest.parse({
    target: { label: 'pool-eu', profile: 'sfbse' },
    agreement: { type: 'high-volume-enrollment', number: 'HV-1', productUseRightsAccepted: true },
    accessEdgeFqdns: ['sip.contoso.com'],
    sipDomains: ['contoso.com', 'sub.contoso.com'],
    contacts: { name: 'Dana', phone: null, domainAdmins: { 'contoso.com': 'a@contoso.com', 'sub.contoso.com': 'b@contoso.com' } },
    options: { policyScope: { kind: 'site', site: 'Redmond' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: true },
  });

  it('the review warns per SIP domain without a top-level Access Edge FQDN', () => {
    const text = allText(reviewCard({ draftId, request }));
    expect(text).toMatch(/top-level name of sub\.contoso\.com/);
    expect(text).not.toMatch(/top-level name of contoso\.com /);
    expect(text).toContain('External access policy: site:Redmond');
    expect(text).toContain('PIC prompt name: set it to True · client policy DisablePICPromptDisplayName');
    expect(text).toContain('Phone: none given');
  });

  it('a 5,000-user review lists the first 20 users and a count, under Teams\' 28 KB', () => {
    const users = Array.from({ length: 5000 }, (_, i) => `sip:user${i}.with.a.long.name@contoso.com`);
    const many = ProvisioningRequest.parse({ ...request, options: { ...request.options, policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users } } });
    const card = reviewCard({ draftId, request: many, next: { discover: true } });
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(28 * 1024);
    const text = allText(card);
    expect(text).toContain(`per-user policy EnablePublicUsers, granted to 5000 users: ${users.slice(0, 20).join(', ')} and 4980 more (Export JSON lists all)`);
    expect(text).not.toContain(users[20]);
    const few = ProvisioningRequest.parse({ ...request, options: { ...request.options, policyScope: { kind: 'user', policyName: 'P', users: users.slice(0, 20) } } });
    expect(allText(reviewCard({ draftId, request: few }))).toContain(`granted to 20 users: ${users.slice(0, 20).join(', ')}`);
  });

  it('the review\'s next-steps area appears only when an area turns an action on', () => {
    expect(JSON.stringify(reviewCard({ draftId, request }))).not.toContain('next-steps');
    const withFlag = JSON.stringify(reviewCard({ draftId, request, next: { discover: true } }));
    expect(withFlag).toContain('next-steps');
  });
});
