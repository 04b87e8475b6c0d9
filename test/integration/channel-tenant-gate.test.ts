/**
 * Production serves Teams in its own tenant only. The loopback OpenID issuer signs tokens exactly
 * as the Bot Service does for every channel the bot is connected to, so each activity below
 * passes the token check; the channel and tenant gate is what refuses it: no reply, no state
 * change (no enrollment token, no vote, no plan, no stored conversation or user), counted.
 */
import Database from 'better-sqlite3';
import { loopbackCredentialsFactory } from '../fakes/bot-credentials';
import { CHANNEL_ISSUER, startOpenIdIssuer, trustIssuerInThisProcess, type OpenIdIssuer } from '../fakes/openid-issuer';
import { startHarness, type Harness, appOf } from './harness';
import { button, clickData } from './card-query';
import { discover, httpRunner, requestApproval, seedRequest, vote } from './plan-helpers';
import { ALEX, DANA, invoke, message, personalChat, TENANT_ID, type TeamsUser } from './teams-activities';
import { freshState, requestFixture } from '../fixtures/load';

const APP_ID = '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10';
const FOREIGN_TENANT = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const PARTNER_TENANT = '5f4e3d2c-1b0a-4987-8654-3210fedcba98';
const PARTNER_ADMIN: TeamsUser = { aadObjectId: 'c0ffee00-1111-4222-8333-444455556666', teamsUserId: '29:1partner-Zz9', name: 'Pat Partner' };

let issuer: OpenIdIssuer;
let h: Harness;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  issuer = await startOpenIdIssuer();
  trustIssuerInThisProcess(issuer);
  h = await startHarness({
    env: {
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: 'not-used-outbound-is-loopback',
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: TENANT_ID,
      // Dana is an admin in the bot's tenant; Pat is an admin only in the partner tenant.
      PICBOT_ADMINS: `${DANA.aadObjectId},${PARTNER_TENANT}:${PARTNER_ADMIN.aadObjectId}`,
      PICBOT_APPROVERS: ALEX.aadObjectId,
      PICBOT_TENANTS: PARTNER_TENANT,
      ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl,
    },
    teams: { credentialsFactory: loopbackCredentialsFactory(APP_ID) },
    // Every post carries a valid channel token unless it says otherwise.
    authorization: async () => token(),
  });
});

afterAll(async () => {
  // The approved plan's dispatch and card updates finish before the server closes.
  if (h) await appOf(h).plans.idle();
  await h?.close();
  await issuer?.close();
  jest.restoreAllMocks();
});

const token = () => `Bearer ${issuer.sign({ iss: CHANNEL_ISSUER, aud: APP_ID, serviceurl: h.connector.serviceUrl, nbf: now() - 60, exp: now() + 3600 })}`;

