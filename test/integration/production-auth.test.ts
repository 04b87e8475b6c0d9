/**
 * Production mode with real signed tokens: botbuilder fetches signing keys from a loopback OpenID
 * issuer (ToBotFromChannelOpenIdMetadataUrl), so a correctly signed channel token is accepted and
 * every kind of bad token is a 401. No bypass flag exists; outbound replies stay on loopback.
 */
import { loopbackCredentialsFactory, OUTBOUND_TOKEN } from '../fakes/bot-credentials';
import { echoArea } from '../fakes/echo-area';
import { CHANNEL_ISSUER, startOpenIdIssuer, strangerKey, trustIssuerInThisProcess, type OpenIdIssuer, type TokenClaims } from '../fakes/openid-issuer';
import { startHarness, type Harness } from './harness';
import { ALEX, DANA, TENANT_ID } from './teams-activities';

const APP_ID = '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10';
const OTHER_APP = '11111111-2222-4333-8444-555555555555';

let issuer: OpenIdIssuer;
let h: Harness;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  // botbuilder prints rejected tokens with console.error; the 401s below are the expected outcome.
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  issuer = await startOpenIdIssuer();
  trustIssuerInThisProcess(issuer);
  h = await startHarness({
    areas: [echoArea],
    env: {
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: 'not-used-outbound-is-loopback',
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: TENANT_ID,
      PICBOT_ADMINS: DANA.aadObjectId,
      PICBOT_APPROVERS: ALEX.aadObjectId,
      ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl,
    },
    teams: { credentialsFactory: loopbackCredentialsFactory(APP_ID) },
  });
});

afterAll(async () => {
  await h?.close();
  await issuer?.close();
  jest.restoreAllMocks();
});

const good = (): TokenClaims => ({ iss: CHANNEL_ISSUER, aud: APP_ID, serviceurl: h.connector.serviceUrl, nbf: now() - 60, exp: now() + 3600 });

describe('production /api/messages', () => {
  it('accepts a correctly signed channel token, and replies go to the loopback connector', async () => {
    expect(h.server.config.mode).toBe('production');
    const res = await h.say('whoami', {}, { authorization: `Bearer ${issuer.sign(good())}` });
    expect(res.status).toBe(200);
    expect(res.calls).toHaveLength(1);
    expect(res.calls[0]!.activity.text).toBe(`${DANA.aadObjectId} ${DANA.teamsUserId} admin=true`);
    expect(res.calls[0]!.authorization).toBe(OUTBOUND_TOKEN);
  });

  it('applies PICBOT_ADMINS in production', async () => {
    const res = await h.say('whoami', { user: ALEX }, { authorization: `Bearer ${issuer.sign(good())}` });
    expect(res.calls[0]!.activity.text).toMatch(/admin=false$/);
  });

  it.each([
    { name: 'no token', auth: () => null },
    { name: 'an empty bearer', auth: () => 'Bearer ' },
    { name: 'a non-bearer scheme', auth: () => `Basic ${Buffer.from('a:b').toString('base64')}` },
    { name: 'garbage', auth: () => 'Bearer not.a.jwt' },
    { name: 'an expired token', auth: () => `Bearer ${issuer.sign({ ...good(), nbf: now() - 7200, exp: now() - 3600 })}` },
    { name: 'a token not yet valid', auth: () => `Bearer ${issuer.sign({ ...good(), nbf: now() + 3600, exp: now() + 7200 })}` },
    { name: 'a wrong signature (a stranger\'s key under our kid)', auth: () => `Bearer ${issuer.sign(good(), { withKey: strangerKey() })}` },
    { name: 'an unknown key id', auth: () => `Bearer ${issuer.sign(good(), { withKey: strangerKey(), kid: 'someone-else' })}` },
    { name: 'a wrong audience', auth: () => `Bearer ${issuer.sign({ ...good(), aud: OTHER_APP })}` },
    { name: 'no audience', auth: () => `Bearer ${issuer.sign({ ...good(), aud: undefined })}` },
    { name: 'a wrong issuer', auth: () => `Bearer ${issuer.sign({ ...good(), iss: 'https://evil.example.com' })}` },
    { name: 'a serviceurl claim for another service', auth: () => `Bearer ${issuer.sign({ ...good(), serviceurl: 'http://127.0.0.1:9/' })}` },
    { name: 'an unsigned token (alg none)', auth: () => `Bearer ${unsigned(good())}` },
  ])('answers 401 to $name, and nothing reaches a handler', async ({ auth }) => {
    const res = await h.say('echo should-not-run', {}, { authorization: auth() });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(res.calls).toEqual([]);
  });

  it('refuses before reading the body when there is no token at all', async () => {
    const res = await h.post(null, { raw: '{not json', authorization: null });
    expect(res.status).toBe(401);
  });
});

function unsigned(claims: TokenClaims): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}
