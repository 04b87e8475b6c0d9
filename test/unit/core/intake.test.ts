import { calendarDate, parseDateCard, parseEditRef, parseRequestRef, parseStartRef } from '../../../src/core/card-refs';
import { completeRequest, INTAKE_STEPS, nextStep, type IntakeData } from '../../../src/core/intake';
import {
  parseAgreementCard, parseContactsCard, parseDomainsCard, parseEdgeCard, parseOptionsCard, parseTargetCard, stepValues,
} from '../../../src/core/intake-cards';
import { exportShape, fiveDataItems, provisioningProgress, daysBetween } from '../../../src/core/request-record';
import { ProvisioningRequest } from '../../../src/core/request';

const draftId = 'req_0123456789abcdef';

const FULL: IntakeData = {
  target: { label: 'pool-eu', profile: 'lync2013-cu5' },
  agreement: { type: 'mpn-partner-id', number: 'P-42', productUseRightsAccepted: true },
  accessEdgeFqdns: ['sip.contoso.com', 'sip.fabrikam.com'],
  sipDomains: ['contoso.com', 'fabrikam.com'],
  contacts: { name: 'Dana', phone: null, domainAdmins: { 'contoso.com': 'a@contoso.com', 'fabrikam.com': 'b@fabrikam.com' } },
  options: { policyScope: { kind: 'user', policyName: 'EnablePublicUsers', users: ['sip:a@contoso.com'] }, publicAudioVideo: true, partnerDiscovery: false, disablePICPromptDisplayName: false },
};

describe('nextStep', () => {
  it.each([
    { data: {}, want: 'target' },
    { data: { target: FULL.target }, want: 'agreement' },
    { data: { ...FULL, accessEdgeFqdns: undefined }, want: 'edge' },
    { data: { ...FULL, options: undefined }, want: 'options' },
    { data: FULL, want: 'review' },
    // SIP domains changed after the contacts: the contacts card comes back.
    { data: { ...FULL, sipDomains: ['contoso.com', 'fabrikam.com', 'litware.com'] }, want: 'contacts' },
    { data: { ...FULL, sipDomains: ['contoso.com'] }, want: 'contacts' },
  ])('$want', ({ data, want }) => {
    const parsed: IntakeData = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
    expect(nextStep(parsed)).toBe(want);
  });

  it('a complete intake is a valid ProvisioningRequest', () => {
    expect(ProvisioningRequest.parse(completeRequest(FULL))).toEqual(FULL);
    expect(completeRequest({ ...FULL, options: undefined })).toBeNull();
  });
});

describe('stepValues: the card shows an accepted part so that sending it again gives the same part', () => {
  const parse = {
    target: (v: object) => parseTargetCard({ draftId, ...v }),
    agreement: (v: object) => parseAgreementCard({ draftId, ...v }),
    edge: (v: object) => parseEdgeCard({ draftId, ...v }, {}),
    domains: (v: object) => parseDomainsCard({ draftId, ...v }, {}),
    contacts: (v: object) => parseContactsCard({ draftId, ...v }, { sipDomains: FULL.sipDomains! }),
    options: (v: object) => parseOptionsCard({ draftId, ...v }),
  };
  const part = { target: 'target', agreement: 'agreement', edge: 'accessEdgeFqdns', domains: 'sipDomains', contacts: 'contacts', options: 'options' } as const;
  it.each(INTAKE_STEPS)('%s', (step) => {
    const values = stepValues(step, FULL);
    const outcome = parse[step](values);
    expect(outcome).toMatchObject({ kind: 'accepted', part: FULL[part[step]] });
  });
  it('a fresh options card suggests partner discovery and leaves the rest', () => {
    expect(stepValues('options', {})).toMatchObject({ scope: 'global', publicAudioVideo: 'false', partnerDiscovery: 'true', disablePICPromptDisplayName: 'leave' });
  });
});

