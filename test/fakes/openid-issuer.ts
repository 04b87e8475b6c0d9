/**
 * A loopback Bot Framework token issuer: serves OpenID metadata and a JWKS with its own RSA key,
 * and signs channel tokens the way the Bot Connector does (RS256, iss https://api.botframework.com,
 * aud = the bot's app id, serviceurl claim). Point ToBotFromChannelOpenIdMetadataUrl at `metadataUrl`.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';

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

export async function startOpenIdIssuer(): Promise<OpenIdIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'loopback-key-1';
  const jwk = publicKey.export({ format: 'jwk' });
  let base = '';
  const server: Server = createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/.well-known/openidconfiguration') {
      return send({ issuer: CHANNEL_ISSUER, authorization_endpoint: `${base}/auth`, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
    }
    if (req.url === '/v1/.well-known/keys') {
      return send({ keys: [{ ...jwk, kty: 'RSA', use: 'sig', kid, endorsements: ['msteams'] }] });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    metadataUrl: `${base}/v1/.well-known/openidconfiguration`,
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
