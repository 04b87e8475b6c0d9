import {
  MAX_USERS_TEXT_BYTES, parseAgreementCard, parseContactsCard, parseDomainsCard, parseEdgeCard, parseOptionsCard, parseTargetCard,
  stepValues, type StepOutcome,
} from '../../../src/core/intake-cards';

const draftId = 'req_0123456789abcdef';

function want<T>(o: StepOutcome<T> | { kind: 'legacy' }): T {
  if (o.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.part;
}
function errorsOf(o: StepOutcome<unknown> | { kind: 'legacy' }): Record<string, string[]> {
  if (o.kind !== 'invalid') throw new Error(`expected invalid, got ${JSON.stringify(o)}`);
  return o.errors;
}

const long = (n: number) => 'a'.repeat(n);
const label63 = long(63);
const label64 = long(64);
// 254 characters: four 62-character labels, three dots and ".co".
const name254 = [long(62), long(62), long(62), long(62), 'co'].join('.');

describe('Access Edge FQDN rules (edge card)', () => {
  it.each([
    { in: 'sip.contoso.com', want: 'sip.contoso.com' },
    { in: '  SIP.Contoso.COM  ', want: 'sip.contoso.com' },
    { in: 'sip.contoso.com.', want: 'sip.contoso.com' },
    { in: `${label63}.contoso.com`, want: `${label63}.contoso.com` },
    { in: 'xn--bcher-kva.example', want: 'xn--bcher-kva.example' },
    { in: 'a-b.c-d.contoso.com', want: 'a-b.c-d.contoso.com' },
    { in: '1sip.contoso.com', want: '1sip.contoso.com' },
  ])('accepts $in', (row) => {
    expect(want(parseEdgeCard({ draftId, edge_0: row.in }, {}))).toEqual([row.want]);
  });

  it.each([
    { in: 'sip..contoso.com', wantError: /empty label/ },
    { in: '-sip.contoso.com', wantError: /hyphen/ },
    { in: 'sip-.contoso.com', wantError: /hyphen/ },
    { in: '10.0.0.1', wantError: /IP address/ },
    { in: '*.contoso.com', wantError: /wildcard/ },
    { in: 'https://sip.contoso.com', wantError: /scheme/ },
    { in: 'sip.contoso.com:5061', wantError: /port/ },
    { in: 'sip.contoso.com/path', wantError: /path/ },
    { in: `${label64}.contoso.com`, wantError: /longer than 63/ },
    { in: name254, wantError: /253/ },
    { in: 'sip.bücher.de', wantError: /ASCII/ },
    { in: 'контакт.рф', wantError: /ASCII/ },
    { in: 'localhost', wantError: /two labels/ },
    { in: 'sip_x.contoso.com', wantError: /letters, digits and hyphens/ },
    { in: 'admin@contoso.com', wantError: /not an e-mail/ },
    { in: 'sip:contoso.com', wantError: /without "sip:"/ },
    { in: 'sip.contoso.123', wantError: /all digits/ },
    { in: 'sip.contoso.com..', wantError: /empty label/ },
  ])('refuses $in', (row) => {
    const errors = errorsOf(parseEdgeCard({ draftId, edge_0: row.in }, {}));
    expect(errors.edge_0.join(' ')).toMatch(row.wantError);
  });

  it('name254 really is 254 characters', () => expect(name254).toHaveLength(254));

  it('keeps up to ten FQDNs in order, skipping empty inputs', () => {
    const data: Record<string, string> = { draftId };
    for (let i = 0; i < 10; i++) data[`edge_${i}`] = i === 4 ? '' : `e${i}.contoso.com`;
    expect(want(parseEdgeCard(data, {}))).toEqual(['e0', 'e1', 'e2', 'e3', 'e5', 'e6', 'e7', 'e8', 'e9'].map((e) => `${e}.contoso.com`));
  });

  it('refuses duplicates (after normalising) under the later field', () => {
    const errors = errorsOf(parseEdgeCard({ draftId, edge_0: 'sip.contoso.com', edge_1: 'SIP.contoso.com.' }, {}));
    expect(errors).toEqual({ edge_1: ['sip.contoso.com is already listed above'] });
  });

  it('requires the Access Edge service FQDN even when an additional one is given', () => {
    const errors = errorsOf(parseEdgeCard({ draftId, edge_3: 'sip.contoso.com' }, {}));
    expect(Object.keys(errors)).toEqual(['edge_0']);
  });

  it('refuses an FQDN that is one of the SIP domains', () => {
    const errors = errorsOf(parseEdgeCard({ draftId, edge_0: 'contoso.com' }, { sipDomains: ['contoso.com'] }));
    expect(errors.edge_0[0]).toMatch(/one of your SIP domains/);
  });

  it('an eleventh FQDN is an unknown field (refusal)', () => {
    expect(parseEdgeCard({ draftId, edge_0: 'sip.contoso.com', edge_10: 'x.contoso.com' }, {})).toEqual({
      kind: 'refused', reason: 'the card sent an unknown field "edge_10"',
    });
  });

  it('keeps every typed value when invalid', () => {
    const o = parseEdgeCard({ draftId, edge_0: 'sip..contoso.com', edge_1: 'ok.contoso.com' }, {});
    expect(o.kind === 'invalid' && o.values).toMatchObject({ edge_0: 'sip..contoso.com', edge_1: 'ok.contoso.com', edge_2: '' });
  });
});

describe('SIP domains card', () => {
  it.each([
    { in: 'contoso.com', want: ['contoso.com'] },
    { in: 'Contoso.COM\nexample.fabrikam.com', want: ['contoso.com', 'example.fabrikam.com'] },
    { in: 'contoso.com, fabrikam.com; litware.com.', want: ['contoso.com', 'fabrikam.com', 'litware.com'] },
  ])('accepts $in', (row) => {
    expect(want(parseDomainsCard({ draftId, domains: row.in }, {}))).toEqual(row.want);
  });

  it.each([
    { in: '', wantError: /at least one/ },
    { in: '   \n ', wantError: /at least one/ },
    { in: 'contoso.com\ncontoso.com', wantError: /listed twice/ },
    { in: 'sip..contoso.com', wantError: /“sip\.\.contoso\.com”: empty label/ },
    { in: 'alice@contoso.com', wantError: /not an e-mail/ },
    { in: '10.0.0.1', wantError: /IP address/ },
    { in: 'sip.contoso.com', wantError: /is an Access Edge FQDN/ },
    { in: Array.from({ length: 51 }, (_, i) => `d${i}.com`).join('\n'), wantError: /at most 50/ },
  ])('refuses $in', (row) => {
    const errors = errorsOf(parseDomainsCard({ draftId, domains: row.in }, { accessEdgeFqdns: ['sip.contoso.com'] }));
    expect(errors.domains.join(' | ')).toMatch(row.wantError);
  });

  it('lists one message per bad entry', () => {
    const errors = errorsOf(parseDomainsCard({ draftId, domains: 'a..b.com\n-x.com\nok.com' }, {}));
    expect(errors.domains).toHaveLength(2);
  });
});

describe('target card', () => {
  it('accepts a label and a profile', () => {
    expect(want(parseTargetCard({ label: ' pool-eu ', profile: 'lync2013' }))).toEqual({ label: 'pool-eu', profile: 'lync2013' });
  });
  it('the legacy choice ends the intake', () => {
    expect(parseTargetCard({ label: '', profile: 'ocs2007r2-or-older' }).kind).toBe('legacy');
  });
  it.each([
    { data: {}, want: { label: [expect.stringMatching(/enter the runner label/)], profile: [expect.stringMatching(/choose the product/)] } },
    { data: { label: 'pool eu', profile: 'sfb2019' }, want: { label: [expect.stringMatching(/letters, digits/)] } },
    { data: { label: label64, profile: 'sfb2019' }, want: { label: [expect.stringMatching(/63/)] } },
    { data: { label: 'pool', profile: 'ocs2007' }, want: { profile: ['choose one of the listed products'] } },
  ])('refuses $data', (row) => {
    expect(errorsOf(parseTargetCard(row.data))).toEqual(row.want);
  });
});

describe('agreement card', () => {
  const ok = { draftId, agreementType: 'volume-licensing', agreementNumber: '12345678', productUseRights: 'true' };
  it('accepts each of the four types', () => {
    for (const type of ['volume-licensing', 'mpn-partner-id', 'spla-enrollment', 'high-volume-enrollment']) {
      expect(want(parseAgreementCard({ ...ok, agreementType: type }))).toEqual({ type, number: '12345678', productUseRightsAccepted: true });
    }
  });
  it.each([
    { change: { agreementType: '' }, field: 'agreementType', wantError: /choose the agreement type/ },
    { change: { agreementType: 'enterprise' }, field: 'agreementType', wantError: /four/ },
    { change: { agreementNumber: '' }, field: 'agreementNumber', wantError: /enter the Microsoft Volume Licensing agreement number/ },
    { change: { agreementNumber: '12 34' }, field: 'agreementNumber', wantError: /letters, digits and hyphens/ },
    { change: { agreementNumber: '1'.repeat(65) }, field: 'agreementNumber', wantError: /64/ },
    { change: { agreementNumber: 'número1' }, field: 'agreementNumber', wantError: /letters, digits and hyphens/ },
    { change: { productUseRights: 'false' }, field: 'productUseRights', wantError: /must be accepted/ },
    { change: { productUseRights: undefined }, field: 'productUseRights', wantError: /must be accepted/ },
  ])('refuses $change', (row) => {
    const data: Record<string, unknown> = { ...ok, ...row.change };
    for (const k of Object.keys(data)) if (data[k] === undefined) delete data[k];
    const errors = errorsOf(parseAgreementCard(data));
    expect(Object.keys(errors)).toEqual([row.field]);
    expect(errors[row.field][0]).toMatch(row.wantError);
  });
  it('accepts a 64-character number with hyphens', () => {
    expect(want(parseAgreementCard({ ...ok, agreementNumber: `A-${'1'.repeat(62)}` })).number).toHaveLength(64);
  });
});

describe('contacts card', () => {
  const ctx = { sipDomains: ['contoso.com', 'fabrikam.com'] };
  const ok = { draftId, name: 'Dana Admin', 'admin:contoso.com': 'dana@contoso.com', 'admin:fabrikam.com': 'ops@fabrikam.com' };
  it('accepts without a phone (null)', () => {
    expect(want(parseContactsCard(ok, ctx))).toEqual({
      name: 'Dana Admin', phone: null, domainAdmins: { 'contoso.com': 'dana@contoso.com', 'fabrikam.com': 'ops@fabrikam.com' },
    });
  });
  it('accepts an E.164-like phone', () => {
    expect(want(parseContactsCard({ ...ok, phone: '+1 (425) 555-0100' }, ctx)).phone).toBe('+1 (425) 555-0100');
  });
  it.each([
    { change: { name: '  ' }, field: 'name', wantError: /enter the name/ },
    { change: { name: 'x'.repeat(129) }, field: 'name', wantError: /128/ },
    { change: { phone: '4255550100' }, field: 'phone', wantError: /international form/ },
    { change: { phone: '+0425' }, field: 'phone', wantError: /international form/ },
    { change: { 'admin:contoso.com': '' }, field: 'admin:contoso.com', wantError: /administrator of contoso.com/ },
    { change: { 'admin:fabrikam.com': 'not-an-email' }, field: 'admin:fabrikam.com', wantError: /e-mail address/ },
    { change: { 'admin:fabrikam.com': 'a@b' }, field: 'admin:fabrikam.com', wantError: /e-mail address/ },
    { change: { phone: '+1-------' }, field: 'phone', wantError: /7 to 15 digits/ },
    { change: { phone: '+1 ()()()-' }, field: 'phone', wantError: /7 to 15 digits/ },
    { change: { 'admin:fabrikam.com': '.a@contoso.com' }, field: 'admin:fabrikam.com', wantError: /cannot start or end with a dot/ },
    { change: { 'admin:fabrikam.com': 'a..b@contoso.com' }, field: 'admin:fabrikam.com', wantError: /two dots in a row/ },
    { change: { 'admin:fabrikam.com': 'a.@contoso.com' }, field: 'admin:fabrikam.com', wantError: /cannot start or end with a dot/ },
    { change: { 'admin:fabrikam.com': 'a@contoso..com' }, field: 'admin:fabrikam.com', wantError: /domain of the e-mail address: empty label/ },
  ])('refuses $change', (row) => {
    const errors = errorsOf(parseContactsCard({ ...ok, ...row.change }, ctx));
    expect(Object.keys(errors)).toEqual([row.field]);
    expect(errors[row.field][0]).toMatch(row.wantError);
  });
  it('a card drawn for other domains is shown again with the current ones', () => {
    const o = parseContactsCard({ ...ok, 'admin:old.com': 'x@old.com' }, ctx);
    expect(o.kind).toBe('invalid');
    if (o.kind === 'invalid') {
      expect(o.notice).toMatch(/SIP domains changed/);
      expect(o.values['admin:old.com']).toBeUndefined();
      expect(o.values['admin:contoso.com']).toBe('dana@contoso.com');
    }
  });
  it('more admin inputs than SIP domains can exist is a refusal', () => {
    const data: Record<string, string> = { draftId };
    for (let i = 0; i < 51; i++) data[`admin:d${i}.com`] = 'a@b.com';
    expect(parseContactsCard(data, ctx).kind).toBe('refused');
  });
});

describe('options card', () => {
  const ok = { draftId, scope: 'global', publicAudioVideo: 'false', partnerDiscovery: 'true', disablePICPromptDisplayName: 'leave' };
  it('accepts the example of the export format', () => {
    expect(want(parseOptionsCard(ok))).toEqual({
      policyScope: { kind: 'global' }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null,
      // A card without the Skype choice (or with it untouched) asks for federation only.
      skypeProvider: false,
    });
  });
  it.each([
    { skype: 'federation', want: false },
    { skype: 'federation-skype', want: true },
    { skype: '', want: false },
  ])('the Skype choice $skype gives skypeProvider $want', ({ skype, want: wanted }) => {
    expect(want(parseOptionsCard({ ...ok, skype })).skypeProvider).toBe(wanted);
  });
  it('refuses an unknown Skype choice under the field', () => {
    const r = parseOptionsCard({ ...ok, skype: 'skype-only' });
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') expect(r.errors.skype?.[0]).toMatch(/federation only/);
  });
  it('a new request\'s card suggests federation only; options saved before the choice keep the Skype provider', () => {
    expect(stepValues('options', {}).skype).toBe('federation');
    const saved = { policyScope: { kind: 'global' as const }, publicAudioVideo: false, partnerDiscovery: true, disablePICPromptDisplayName: null };
    expect(stepValues('options', { options: saved }).skype).toBe('federation-skype');
    expect(stepValues('options', { options: { ...saved, skypeProvider: false } }).skype).toBe('federation');
  });
  it('"change it for its other holders too" is kept for a per-user scope only', () => {
    const user = { ...ok, scope: 'user', policyName: 'P', users: 'sip:a@contoso.com', changeForOtherHolders: 'true' };
    expect(want(parseOptionsCard(user)).changeForOtherHolders).toBe(true);
    expect(want(parseOptionsCard({ ...user, changeForOtherHolders: 'false' })).changeForOtherHolders).toBeUndefined();
    expect(want(parseOptionsCard({ ...ok, changeForOtherHolders: 'true' })).changeForOtherHolders).toBeUndefined();
  });
  it.each([
    { change: { scope: 'site', site: 'EU-West' }, want: { kind: 'site', site: 'EU-West' } },
    { change: { scope: 'site', site: 'site:Redmond' }, want: { kind: 'site', site: 'Redmond' } },
    {
      change: { scope: 'user', policyName: 'EnablePublicUsers', users: 'sip:alice@contoso.com\nBob@Contoso.com' },
      want: { kind: 'user', policyName: 'EnablePublicUsers', users: ['sip:alice@contoso.com', 'sip:bob@contoso.com'] },
    },
  ])('accepts scope $change.scope', (row) => {
    expect(want(parseOptionsCard({ ...ok, ...row.change })).policyScope).toEqual(row.want);
  });
  it('takes up to 5,000 users (the card sends one per line), refuses one more, and names a repeat among thousands', () => {
    const users = (n: number) => Array.from({ length: n }, (_, i) => `sip:user${i}@contoso.com`);
    const most = want(parseOptionsCard({ ...ok, scope: 'user', policyName: 'P', users: users(5000).join('\n') })).policyScope;
    expect(most).toEqual({ kind: 'user', policyName: 'P', users: users(5000) });
    expect(errorsOf(parseOptionsCard({ ...ok, scope: 'user', policyName: 'P', users: users(5001).join('\n') })).users).toEqual(['at most 5000 users']);
    const repeated = [...users(4000), 'sip:user17@contoso.com'].join('\n');
    expect(errorsOf(parseOptionsCard({ ...ok, scope: 'user', policyName: 'P', users: repeated })).users).toEqual(['sip:user17@contoso.com is listed twice']);
  });
  it('only the users list may be longer than 1 KiB, and only up to its own limit', () => {
    expect(parseOptionsCard({ ...ok, scope: 'user', policyName: 'P', users: `sip:a@contoso.com\n${' '.repeat(MAX_USERS_TEXT_BYTES)}` }))
      .toEqual({ kind: 'refused', reason: `the field "users" is ${MAX_USERS_TEXT_BYTES + 18} bytes long; the limit is ${MAX_USERS_TEXT_BYTES} bytes for this field` });
    expect(parseOptionsCard({ ...ok, site: 'x'.repeat(1025) })).toEqual({ kind: 'refused', reason: 'the field "site" is 1025 bytes long; the limit is 1 KiB per field' });
  });
  it.each([
    { change: { disablePICPromptDisplayName: 'set-true' }, want: true },
    { change: { disablePICPromptDisplayName: 'set-false' }, want: false },
    { change: { disablePICPromptDisplayName: undefined }, want: null },
  ])('DisablePICPromptDisplayName $change', (row) => {
    const data: Record<string, unknown> = { ...ok, ...row.change };
    if (data.disablePICPromptDisplayName === undefined) delete data.disablePICPromptDisplayName;
    expect(want(parseOptionsCard(data)).disablePICPromptDisplayName).toBe(row.want);
  });
  it('an unticked (absent) toggle means "leave it as it is" (false)', () => {
    const { publicAudioVideo: _a, partnerDiscovery: _p, ...rest } = ok;
    expect(want(parseOptionsCard(rest))).toMatchObject({ publicAudioVideo: false, partnerDiscovery: false });
  });
  it.each([
    { change: { scope: '' }, field: 'scope', wantError: /choose where/ },
    { change: { scope: 'tenant' }, field: 'scope', wantError: /global, a site/ },
    { change: { scope: 'site', site: '' }, field: 'site', wantError: /site name/ },
    { change: { scope: 'site', site: 'EU/West' }, field: 'site', wantError: /letters, digits/ },
    { change: { scope: 'user', policyName: '', users: 'sip:a@contoso.com' }, field: 'policyName', wantError: /per-user policy/ },
    { change: { scope: 'user', policyName: 'P', users: '' }, field: 'users', wantError: /at least one user/ },
    { change: { scope: 'user', policyName: 'P', users: 'alice' }, field: 'users', wantError: /“alice”: enter a SIP URI/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:a@contoso.com sip:A@contoso.com' }, field: 'users', wantError: /listed twice/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:a@contoso..com' }, field: 'users', wantError: /“sip:a@contoso..com”: the domain after @: empty label/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:a@-.com' }, field: 'users', wantError: /“sip:a@-.com”: the domain after @: the label "-" starts or ends with a hyphen/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:.@contoso.com' }, field: 'users', wantError: /“sip:.@contoso.com”: the user part before @ .*no leading, trailing or double dot/ },
    { change: { scope: 'user', policyName: 'P', users: 'a..b@contoso.com' }, field: 'users', wantError: /“a..b@contoso.com”: the user part before @/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:a@10.0.0.1' }, field: 'users', wantError: /domain after @: enter a DNS name, not an IP/ },
    { change: { scope: 'user', policyName: 'P', users: 'sip:a@b@contoso.com' }, field: 'users', wantError: /enter a SIP URI/ },
    { change: { publicAudioVideo: 'yes' }, field: 'publicAudioVideo', wantError: /tick or clear/ },
    { change: { disablePICPromptDisplayName: 'maybe' }, field: 'disablePICPromptDisplayName', wantError: /leave, set to true/ },
  ])('refuses $change', (row) => {
    const errors = errorsOf(parseOptionsCard({ ...ok, ...row.change }));
    expect(Object.keys(errors)).toEqual([row.field]);
    expect(errors[row.field][0]).toMatch(row.wantError);
  });
});

