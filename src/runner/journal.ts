/**
 * The runner's journal: one JSON Lines file per job in a folder next to the credentials file
 * (`<credentials>.journal/`, folder 0700, files 0600). Every event is on disk before it is sent:
 * a step-started event is fsync'd at once (the change must not begin before its record exists),
 * other events are written and fsync'd together with the batch line that sends them (`seq` and
 * count, written before the batch goes out). A batch the server stored is marked; that mark is not
 * fsync'd, because a batch sent again under its seq is answered as a duplicate. The result is
 * fsync'd before it is reported. A server outage, a killed
 * runner or a rebooted machine therefore loses nothing: the next start delivers what the server
 * has not acknowledged, in order, then the result. A file is deleted only after the server
 * acknowledged the job's result.
 */
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { JobEvent, ResultRequest } from '../contracts/runner-api';

const Report = ResultRequest.omit({ leaseId: true, envelopeHash: true });
type Report = z.infer<typeof Report>;

const Entry = z.discriminatedUnion('t', [
  z.object({ t: z.literal('job'), jobId: z.string(), leaseId: z.string(), envelopeHash: z.string().nullable(), at: z.string() }),
  z.object({ t: z.literal('event'), event: JobEvent }),
  z.object({ t: z.literal('batch'), seq: z.number().int().min(0), count: z.number().int().min(1) }),
  z.object({ t: z.literal('sent'), seq: z.number().int().min(0) }),
  z.object({ t: z.literal('result'), report: Report }),
  z.object({ t: z.literal('refused'), why: z.string() }),
]);
type Entry = z.infer<typeof Entry>;

/** What a job's journal holds, read back. */
export interface JournalState {
  jobId: string;
  leaseId: string;
  envelopeHash: string | null;
  /** When the runner leased the job (its own clock). */
  startedAt: string;
  events: JobEvent[];
  /** Batches written before sending, in order: `count` events each, following on from each other. */
  batches: { seq: number; count: number; sent: boolean }[];
  result: Report | null;
  refused: string | null;
}

/** One job's open journal file. Appends are synchronous; their time (fsync included) is counted. */
export interface JobJournal {
  readonly jobId: string;
  event(event: JobEvent): void;
  batch(seq: number, count: number): void;
  sent(seq: number): void;
  result(report: Report): void;
  /** The server refused the job's record for good (another runner's lease, say): kept aside, not resent. */
  refused(why: string): void;
  /** The server acknowledged the result: the file goes. */
  done(): void;
  close(): void;
  /** Milliseconds spent appending and fsync'ing so far. */
  readonly elapsedMs: number;
}

export interface Journal {
  readonly dir: string;
  open(start: { jobId: string; leaseId: string; envelopeHash: string | null }): JobJournal;
  /** Reopens a job's file to append (after a restart), with what it held. */
  resume(jobId: string): { journal: JobJournal; state: JournalState };
  /** The jobs whose journal is still to be delivered, oldest first. */
  pending(): string[];
}

/** The journal folder for a credentials file. */
export const journalDirFor = (credentialsPath: string): string => `${credentialsPath}.journal`;

const FILE = /^(job_[0-9a-z]{16})\.jsonl$/;

export function readJournal(path: string): JournalState {
  const state: JournalState = { jobId: '', leaseId: '', envelopeHash: null, startedAt: '', events: [], batches: [], result: null, refused: null };
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const line of lines) {
    if (line.trim() === '') continue;
    let entry: Entry;
    try {
      entry = Entry.parse(JSON.parse(line));
    } catch {
      // A line cut short by a crash: what follows it was written after it and never synced.
      // Everything before the last fsync'd line is intact, so the record ends here.
      break;
    }
    switch (entry.t) {
      case 'job':
        state.jobId = entry.jobId;
        state.leaseId = entry.leaseId;
        state.envelopeHash = entry.envelopeHash;
        state.startedAt = entry.at;
        break;
      case 'event':
        state.events.push(entry.event);
        break;
      case 'batch':
        state.batches.push({ seq: entry.seq, count: entry.count, sent: false });
        break;
      case 'sent': {
        // A rejected batch's seq is used again by the next one: the mark is for the latest.
        const b = [...state.batches].reverse().find((x) => x.seq === entry.seq && !x.sent);
        if (b) b.sent = true;
        break;
      }
      case 'result':
        state.result = entry.report;
        break;
      case 'refused':
        state.refused = entry.why;
        break;
    }
  }
  if (state.jobId === '') throw new Error(`journal ${path} has no job line`);
  return state;
}

export function createJournal(dir: string): Journal {
  function ensureDir(): void {
    // The folder holds what the runner did on a live server: its owner only.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  function openFile(jobId: string, first: Entry | null): JobJournal {
    ensureDir();
    const path = join(dir, `${jobId}.jsonl`);
    const fd = openSync(path, 'a', 0o600);
    let open = true;
    let elapsed = 0;
    // fsync is most of a journal's cost (milliseconds on common disks): one per step start and
    // one per batch, not one per line.
    const append = (entry: Entry, sync: boolean) => {
      if (!open) return;
      const t0 = performance.now();
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      if (sync) fsyncSync(fd);
      elapsed += performance.now() - t0;
    };
    if (first) {
      append(first, true);
      // The file's own name is durable only once its folder is synced.
      try {
        const dfd = openSync(dir, 'r');
        try {
          fsyncSync(dfd);
        } finally {
          closeSync(dfd);
        }
      } catch {
        // Some platforms (Windows) cannot open a folder to sync it; the file's own fsync stands.
      }
    }
    const close = () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    };
    return {
      jobId,
      event: (event) => append({ t: 'event', event }, event.type === 'step-started'),
      batch: (seq, count) => append({ t: 'batch', seq, count }, true),
      sent: (seq) => append({ t: 'sent', seq }, false),
      result: (report) => append({ t: 'result', report }, true),
      refused(why) {
        append({ t: 'refused', why }, true);
        close();
        renameSync(path, `${path}.refused`);
      },
      done() {
        close();
        rmSync(path, { force: true });
      },
      close,
      get elapsedMs() {
        return elapsed;
      },
    };
  }

  return {
    dir,
    open: ({ jobId, leaseId, envelopeHash }) => openFile(jobId, { t: 'job', jobId, leaseId, envelopeHash, at: new Date().toISOString() }),
    resume(jobId) {
      const state = readJournal(join(dir, `${jobId}.jsonl`));
      return { journal: openFile(jobId, null), state };
    },
    pending() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .map((name) => FILE.exec(name)?.[1])
        .filter((id): id is string => id !== undefined)
        .map((id) => ({ id, state: readJournal(join(dir, `${id}.jsonl`)) }))
        .filter((j) => j.state.refused === null)
        .sort((a, b) => a.state.startedAt.localeCompare(b.state.startedAt))
        .map((j) => j.id);
    },
  };
}
