/**
 * The server's two keys at start: the audit chain's HMAC key and the Ed25519 job-signing key,
 * both in files outside the database (see key-files.ts and docs/deploy.md, "Keys"). Moves what an
 * older picbot kept in the database out of it, and records each move in the audit log.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { generateSigningKeys, verifyRotation } from '../../contracts/signing';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { ConfigError, type AppConfig } from '../config';
import type { AuditLog } from '../workflows/ports';
import { auditHasRecords, auditScheme, createAuditLog, type KeyedAuditLog, rekeyLegacyChain } from './audit-log';
import type { Sql } from './sql';
import { createKeyRotationStore } from './key-rotations';
import { loadAuditKey, readKeyFile, writeKeyFile, type KeyFileSetting } from './key-files';

/** The server_keys row an older picbot kept the signing key pair in. */
export const LEGACY_SIGNING_KEY = 'job-signing-key-ed25519';
const LegacyKeys = z.object({ privateKeyPem: z.string().min(1), publicKeyPem: z.string().min(1) });

export interface SigningKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** The key pair from a PEM private key file's text; throws ConfigError naming the variable. */
export function signingKeysFromPem(setting: KeyFileSetting, pem: string): SigningKeys {
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`it is an ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    };
  } catch (err) {
    throw new ConfigError('PICBOT_SIGNING_KEY_FILE', `the key file ${setting.path} does not hold an Ed25519 private key in PEM (${(err as Error).message})`);
  }
}

/**
 * Opens the audit log under its key: reads (or, for a chain with no keyed record yet and the
 * default path, creates) the key file, and re-keys a chain an older picbot wrote unkeyed.
 */
export async function openKeyedAuditLog(db: Sql, config: Pick<AppConfig, 'mode' | 'auditKeyFile'>, clock: Clock, logger: Logger): Promise<KeyedAuditLog> {
  const scheme = await auditScheme(db);
  // A keyed chain whose key file vanished must not get a fresh key: that would hide the loss.
  // With PostgreSQL several instances share the chain, so its key is never made by one of them.
  const mayCreate = db.engine === 'sqlite' && (scheme === 'sha256' || !(await auditHasRecords(db)));
  const { key, created } = loadAuditKey(config.auditKeyFile, mayCreate);
  if (created) logger.info({ auditKeyFile: config.auditKeyFile.path }, 'created the audit key file (readable by its owner only)');
  if (config.mode === 'production' && config.auditKeyFile.defaulted) {
    logger.warn({ auditKeyFile: config.auditKeyFile.path }, 'PICBOT_AUDIT_KEY_FILE is not set: the audit key is kept beside the database; set it to a path the database\'s writers cannot read (docs/deploy.md, Keys)');
  }
  const audit = createAuditLog(db, clock, key);
  if (scheme === 'sha256' && db.sqlite) {
    const rekeyed = rekeyLegacyChain(db.sqlite, key);
    if (rekeyed.ok) {
      logger.warn({ records: rekeyed.count }, 're-keyed the audit chain with the audit key (it was written unkeyed by an older picbot)');
      await audit.append({ action: 'audit.rekeyed', actor: 'picbot', subjectId: null, detail: { records: rekeyed.count, from: 'sha256', to: 'hmac-sha256' } });
    } else {
      logger.error({ seq: rekeyed.seq, reason: rekeyed.reason }, 'the unkeyed audit chain is broken, so it was not re-keyed; picbot audit verify reports it');
    }
  }
  return audit;
}

/**
 * The job-signing key pair from its file. On the first start after an upgrade it is moved out
 * of the database into the file (audited); a fresh install creates it at the default path.
 */
export async function loadSigningKeys(db: Sql, setting: KeyFileSetting, audit: AuditLog, logger: Logger): Promise<SigningKeys> {
  const legacyRow = await db.get<{ value: string }>('SELECT value FROM server_keys WHERE name = ?', [LEGACY_SIGNING_KEY]);
  // Instances sharing PostgreSQL must share one key: it comes from the mounted file, never made here.
  if (!existsSync(setting.path) && db.engine === 'sqlite') {
    if (legacyRow) {
      const legacy = LegacyKeys.parse(JSON.parse(legacyRow.value));
      writeKeyFile(setting.path, legacy.privateKeyPem);
      logger.warn({ signingKeyFile: setting.path }, 'moved the job-signing key out of the database into its key file');
      await audit.append({ action: 'signing-key.moved', actor: 'picbot', subjectId: null, detail: { to: setting.path, publicKeySha256: publicKeyId(legacy.publicKeyPem) } });
    } else if (setting.defaulted) {
      const fresh = generateSigningKeys();
      writeKeyFile(setting.path, fresh.privateKeyPem);
      logger.info({ signingKeyFile: setting.path }, 'created the job-signing key file (readable by its owner only)');
      await audit.append({ action: 'signing-key.created', actor: 'picbot', subjectId: null, detail: { at: setting.path, publicKeySha256: publicKeyId(fresh.publicKeyPem) } });
    }
  }
  const keys = signingKeysFromPem(setting, readKeyFile('PICBOT_SIGNING_KEY_FILE', setting));
  // A key file restored from before a rotation would sign jobs every runner refuses (key_retired).
  // Only a rotation signed by this very key counts: a row written into the database proves nothing.
  const retiredBy = (await createKeyRotationStore(db).list()).find((r) => r.previousKey.trim() === keys.publicKeyPem.trim() && verifyRotation(r));
  if (retiredBy) {
    throw new ConfigError('PICBOT_SIGNING_KEY_FILE', `the key file ${setting.path} holds a key that picbot keys rotate retired at ${retiredBy.at}; runners refuse jobs signed with it. Put the newer key file back (or rotate again from it)`);
  }
  // The copy in the database goes only once the file holds the key (a crash in between keeps both).
  if (legacyRow) await db.run('DELETE FROM server_keys WHERE name = ?', [LEGACY_SIGNING_KEY]);
  return keys;
}

/** A short public fingerprint of a signing key (its SPKI's SHA-256), safe to log and show. */
export function publicKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}