describe('malformed card data is a refusal, never an exception', () => {
  it.each([
    { name: 'not an object', data: 'hello', wantRefusal: /sent a string/ },
    { name: 'a list', data: [1], wantRefusal: /sent a list/ },
    { name: 'unknown field', data: { draftId, domains: 'contoso.com', evil: 'x' }, wantRefusal: /unknown field "evil"/ },
    { name: 'missing draft id', data: { domains: 'contoso.com' }, wantRefusal: /did not send its "draftId"/ },
    { name: 'draft id not ours', data: { draftId: 'plan_0123456789abcdef', domains: 'x.com' }, wantRefusal: /not a request id/ },
    { name: 'number instead of text', data: { draftId, domains: 42 }, wantRefusal: /should be text but is a number/ },
    { name: 'object instead of text', data: { draftId, domains: { a: 1 } }, wantRefusal: /is an object/ },
    { name: 'null instead of text', data: { draftId, domains: null }, wantRefusal: /is null/ },
    { name: 'over 1 KiB', data: { draftId, domains: 'a'.repeat(1025) }, wantRefusal: /1025 bytes.*1 KiB/ },
    { name: 'over 1 KiB in UTF-8', data: { draftId, domains: 'é'.repeat(513) }, wantRefusal: /1026 bytes/ },
  ])('$name', (row) => {
    const o = parseDomainsCard(row.data, {});
    expect(o.kind).toBe('refused');
    expect(o.kind === 'refused' && o.reason).toMatch(row.wantRefusal);
  });
  it('exactly 1 KiB is fine structurally', () => {
    expect(parseDomainsCard({ draftId, domains: 'a'.repeat(1024) }, {}).kind).toBe('invalid');
  });
});
