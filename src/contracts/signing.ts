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

/**
 * A key rotation as the server announces it: the next public key, signed with the one before it.
 * A runner that pinned `previousKey` pins `nextKey` after verifying this (and retires the old one).
 */
export interface KeyRotation {
  previousKey: string;
  nextKey: string;
  at: string;
  /** Ed25519 signature (base64) by the previous key over rotationStatement(previousKey, nextKey, at). */
  signature: string;
}

/** What a rotation's signature covers: a fixed purpose, so no job envelope can pass for one. */
export function rotationStatement(rotation: Pick<KeyRotation, 'previousKey' | 'nextKey' | 'at'>): string {
  return canonicalJson({ purpose: 'picbot signing key rotation', previousKey: rotation.previousKey, nextKey: rotation.nextKey, at: rotation.at });
}

/** Signs a rotation with the previous (still current) private key. */
export function signRotation(rotation: Pick<KeyRotation, 'previousKey' | 'nextKey' | 'at'>, previousPrivateKeyPem: string): string {
  return sign(null, Buffer.from(rotationStatement(rotation), 'utf8'), createPrivateKey(previousPrivateKeyPem)).toString('base64');
}

/** Whether `rotation` is signed by its previous key. Never throws. */
export function verifyRotation(rotation: KeyRotation): boolean {
  try {
    return verify(null, Buffer.from(rotationStatement(rotation), 'utf8'), createPublicKey(rotation.previousKey), Buffer.from(rotation.signature, 'base64'));
  } catch {
    return false;
  }
}
