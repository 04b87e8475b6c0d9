/**
 * Key files kept beside (not inside) the database: the audit chain's HMAC key and the
 * Ed25519 job-signing key. Someone who can write the database but not these files can then
 * neither forge audit records nor sign jobs. Each file is created owner-only (0600 on POSIX)
 * from its first byte, and a file that cannot be read stops the start naming its variable.
 * See docs/deploy.md, "Keys".
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config';

/** Where a key file is and whether the path is the default (not set by its variable). */
export interface KeyFileSetting {
  path: string;
  defaulted: boolean;
}

/** Writes a new key file atomically, owner-only from the first byte; refuses to overwrite unless `replace`. */
export function writeKeyFile(path: string, content: string, options: { replace?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (!options.replace && existsSync(path)) throw new Error(`${path} already exists`);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Reads a key file; throws ConfigError naming `variable` when it is missing or unreadable. */
export function readKeyFile(variable: string, setting: KeyFileSetting): string {
  try {
    return readFileSync(setting.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = setting.defaulted ? `the default ${setting.path} (beside the database)` : setting.path;
    if (code === 'ENOENT') throw new ConfigError(variable, `the key file ${where} does not exist`);
    throw new ConfigError(variable, `the key file ${where} cannot be read (${code ?? (err as Error).message})`);
  }
}

/** 32 random bytes as hex: the audit chain's HMAC key file content. */
export function newAuditKey(): string {
  return `${randomBytes(32).toString('hex')}\n`;
}

/** The audit key from its file's text; throws ConfigError naming `variable` when it is not 64 hex digits. */
export function parseAuditKey(variable: string, setting: KeyFileSetting, text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError(variable, `the key file ${setting.path} does not hold an audit key (64 hex digits)`);
  return Buffer.from(hex, 'hex');
}

/**
 * The audit key: read from its file, or — when the file is the default one and `mayCreate`
 * (the chain has no keyed record yet) — created. Throws ConfigError naming PICBOT_AUDIT_KEY_FILE.
 */
export function loadAuditKey(setting: KeyFileSetting, mayCreate: boolean): { key: Buffer; created: boolean } {
  let created = false;
  if (setting.defaulted && mayCreate && !existsSync(setting.path)) {
    try {
      writeKeyFile(setting.path, newAuditKey());
      created = true;
    } catch (err) {
      // Another process created it in the meantime: read theirs.
      if (!existsSync(setting.path)) throw new ConfigError('PICBOT_AUDIT_KEY_FILE', `creating the key file ${setting.path}: ${(err as Error).message}`);
    }
  }
  const text = readKeyFile('PICBOT_AUDIT_KEY_FILE', setting);
  return { key: parseAuditKey('PICBOT_AUDIT_KEY_FILE', setting, text), created };
}