describe('request record', () => {
  it.each([
    { rec: { status: 'draft', submittedOn: null, activeOn: null }, today: '2026-11-02', wantDays: null, wantText: /Not submitted yet/ },
    { rec: { status: 'submitted', submittedOn: '2026-11-02', activeOn: null }, today: '2026-11-02', wantDays: 0, wantText: /^0 days elapsed of up to 30/ },
    { rec: { status: 'submitted', submittedOn: '2026-11-01', activeOn: null }, today: '2026-11-02', wantDays: 1, wantText: /^1 day elapsed/ },
    { rec: { status: 'submitted', submittedOn: '2026-10-03', activeOn: null }, today: '2026-11-02', wantDays: 30, wantText: /of up to 30 days/ },
    { rec: { status: 'submitted', submittedOn: '2026-10-02', activeOn: null }, today: '2026-11-02', wantDays: 31, wantText: /past the documented 30 days/ },
    { rec: { status: 'active', submittedOn: '2026-10-02', activeOn: '2026-10-12' }, today: '2026-11-02', wantDays: 10, wantText: /Active on 2026-10-12, 10 days after submission/ },
  ] as const)('$rec.status $rec.submittedOn → $wantDays', ({ rec, today, wantDays, wantText }) => {
    const p = provisioningProgress(rec, today);
    expect(p.days).toBe(wantDays);
    expect(p.text).toMatch(wantText);
  });

  it('counts days across a DST change and a leap day as calendar days', () => {
    expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
  });

  it('the five data items in the seed document\'s order', () => {
    expect(fiveDataItems(ProvisioningRequest.parse(FULL), 'Headquarters partner ID').map((i) => i.value)).toEqual([
      'Headquarters partner ID: P-42', 'sip.contoso.com', 'contoso.com, fabrikam.com', 'sip.fabrikam.com',
      'Dana; contoso.com: a@contoso.com; fabrikam.com: b@fabrikam.com',
    ]);
  });

  it('the export shape: the key order of the export format, and it parses back', () => {
    const shape = exportShape(ProvisioningRequest.parse(FULL));
    expect(JSON.stringify(shape)).toBe(
      '{"target":{"label":"pool-eu","profile":"lync2013-cu5"},"agreement":{"type":"mpn-partner-id","number":"P-42","productUseRightsAccepted":true},' +
        '"accessEdgeFqdns":["sip.contoso.com","sip.fabrikam.com"],"sipDomains":["contoso.com","fabrikam.com"],' +
        '"contacts":{"name":"Dana","phone":null,"domainAdmins":{"contoso.com":"a@contoso.com","fabrikam.com":"b@fabrikam.com"}},' +
        '"options":{"policyScope":{"kind":"user","policyName":"EnablePublicUsers","users":["sip:a@contoso.com"]},"publicAudioVideo":true,"partnerDiscovery":false,"disablePICPromptDisplayName":false}}',
    );
    expect(ProvisioningRequest.parse(JSON.parse(JSON.stringify(shape)))).toEqual(FULL);
  });
});

describe('button payloads', () => {
  it.each([
    { name: 'edit', got: parseEditRef({ draftId, section: 'edge' }), want: { ok: true, value: { draftId, section: 'edge' } } },
    { name: 'edit of an unknown section', got: parseEditRef({ draftId, section: 'billing' }), want: { ok: false } },
    { name: 'edit without a section', got: parseEditRef({ draftId }), want: { ok: false } },
    { name: 'request ref', got: parseRequestRef({ requestId: draftId }), want: { ok: true } },
    { name: 'request ref with a plan id', got: parseRequestRef({ requestId: 'plan_0123456789abcdef' }), want: { ok: false } },
    { name: 'start', got: parseStartRef(undefined), want: { ok: true, value: { another: false } } },
    { name: 'start another', got: parseStartRef({ another: 'true' }), want: { ok: true, value: { another: true } } },
    { name: 'start with junk', got: parseStartRef({ another: 'yes' }), want: { ok: false } },
  ])('$name', ({ got, want }) => {
    expect(got).toMatchObject(want);
  });

  it.each([
    { text: '2026-02-28', want: '2026-02-28' },
    { text: '2028-02-29', want: '2028-02-29' },
    { text: '2026-02-29', want: null },
    { text: '2026-13-01', want: null },
    { text: '26-01-01', want: null },
    { text: '2026-01-01T00:00', want: null },
  ])('calendarDate($text)', ({ text, want }) => {
    expect(calendarDate(text)).toBe(want);
  });

  it.each([
    { data: { requestId: draftId, submittedOn: '2026-11-02' }, want: { kind: 'accepted', date: '2026-11-02' } },
    { data: { requestId: draftId }, want: { kind: 'invalid', errors: { submittedOn: ['enter the date'] } } },
    { data: { requestId: draftId, submittedOn: '2026-11-03' }, want: { kind: 'invalid' } },
    { data: { requestId: draftId, submittedOn: '2026-11-02', extra: 'x' }, want: { kind: 'refused' } },
  ])('submitted date $data', ({ data, want }) => {
    expect(parseDateCard(data, 'submittedOn', '2026-11-02')).toMatchObject(want);
  });
});
