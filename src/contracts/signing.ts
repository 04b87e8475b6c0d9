import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical';
import type { JobEnvelope } from './runner-api';

/** A fresh Ed25519 key pair, PEM-encoded (the server makes one at first start and stores it). */
export function generateSigningKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Signs the canonical JSON of a job envelope; base64 signature. */
export function signEnvelope(envelope: JobEnvelope, privateKeyPem: string): string {
  return sign(null, Buffer.from(canonicalJson(envelope), 'utf8'), createPrivateKey(privateKeyPem)).toString('base64');
}

/** Verifies a job envelope's signature against the pinned server key. Never throws. */
export function verifyEnvelope(envelope: unknown, signature: string, publicKeyPem: string): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(envelope), 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
