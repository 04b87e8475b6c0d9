/** Roles are keyed by tenant and object id. */
import { createRoles } from '../../../src/core/roles';

const HOME = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PARTNER = '5f4e3d2c-1b0a-4987-8654-3210fedcba98';
const DANA = '6c4b1e2a-1f3d-4e5a-9b8c-7d6e5f4a3b21';
const PAT = 'c0ffee00-1111-4222-8333-444455556666';

describe('roles keyed by tenant', () => {
  const production = createRoles({ localMode: false, admins: [DANA, { tenantId: PARTNER, objectId: PAT }], approvers: [DANA], homeTenant: HOME });

  it.each([
    { who: 'Dana in the home tenant', actor: { aadObjectId: DANA, tenantId: HOME }, admin: true, approver: true },
    { who: 'Dana\'s object id claimed from another tenant', actor: { aadObjectId: DANA, tenantId: PARTNER }, admin: false, approver: false },
    { who: 'Dana\'s object id with no tenant', actor: { aadObjectId: DANA, tenantId: null }, admin: false, approver: false },
    { who: 'Dana\'s object id, upper case, home tenant upper case', actor: { aadObjectId: DANA.toUpperCase(), tenantId: HOME.toUpperCase() }, admin: true, approver: true },
    { who: 'Pat in the partner tenant', actor: { aadObjectId: PAT, tenantId: PARTNER }, admin: true, approver: false },
    { who: 'Pat\'s object id in the home tenant', actor: { aadObjectId: PAT, tenantId: HOME }, admin: false, approver: false },
    { who: 'nobody', actor: { aadObjectId: null, tenantId: HOME }, admin: false, approver: false },
  ])('production: $who', ({ actor, admin, approver }) => {
    expect(production.isAdmin(actor)).toBe(admin);
    expect(production.isApprover(actor)).toBe(approver);
  });

  it('local mode: a key without a tenant matches any tenant (Agents Playground makes up its own)', () => {
    const local = createRoles({ localMode: true, admins: [DANA], approvers: [] });
    expect(local.isAdmin({ aadObjectId: DANA, tenantId: '00000000-0000-0000-0000-000000000001' })).toBe(true);
    expect(local.isAdmin({ aadObjectId: PAT, tenantId: HOME })).toBe(false);
    expect(local.isApprover({ aadObjectId: PAT, tenantId: null })).toBe(true);
  });

  it('isApproverId re-counts stored votes by object id (each passed the tenant check when cast)', () => {
    expect(production.isApproverId(DANA)).toBe(true);
    expect(production.isApproverId(PAT)).toBe(false);
  });
});
