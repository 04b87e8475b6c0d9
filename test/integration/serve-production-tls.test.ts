/**
 * `picbot serve` in production as a real process, its channel tokens' signing keys coming from an
 * HTTPS loopback issuer whose self-signed certificate the process trusts only through
 * NODE_EXTRA_CA_CERTS (what an operator sets for a private CA). A validly signed Web Chat activity
 * reaches the channel gate (403, no reply); without the certificate the keys cannot be fetched and
 * the same activity is a 401; a plain-http metadata URL stops the start naming the variable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNEL_ISSUER, startOpenIdIssuer, type OpenIdIssuer } from '../fakes/openid-issuer';
import { PICBOT_BIN } from './cli-process';
import { DANA, message, personalChat, TENANT_ID } from './teams-activities';

jest.setTimeout(60_000);

const APP_ID = '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10';
let dir: string;
let issuer: OpenIdIssuer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-serve-tls-'));
  issuer = await startOpenIdIssuer();
  writeFileSync(join(dir, 'issuer.pem'), issuer.certPem);
});
afterAll(async () => {
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

const production = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '', HOME: dir, HOST: '127.0.0.1', PORT: '0', PICBOT_DB: join(dir, `p-${Math.random().toString(36).slice(2)}.db`),
  MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-used', MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT_ID,
  PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: DANA.aadObjectId, ...extra,
});

/** Starts `picbot serve`; resolves with its URL, or rejects with its stderr when it exits first. */
function serve(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [PICBOT_BIN, 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((done) => child.on('close', done));
  return new Promise((done, fail) => {
    let buffered = '';
    child.stderr.on('data', (d: Buffer) => {
      buffered += d.toString();
      const line = buffered.split('\n').find((l) => l.includes('"picbot listening"'));
      if (line) done({ url: (JSON.parse(line) as { url: string }).url, stop: async () => { child.kill('SIGTERM'); await exited; } });
    });
    void exited.then((code) => fail(new Error(`exit ${code}: ${buffered}`)));
  });
}

async function postWebchat(url: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const activity = { ...message('http://127.0.0.1:9/', personalChat(DANA), DANA, 'runner token pool-eu'), channelId: 'webchat' };
  const token = issuer.sign({ iss: CHANNEL_ISSUER, aud: APP_ID, serviceurl: 'http://127.0.0.1:9/', nbf: now - 60, exp: now + 3600 });
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(activity) });
  return res.status;
}

it('trusts the HTTPS issuer through NODE_EXTRA_CA_CERTS: a signed webchat activity gets to the gate (403)', async () => {
  const server = await serve(production({ ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl, NODE_EXTRA_CA_CERTS: join(dir, 'issuer.pem') }));
  try {
    expect(await postWebchat(server.url)).toBe(403);
  } finally {
    await server.stop();
  }
});

it('without the certificate trusted, the keys cannot be fetched: the same activity is a 401', async () => {
  const server = await serve(production({ ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl }));
  try {
    expect(await postWebchat(server.url)).toBe(401);
  } finally {
    await server.stop();
  }
});

it('refuses to start on a plain-http metadata URL, loopback included, naming the variable', async () => {
  await expect(serve(production({ ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl.replace('https:', 'http:') })))
    .rejects.toThrow(/exit 1: picbot: configuration error: ToBotFromChannelOpenIdMetadataUrl: must be an https:\/\/ URL in production/);
});
