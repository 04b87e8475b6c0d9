import type { Profile } from '../../../src/contracts/profiles';
import { SKYPE_RETIREMENT_NOTE } from '../../../src/contracts/skype-provider';
import { plan } from '../../../src/core/planner';
import { planScript, planView } from '../../../src/core/plan-script';
import { configuredState, freshState, requestFixture } from '../../fixtures/load';

describe('planScript', () => {
  it('names each step above its command, lists skipped steps, and comments out the rollback', () => {
    const state = freshState('lync2013');
    state.accessEdge.allowFederatedUsers = true;
    const p = plan(requestFixture('global', { partnerDiscovery: false }), state, 'lync2013');
    const script = planScript(p);
    expect(script).toBe([
      '# picbot plan for Lync Server 2013 (before CU5)',
      `# Observed-state fingerprint: ${p.fingerprint}`,
      `# Plan hash: ${p.planHash}`,
      "# For people to read: picbot's runner applies these steps as data (check, change, verify), not this text.",
      '# Run in the Lync Server Management Shell as a member of RTCUniversalServerAdmins or CsAdministrator.',
      '#',
      '# Warnings:',
      `#   ${SKYPE_RETIREMENT_NOTE}`,
      '#',
      '# Already configured (skipped):',
      '#   [federation] Enable federation on the Access Edge: AllowFederatedUsers is already True.',
      '',
      '# Step 1 of 3 [policy]: Allow federation and public IM (retired by Microsoft on 5 May 2025) in the global external access policy',
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      '',
      '# Step 2 of 3 [provider-remove-1]: Remove the public provider Messenger to re-create it as Skype (retired by Microsoft on 5 May 2025); its proxy FQDN is federation.messenger.msn.com',
      'Remove-CsPublicProvider -Identity Messenger',
      '',
      '# Step 3 of 3 [provider-new]: Create the Skype public provider (retired by Microsoft on 5 May 2025)',
      'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com -IconUrl "https://images.edge.messenger.live.com/Messenger_16x16.png" -VerificationLevel 2 -Enabled 1',
      '',
      '# ---- Rollback ----',
      '# Undoes the steps above in reverse order, from the values captured before the change.',
      '# Commented out so that pasting this script never runs it; picbot sends a rollback for approval like any plan.',
      '# Undo step 3 [provider-new]: Create the Skype public provider (retired by Microsoft on 5 May 2025)',
      '# Remove-CsPublicProvider -Identity Skype',
      '# Undo step 2 [provider-remove-1]: Remove the public provider Messenger to re-create it as Skype (retired by Microsoft on 5 May 2025); its proxy FQDN is federation.messenger.msn.com',
      '# New-CsPublicProvider -Identity Messenger -ProxyFqdn federation.messenger.msn.com -Enabled $false -VerificationLevel AlwaysVerifiable',
      '# Undo step 1 [policy]: Allow federation and public IM (retired by Microsoft on 5 May 2025) in the global external access policy',
      '# Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $false -EnablePublicCloudAccess $false',
      '',
    ].join('\n'));
  });

  it.each<[Profile, string, string]>([
    ['lync2010', 'Lync Server 2010', 'Lync Server Management Shell'],
    ['lync2013', 'Lync Server 2013 (before CU5)', 'Lync Server Management Shell'],
    ['lync2013-cu5', 'Lync Server 2013 CU5 or later', 'Lync Server Management Shell'],
    ['sfb2015', 'Skype for Business Server 2015', 'Skype for Business Server Management Shell'],
    ['sfb2019', 'Skype for Business Server 2019', 'Skype for Business Server Management Shell'],
    ['sfbse', 'Skype for Business Server Subscription Edition', 'Skype for Business Server Management Shell'],
  ])('%s: the header names the product (%s) and its management shell, never the profile id', (profile, product, shell) => {
    const [first, , , , run] = planScript(plan(requestFixture('global', {}, profile), freshState(profile), profile)).split('\n');
    expect(first).toBe(`# picbot plan for ${product}`);
    expect(first).not.toContain(profile);
    expect(run).toBe(`# Run in the ${shell} as a member of RTCUniversalServerAdmins or CsAdministrator.`);
  });

  it('says there is nothing to change', () => {
    const script = planScript(plan(requestFixture('global'), configuredState('sfb2015'), 'sfb2015'));
    expect(script).toMatch(/# Nothing to change: the server is already configured as requested\.\n$/);
    expect(script).toMatch(/# {3}\[provider\] Create the Skype public provider \(retired by Microsoft on 5 May 2025\): The public provider Skype already exists/);
  });

  it('shows refusals and no command', () => {
    const state = freshState('lync2013');
    state.accessEdge.routing = 'DefaultRoute';
    const script = planScript(plan(requestFixture('global'), state, 'lync2013'));
    expect(script).toMatch(/# REFUSED: nothing will be changed\.\n# \[routing_not_dns_srv\] The Access Edge uses default routing/);
    expect(script.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
  });

  it('keeps every rollback line commented even for values with line breaks', () => {
    const state = freshState('lync2013');
    state.publicProviders[1].iconUrl = 'https://x.example/a.png\nRemove-CsPublicProvider -Identity AOL';
    const script = planScript(plan(requestFixture('global'), state, 'lync2013'));
    const rollback = script.slice(script.indexOf('# ---- Rollback'));
    expect(rollback.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    expect(rollback).toContain('-IconUrl "https://x.example/a.png`nRemove-CsPublicProvider -Identity AOL"');
  });
});

describe('planView', () => {
  it('adds the PowerShell text to each step and rollback entry', () => {
    const p = plan(requestFixture('site'), freshState('lync2010'), 'lync2010');
    const view = planView(p);
    expect(view.steps[1]).toEqual({
      id: 'policy',
      title: 'Create the site external access policy site:Redmond with federation and public IM (retired by Microsoft on 5 May 2025) access',
      op: 'externalAccessPolicy.new',
      params: { identity: 'site:Redmond', enableFederationAccess: true, enablePublicCloudAccess: true },
      powershell: 'New-CsExternalAccessPolicy -Identity site:Redmond -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      rollback: [{ op: 'externalAccessPolicy.remove', params: { identity: 'site:Redmond' }, powershell: 'Remove-CsExternalAccessPolicy -Identity site:Redmond' }],
    });
    expect(view).toMatchObject({ profile: 'lync2010', fingerprint: p.fingerprint, planHash: p.planHash, refusals: [], alreadyConfigured: [] });
  });
});