/** Row counts of every table a turn could change. */
function snapshot(): Record<string, number> {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    const tables = ['conversation_refs', 'user_ids', 'runner_enrollment_tokens', 'intake_drafts', 'requests', 'plans', 'plan_votes', 'jobs', 'audit_log'];
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** An activity as Teams would send it, then moved to another channel and/or tenant. */
function moved<T extends { channelId: string; conversation: Record<string, unknown>; channelData: Record<string, unknown> }>(activity: T, channelId: string, tenantId: string): T {
  return { ...activity, channelId, conversation: { ...activity.conversation, tenantId }, channelData: { ...activity.channelData, tenant: { id: tenantId } } };
}

describe('the channel and tenant gate (production)', () => {
  it.each([
    { name: 'a webchat activity claiming an admin', channel: 'webchat', tenant: TENANT_ID },
    { name: 'a directline activity claiming an admin', channel: 'directline', tenant: TENANT_ID },
    { name: 'a Teams activity from a foreign tenant claiming an admin', channel: 'msteams', tenant: FOREIGN_TENANT },
    { name: 'a Teams activity with no tenant at all', channel: 'msteams', tenant: '' },
  ])('$name gets nothing: no enrollment token, no vote, no plan, no stored state', async ({ channel, tenant }) => {
    const before = snapshot();
    const counted = h.server.deps.refusedActivities.total();
    const asks = [
      message(h.connector.serviceUrl, personalChat(DANA), DANA, 'runner token pool-eu'),
      message(h.connector.serviceUrl, personalChat(DANA), DANA, 'start'),
      invoke(h.connector.serviceUrl, personalChat(ALEX), ALEX, 'plan.approve', { planId: 'plan_0000000000000001', cardHash: 'ab'.repeat(32) }, 'f:1'),
      invoke(h.connector.serviceUrl, personalChat(DANA), DANA, 'plan.request', { requestId: 'req_0000000000000001' }, 'f:2'),
    ];
    for (const activity of asks) {
      const sent = moved(activity, channel, tenant);
      if (tenant === '') {
        delete (sent.conversation as { tenantId?: string }).tenantId;
        delete (sent.channelData as { tenant?: unknown }).tenant;
      }
      const res = await h.post(sent, { authorization: token() });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: 'forbidden', message: expect.stringMatching(/does not serve this (channel|tenant)/) } });
      expect(res.calls).toEqual([]);
    }
    expect(snapshot()).toEqual(before);
    expect(h.server.deps.refusedActivities.total()).toBe(counted + asks.length);
    expect(h.server.deps.refusedActivities.snapshot()).toContainEqual({ channelId: channel, tenantId: tenant === '' ? null : tenant, count: expect.any(Number) });
  });

  it('the same ask in Teams in the bot\'s own tenant gets an enrollment token (the refusals above are the gate)', async () => {
    const res = await h.say('runner token pool-eu', {}, { authorization: token() });
    expect(res.status).toBe(200);
    expect(res.calls).toHaveLength(1);
    expect(snapshot().runner_enrollment_tokens).toBe(1);
  });

  it('roles are keyed by tenant: an admin of a listed partner tenant is an admin there, and their object id is nobody in the bot\'s tenant', async () => {
    const partnerChat = { ...personalChat(PARTNER_ADMIN), tenantId: PARTNER_TENANT };
    const there = await h.say('whoami', { user: PARTNER_ADMIN, conversation: partnerChat }, { authorization: token() });
    expect(there.status).toBe(200);
    expect(JSON.stringify(there.calls[0]!.activity)).toContain('{"title":"Admin","value":"yes"}');
    const home = await h.say('whoami', { user: PARTNER_ADMIN }, { authorization: token() });
    expect(JSON.stringify(home.calls[0]!.activity)).toContain('{"title":"Admin","value":"no"}');
    const tokensBefore = snapshot().runner_enrollment_tokens;
    const refused = await h.say('runner token pool-eu', { user: PARTNER_ADMIN }, { authorization: token() });
    expect(refused.status).toBe(200);
    expect(snapshot().runner_enrollment_tokens).toBe(tokensBefore);
    const inPartner = await h.say('runner token pool-eu', { user: PARTNER_ADMIN, conversation: partnerChat }, { authorization: token() });
    expect(inPartner.status).toBe(200);
    expect(snapshot().runner_enrollment_tokens).toBe(tokensBefore + 1);
  });

  it('on a real plan: a webchat or foreign-tenant "request approval" makes no plan, and their votes record nothing; the Teams vote counts', async () => {
    const REQ = 'req_00000000000gate1';
    await seedRequest(h, REQ, requestFixture('global'), DANA);
    await discover(h, REQ, DANA, await httpRunner(h), freshState('lync2013'));

    const plans = snapshot().plans;
    for (const [channel, tenant] of [['webchat', TENANT_ID], ['msteams', FOREIGN_TENANT]] as const) {
      const ask = moved(invoke(h.connector.serviceUrl, personalChat(DANA), DANA, 'plan.request', { requestId: REQ }, 'f:2'), channel, tenant);
      expect((await h.post(ask)).status).toBe(403);
    }
    expect(snapshot().plans).toBe(plans);

    const posted = await requestApproval(h, REQ, DANA, personalChat(DANA));
    expect(snapshot().plans).toBe(plans + 1);
    const approve = button(posted.card, 'Approve');
    for (const [channel, tenant] of [['webchat', TENANT_ID], ['directline', TENANT_ID], ['msteams', FOREIGN_TENANT]] as const) {
      const click = moved(invoke(h.connector.serviceUrl, posted.conversation, ALEX, approve.verb, clickData(posted.card, approve, { reason: '' }), posted.messageId), channel, tenant);
      const res = await h.post(click);
      expect(res.status).toBe(403);
      expect(res.calls).toEqual([]);
    }
    expect(snapshot().plan_votes).toBe(0);
    expect((await vote(h, posted, ALEX, 'Approve')).status).toBe(200);
    expect(snapshot().plan_votes).toBe(1);
  });
});
