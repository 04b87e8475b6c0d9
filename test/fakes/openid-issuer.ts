/**
 * A loopback Bot Framework token issuer: serves OpenID metadata and a JWKS with its own RSA key
 * over HTTPS with a self-signed certificate for 127.0.0.1 (production refuses a plain-http
 * metadata URL), and signs channel tokens the way the Bot Connector does (RS256, iss
 * https://api.botframework.com, aud = the bot's app id, serviceurl claim). Its key is endorsed
 * for Teams, Web Chat and Direct Line, as the Bot Service's keys are: the channel of a validly
 * signed token is then the bot's own check. Point ToBotFromChannelOpenIdMetadataUrl at
 * `metadataUrl`, and trust `certPem`: a child server through NODE_EXTRA_CA_CERTS, this process
 * through trustIssuerInThisProcess().
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { globalAgent } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rootCertificates } from 'node:tls';
import { generate } from 'selfsigned';

export const CHANNEL_ISSUER = 'https://api.botframework.com';

export interface TokenClaims {
  iss?: string;
  aud?: string;
  serviceurl?: string;
  /** Seconds since the epoch. */
  nbf?: number;
  exp?: number;
  [claim: string]: unknown;
}

export interface OpenIdIssuer {
  metadataUrl: string;
  /** The issuer's self-signed TLS certificate (PEM), to trust. */
  certPem: string;
  kid: string;
  /** A token signed with the published key (or `withKey`, e.g. a stranger's key under our kid). */
  sign(claims: TokenClaims, options?: { withKey?: KeyObject; kid?: string }): string;
  close(): Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A fresh RSA private key (for signing with a key the issuer does not publish). */
export function strangerKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/**
 * Trusts the issuer's certificate for HTTPS requests made in this process through the default
 * agent (botbuilder fetches the OpenID metadata that way), the in-process equivalent of
 * NODE_EXTRA_CA_CERTS, which Node reads only when a process starts.
 */
export function trustIssuerInThisProcess(issuer: Pick<OpenIdIssuer, 'certPem'>): void {
  globalAgent.options.ca = [...rootCertificates, issuer.certPem];
}

export async function startOpenIdIssuer(): Promise<OpenIdIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'loopback-key-1';
  const jwk = publicKey.export({ format: 'jwk' });
  const tls = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] },
    ],
  });
  let base = '';
  const server: Server = createServer({ key: tls.private, cert: tls.cert }, (req: IncomingMessage, res: ServerResponse) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/.well-known/openidconfiguration') {
      return send({ issuer: CHANNEL_ISSUER, authorization_endpoint: `${base}/auth`, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
    }
    if (req.url === '/v1/.well-known/keys') {
      return send({ keys: [{ ...jwk, kty: 'RSA', use: 'sig', kid, endorsements: ['msteams', 'webchat', 'directline'] }] });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    metadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    certPem: tls.cert,
    kid,
    sign(claims, options = {}) {
      const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? kid }));
      const payload = b64url(JSON.stringify(claims));
      const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(options.withKey ?? privateKey);
      return `${header}.${payload}.${b64url(signature)}`;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
