/**
 * What a runner checks on a job whose signature verified, before anything runs: that it is
 * meant for this runner (its target is one of the labels it enrolled with), that it is not past
 * its time limit (`notAfter`), that this runner has not taken it before (a replay of a job it
 * already ran), and that the lync-ops.ps1 it would run is the one the server's release ships
 * (`scriptSha256`). A signature alone proves only that the server made the job at some time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { JobEnvelope } from '../contracts/runner-api';

/** How far the runner's clock may be ahead of or behind the server's. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface Refusal {
  code: 'job_refused' | 'job_expired' | 'job_replayed' | 'script_mismatch';
  message: string;
}

export interface EnvelopeGuard {
  /** Why this verified envelope must be refused, or null; an admitted job is remembered as taken. */
  admit(envelope: JobEnvelope): Refusal | null;
}

/** The jobs this runner has taken, kept until their time limit has passed (then a replay is refused as expired). */
export interface TakenJobs {
  has(jobId: string): boolean;
  add(jobId: string, notAfter: string): void;
}

const TakenFile = z.array(z.object({ jobId: z.string(), notAfter: z.string() }));

/**
 * The taken jobs in a small JSON file (written through a temp file and a rename); null path =
 * in memory only. An unreadable file counts as empty: the time limit still refuses old jobs.
 */
export function createTakenJobs(path: string | null, now: () => Date = () => new Date()): TakenJobs {
  let entries: { jobId: string; notAfter: string }[] = [];
  if (path && existsSync(path)) {
    try {
      entries = TakenFile.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      entries = [];
    }
  }
  return {
    has: (jobId) => entries.some((e) => e.jobId === jobId),
    add(jobId, notAfter) {
      const cutoff = now().getTime() - CLOCK_SKEW_MS;
      entries = [...entries.filter((e) => Date.parse(e.notAfter) >= cutoff), { jobId, notAfter }];
      if (path) {
        const temp = `${path}.${process.pid}.tmp`;
        writeFileSync(temp, `${JSON.stringify(entries)}\n`, { mode: 0o600 });
        renameSync(temp, path);
      }
    },
  };
}

/** SHA-256 (hex) of a file's bytes. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function createEnvelopeGuard(options: {
  /** The labels this runner enrolled with. */
  labels: string[];
  /** The lync-ops.ps1 this runner would run. */
  scriptPath: string;
  taken: TakenJobs;
  now?: () => Date;
}): EnvelopeGuard {
  const labels = new Set(options.labels.map((l) => l.toLowerCase()));
  const now = options.now ?? (() => new Date());
  return {
    admit(envelope) {
      if (!labels.has(envelope.target.toLowerCase())) {
        return { code: 'job_refused', message: `the job is for target ${envelope.target}, and this runner serves ${[...labels].join(', ')}; nothing was run` };
      }
      if (envelope.notAfter === undefined || envelope.scriptSha256 === undefined) {
        return { code: 'job_refused', message: 'the job has no time limit or script hash: the server is older than this runner (upgrade the server); nothing was run' };
      }
      const notAfter = Date.parse(envelope.notAfter);
      if (Number.isNaN(notAfter)) return { code: 'job_refused', message: `the job's time limit ${envelope.notAfter} is not a time; nothing was run` };
      if (now().getTime() > notAfter + CLOCK_SKEW_MS) {
        return { code: 'job_expired', message: `the job was issued at ${envelope.issuedAt} and its time limit ended at ${envelope.notAfter}; a job this old is refused (stale or replayed); nothing was run` };
      }
      if (options.taken.has(envelope.jobId)) {
        return { code: 'job_replayed', message: `this runner has already taken job ${envelope.jobId}; a job runs once (a replay is refused); nothing was run` };
      }
      let actual: string;
      try {
        actual = fileSha256(options.scriptPath);
      } catch (err) {
        return { code: 'script_mismatch', message: `cannot read ${options.scriptPath} to check it (${(err as Error).message}); nothing was run` };
      }
      if (actual !== envelope.scriptSha256) {
        return {
          code: 'script_mismatch',
          message: `${options.scriptPath} has SHA-256 ${actual}, but the server's release ships ${envelope.scriptSha256}: the script was changed on this machine or the runner is another release; nothing was run`,
        };
      }
      options.taken.add(envelope.jobId, envelope.notAfter);
      return null;
    },
  };
}
