/** The field rules of the provisioning request that the intake cards and `picbot plan` share. */
import { Email, Phone, ProvisioningRequest, SipUri } from '../../../src/core/request';
import { requestFixture } from '../../fixtures/load';

const messageOf = (r: { success: boolean; error?: { issues: { message: string }[] } }) => (r.success ? null : r.error!.issues[0].message);

describe('SipUri', () => {
  it.each([
    { in: 'sip:alice@contoso.com', want: 'sip:alice@contoso.com' },
    { in: '  SIP:Alice.Smith@Contoso.COM ', want: 'sip:alice.smith@contoso.com' },
    { in: "sip:o'neil_1+x%2-y@it.contoso-edge.com", want: "sip:o'neil_1+x%2-y@it.contoso-edge.com" },
  ])('accepts $in', (row) => {
    expect(SipUri.parse(row.in)).toBe(row.want);
  });
  it.each([
    { in: 'alice@contoso.com', wantError: /enter a SIP URI/ },
    { in: 'sip:@contoso.com', wantError: /enter a SIP URI/ },
    { in: 'sip:alice@', wantError: /enter a SIP URI/ },
    { in: 'sip:a@b@contoso.com', wantError: /enter a SIP URI/ },
    { in: 'sip:a@contoso..com', wantError: /domain after @: empty label/ },
    { in: 'sip:a@.contoso.com', wantError: /domain after @: empty label/ },
    { in: 'sip:a@contoso.com.', wantError: /domain after @: empty label/ },
    { in: 'sip:a@-.com', wantError: /domain after @: the label "-" starts or ends with a hyphen/ },
    { in: 'sip:a@-sip.contoso.com', wantError: /starts or ends with a hyphen/ },
    { in: 'sip:a@contoso', wantError: /at least two labels/ },
    { in: 'sip:a@10.0.0.1', wantError: /not an IP address/ },
    { in: 'sip:a@*.contoso.com', wantError: /wildcards/ },
    { in: 'sip:a@contoso.com:5061', wantError: /not an IP address or a port/ },
    { in: 'sip:.@contoso.com', wantError: /user part before @/ },
    { in: 'sip:.a@contoso.com', wantError: /user part before @/ },
    { in: 'sip:a.@contoso.com', wantError: /user part before @/ },
    { in: 'sip:a..b@contoso.com', wantError: /no leading, trailing or double dot/ },
    { in: 'sip:a b@contoso.com', wantError: /user part before @/ },
    { in: 'sip:ålice@contoso.com', wantError: /user part before @/ },
  ])('refuses $in', (row) => {
    expect(messageOf(SipUri.safeParse(row.in))).toMatch(row.wantError);
  });
});

describe('Email', () => {
  it.each([
    { in: 'dana@contoso.com' },
    { in: 'Dana.Admin@Contoso.com' },
    { in: "o'neil+pic@it.contoso-edge.com" },
  ])('accepts $in', (row) => {
    expect(Email.parse(` ${row.in} `)).toBe(row.in);
  });
  it.each([
    { in: '.a@contoso.com', wantError: /cannot start or end with a dot/ },
    { in: 'a.@contoso.com', wantError: /cannot start or end with a dot/ },
    { in: 'a..b@contoso.com', wantError: /two dots in a row/ },
    { in: 'a@contoso..com', wantError: /domain of the e-mail address: empty label/ },
    { in: 'a@-contoso.com', wantError: /hyphen/ },
    { in: 'a@10.0.0.1', wantError: /not an IP address/ },
    { in: 'a@b', wantError: /at least two labels/ },
    { in: 'a@', wantError: /enter an e-mail address/ },
    { in: '@contoso.com', wantError: /enter an e-mail address/ },
    { in: 'a@b@contoso.com', wantError: /enter an e-mail address/ },
    { in: 'a b@contoso.com', wantError: /enter an e-mail address/ },
    { in: `${'a'.repeat(65)}@contoso.com`, wantError: /at most 64/ },
  ])('refuses $in', (row) => {
    expect(messageOf(Email.safeParse(row.in))).toMatch(row.wantError);
  });
});

describe('Phone', () => {
  it.each([
    { in: '+14255550100' },
    { in: '+1 (425) 555-0100' },
    { in: '+4930123' },
    { in: '+123456789012345' },
  ])('accepts $in', (row) => {
    expect(Phone.parse(row.in)).toBe(row.in);
  });
  it.each([
    { in: '+1-------', wantError: /7 to 15 digits/ },
    { in: '+1 ()()()-', wantError: /7 to 15 digits/ },
    { in: '+1 (42) --', wantError: /7 to 15 digits/ },
    { in: '+1234567890123456', wantError: /7 to 15 digits/ },
    { in: '4255550100', wantError: /international form/ },
    { in: '+0425550100', wantError: /international form/ },
    { in: '+1 425 555 0100 ext 12', wantError: /international form/ },
  ])('refuses $in', (row) => {
    expect(messageOf(Phone.safeParse(row.in))).toMatch(row.wantError);
  });
});

describe('ProvisioningRequest applies the same rules', () => {
  it.each([
    { change: (r: any) => { r.options.policyScope = { kind: 'user', policyName: 'P', users: ['sip:a@contoso..com'] }; }, path: 'options.policyScope.users.0' },
    { change: (r: any) => { r.contacts.phone = '+1-------'; }, path: 'contacts.phone' },
    { change: (r: any) => { r.contacts.domainAdmins['contoso.com'] = 'a..b@contoso.com'; }, path: 'contacts.domainAdmins.contoso.com' },
  ])('refuses at $path', (row) => {
    const request = JSON.parse(JSON.stringify(requestFixture('global')));
    expect(ProvisioningRequest.safeParse(request).success).toBe(true);
    row.change(request);
    const r = ProvisioningRequest.safeParse(request);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual([row.path]);
  });
});
