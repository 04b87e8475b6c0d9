/**
 * The store of runner enrollment tokens and enrolled runners. Secrets are never stored: an
 * enrollment token and a runner token are kept as the SHA-256 hex of their text, so a copy of
 * the database cannot be used to enroll or to act as a runner.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../../contracts/canonical';
import type { Clock } from '../../shared/clock';
import { asCodedError, CodedError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { RunnerInfo } from '../workflows/ports';
import type { Sql } from './sql';

/** Enrollment tokens live one hour. */
export const ENROLLMENT_TOKEN_TTL_MS = 60 * 60 * 1000;

const ENROLLMENT_PREFIX = 'pbe_';
const RUNNER_PREFIX = 'pbr_';

/** 256 random bits, URL-safe, with a prefix that says what the secret is (helps secret scanners). */
function secret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export const hashToken = (token: string): string => sha256Hex(token);

const Labels = z.array(z.string());
const RunnerRow = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.string(),
  enrolled_at: z.string(),
  last_seen_at: z.string(),
  revoked_at: z.string().nullable(),
});

function toRunner(raw: unknown): RunnerInfo {
  const parsed = RunnerRow.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading a runner: the row does not have the expected shape (${parsed.error.issues[0]?.message})`);
  const row = parsed.data;
  return {
    id: row.id,
    name: row.name,
    labels: Labels.parse(JSON.parse(row.labels)),
    enrolledAt: row.enrolled_at,
    lastSeenAt: row.last_seen_at,
    revokedAt: row.revoked_at,
  };
}

export type EnrollOutcome =
  | { ok: true; runner: RunnerInfo; runnerToken: string }
  /** unknown, expired and used tokens are one answer, so a caller learns nothing about which. */
  | { ok: false; code: 'invalid-token'; reason: string }
  | { ok: false; code: 'labels-not-allowed'; reason: string };

export interface RunnerStore {
  createEnrollmentToken(input: { labels: string[]; createdBy: string; ttlMs?: number }): Promise<{ token: string; labels: string[]; expiresAt: string }>;
  /** Spends the enrollment token (once) and creates the runner with a fresh runner token. */
  enroll(input: { enrollmentToken: string; name: string; labels: string[] }): Promise<EnrollOutcome>;
  /** The runner this token belongs to, when it is not revoked; records it as seen now. */
  authenticate(runnerToken: string): Promise<RunnerInfo | null>;
  list(): Promise<RunnerInfo[]>;
  get(runnerId: string): Promise<RunnerInfo | null>;
  /** Marks the runner revoked; null when there is no such runner, the existing record when it already was. */
  revoke(runnerId: string, by: string): Promise<{ runner: RunnerInfo; already: boolean } | null>;
  seen(label: string): Promise<boolean>;
}

/** Labels are compared case-insensitively; they are stored lower case. */
export const normalizeLabels = (labels: string[]): string[] => [...new Set(labels.map((l) => l.trim().toLowerCase()))].sort();

export function createRunnerStore(sql: Sql, clock: Clock): RunnerStore {
  const invalid: EnrollOutcome = { ok: false, code: 'invalid-token', reason: 'the enrollment token is unknown, expired or already used' };
  const runnerById = (id: string) => sql.get('SELECT * FROM runners WHERE id = ?', [id]);

  // Two runners presenting the same token at once (on one instance or two): the conditional
  // UPDATE spends it once, so only the first enrolls.
  const enrollTx = (input: { enrollmentToken: string; name: string; labels: string[] }) => sql.transaction(async (tx): Promise<EnrollOutcome> => {
    const hash = hashToken(input.enrollmentToken);
    const row = await tx.get<{ labels: string; created_by: string; expires_at: string; used_at: string | null }>(
      'SELECT labels, created_by, expires_at, used_at FROM runner_enrollment_tokens WHERE token_hash = ?', [hash]);
    const now = clock.now().toISOString();
    if (!row || row.used_at !== null || row.expires_at <= now) return invalid;
    const allowed = Labels.parse(JSON.parse(row.labels));
    const asked = normalizeLabels(input.labels);
    const extra = asked.filter((l) => !allowed.includes(l));
    if (extra.length > 0) {
      // Not spent: the admin's token stays usable with the right labels.
      return { ok: false, code: 'labels-not-allowed', reason: `this enrollment token is for ${allowed.join(', ')}; it does not allow ${extra.join(', ')}` };
    }
    const id = newId('runner');
    const runnerToken = secret(RUNNER_PREFIX);
    if ((await tx.run('UPDATE runner_enrollment_tokens SET used_at = ?, used_by = ? WHERE token_hash = ? AND used_at IS NULL', [now, id, hash])).changes !== 1) return invalid;
    await tx.run('INSERT INTO runners (id, name, labels, token_hash, enrolled_at, enrolled_by, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [id, input.name, JSON.stringify(asked), hashToken(runnerToken), now, row.created_by, now]);
    return { ok: true, runner: { id, name: input.name, labels: asked, enrolledAt: now, lastSeenAt: now, revokedAt: null }, runnerToken };
  });

  return {
    async createEnrollmentToken(input) {
      const labels = normalizeLabels(input.labels);
      if (labels.length === 0) throw new CodedError('bad_request', 'creating an enrollment token: at least one label is needed');
      const token = secret(ENROLLMENT_PREFIX);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + (input.ttlMs ?? ENROLLMENT_TOKEN_TTL_MS)).toISOString();
      try {
        await sql.run('INSERT INTO runner_enrollment_tokens (token_hash, labels, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
          [hashToken(token), JSON.stringify(labels), input.createdBy, now.toISOString(), expiresAt]);
      } catch (err) {
        throw asCodedError(err, 'store_failed', 'storing an enrollment token');
      }
      return { token, labels, expiresAt };
    },

    async enroll(input) {
      try {
        return await enrollTx(input);
      } catch (err) {
        throw asCodedError(err, 'store_failed', 'enrolling a runner');
      }
    },

    async authenticate(runnerToken) {
      const row = await sql.get('SELECT * FROM runners WHERE token_hash = ? AND revoked_at IS NULL', [hashToken(runnerToken)]);
      if (row === undefined) return null;
      const runner = toRunner(row);
      const now = clock.now().toISOString();
      await sql.run('UPDATE runners SET last_seen_at = ? WHERE id = ?', [now, runner.id]);
      return { ...runner, lastSeenAt: now };
    },

    async list() {
      return (await sql.all('SELECT * FROM runners ORDER BY last_seen_at DESC, id')).map(toRunner);
    },

    async get(runnerId) {
      const row = await runnerById(runnerId);
      return row === undefined ? null : toRunner(row);
    },

    async revoke(runnerId, by) {
      const changed = (await sql.run('UPDATE runners SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [clock.now().toISOString(), by, runnerId])).changes === 1;
      const row = await runnerById(runnerId);
      if (row === undefined) return null;
      return { runner: toRunner(row), already: !changed };
    },

    async seen(label) {
      const wanted = label.toLowerCase();
      return (await sql.all<{ labels: string }>('SELECT labels FROM runners WHERE revoked_at IS NULL')).some((r) => Labels.parse(JSON.parse(r.labels)).includes(wanted));
    },
  };
}
