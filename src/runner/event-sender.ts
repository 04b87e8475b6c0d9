/**
 * Sends a job's events in order, in numbered batches (`seq` 0, 1, 2, …). A batch keeps its seq
 * until the server has it: on a network failure the very same batch is sent again with the same
 * seq (the server stores a seq once), so events are never lost, reordered or duplicated. Events
 * that arrive while a batch is in flight go into the next one.
 */
import type { JobEvent } from '../contracts/runner-api';
import type { Logger } from '../shared/logger';
import type { JobJournal, JournalState } from './journal';
import { backoffMs, GatewayCallError, type GatewayClient } from './gateway-client';

const MAX_BATCH = 50;
/**
 * Bytes of events per batch (JSON), well under the server's 4 MiB limit on an events body: one
 * event may carry 64 Ki characters of output and as many of error, which JSON can make ~800 KB.
 * A batch always holds at least one event.
 */
const MAX_BATCH_BYTES = 1024 * 1024;

/** The first events of the queue that fit one batch (by count and by size). */
function nextBatch(queue: readonly JobEvent[]): JobEvent[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < MAX_BATCH) {
    const size = Buffer.byteLength(JSON.stringify(queue[n]));
    if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    n += 1;
  }
  return queue.slice(0, n);
}

export interface EventSender {
  /** Queues an event; never blocks the job. */
  push(event: JobEvent): void;
  /** Resolves when every queued event is stored (or the sender gave up: lease lost, stopped). */
  flush(): Promise<void>;
  /** Gives up on retries (shutdown): flush() resolves after at most the current attempt. */
  abandon(): void;
  /** Set when the server said the lease is gone (409): the job must stop. */
  readonly leaseLost: boolean;
}

/** Where a sender starts after a restart: what its journal says is still to be sent. */
export interface SenderResume {
  nextSeq: number;
  /** Batches written to the journal but not acknowledged: resent with exactly their seq and events. */
  batches: { seq: number; events: JobEvent[] }[];
  /** Events journaled but in no batch yet. */
  queue: JobEvent[];
}

/** A sender's starting point from a job's journal. */
export function resumeFrom(state: JournalState): SenderResume {
  let at = 0;
  let nextSeq = 0;
  const batches: SenderResume['batches'] = [];
  for (const b of state.batches) {
    const events = state.events.slice(at, at + b.count);
    at += b.count;
    if (!b.sent) batches.push({ seq: b.seq, events });
    nextSeq = b.seq + 1;
  }
  return { nextSeq, batches, queue: state.events.slice(at) };
}

export function createEventSender(options: {
  client: Pick<GatewayClient, 'events'>;
  jobId: string;
  leaseId: string;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Every event is journaled before it is queued, every batch before it is sent. */
  journal?: JobJournal;
  envelopeHash?: string;
  resume?: SenderResume;
  /**
   * How long a new batch waits for more events before it goes (0: at once). Each batch costs a
   * journal fsync, so a short wait turns a batch per event into a batch per few steps; flush()
   * sends at once.
   */
  coalesceMs?: number;
}): EventSender {
  const { client, jobId, leaseId, logger, journal } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const queue: JobEvent[] = [...(options.resume?.queue ?? [])];
  // Batches from before a restart go first, exactly as they were journaled (the server keys them by seq).
  const written: { seq: number; events: JobEvent[] }[] = [...(options.resume?.batches ?? [])];
  let seq = options.resume?.nextSeq ?? 0;
  let pumping: Promise<void> | null = null;
  let leaseLost = false;
  let abandoned = false;
  // Set when sending cannot go on (lease lost, token refused, abandoned): flush() stops waiting.
  let stopped = false;
  let flushing = false;
  let wakeCoalesce: (() => void) | null = null;
  const hash = options.envelopeHash ? { envelopeHash: options.envelopeHash } : {};

  /** Sends one batch until the server has it; says how it ended. */
  async function send(batchSeq: number, batch: JobEvent[]): Promise<'stored' | 'rejected' | 'stop'> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.events(jobId, { leaseId, seq: batchSeq, events: batch, ...hash });
        return 'stored';
      } catch (err) {
        const failure = err instanceof GatewayCallError ? err.failure : 'network';
        const message = (err as Error).message;
        if (failure === 'conflict') {
          leaseLost = true;
          logger.warn({ jobId, seq: batchSeq, err: message }, 'the server refused events: the lease is gone');
          return 'stop';
        }
        if (failure === 'unauthorized') {
          logger.error({ jobId, seq: batchSeq, err: message }, 'the server refused the runner token while sending events');
          return 'stop';
        }
        if (failure === 'rejected') {
          // Sending it again would be refused again; its seq goes to the next batch.
          logger.error({ jobId, seq: batchSeq, err: message }, 'the server rejected an event batch; dropping it');
          return 'rejected';
        }
        if (abandoned) return 'stop';
        const wait = backoffMs(attempt, 5_000);
        logger.warn({ jobId, seq: batchSeq, attempt, retryInMs: wait, err: message }, 'sending events failed; resending the same batch');
        await sleep(wait);
      }
    }
  }

  async function pump(): Promise<void> {
    while ((written.length > 0 || queue.length > 0) && !stopped && !abandoned) {
      let next = written[0];
      if (!next) {
        if (options.coalesceMs && !flushing && queue.length < MAX_BATCH) {
          await new Promise<void>((resolve) => {
            wakeCoalesce = resolve;
            setTimeout(resolve, options.coalesceMs).unref();
          });
          wakeCoalesce = null;
        }
        const events = nextBatch(queue);
        queue.splice(0, events.length);
        next = { seq, events };
        journal?.batch(seq, events.length);
        written.push(next);
      }
      const outcome = await send(next.seq, next.events);
      if (outcome === 'stop') {
        stopped = true;
        return;
      }
      written.shift();
      // A rejected batch is marked as handled too: a restart must not send it again.
      journal?.sent(next.seq);
      if (outcome === 'stored') seq = next.seq + 1;
    }
  }

  /** A send that threw (not a refusal, which send() turns into an outcome): logged; flush() sees it again. */
  function pumpFailed(err: unknown): void {
    logger.error({ jobId, err }, 'sending job events failed');
  }

  function kick(): Promise<void> {
    if (!pumping) {
      pumping = pump().finally(() => {
        pumping = null;
        // Events pushed while the last attempt was finishing.
        if ((queue.length > 0 || written.length > 0) && !stopped && !abandoned) void kick().catch(pumpFailed);
      });
    }
    return pumping;
  }

  return {
    push(event) {
      if (stopped) return;
      // On disk before it leaves: a crash after this line cannot lose the event.
      journal?.event(event);
      queue.push(event);
      // Sending goes on in the background; flush() awaits it.
      void kick().catch(pumpFailed);
    },
    async flush() {
      flushing = true;
      wakeCoalesce?.();
      while ((pumping || queue.length > 0 || written.length > 0) && !stopped && !abandoned) await kick();
      if (pumping) await pumping;
    },
    abandon() {
      abandoned = true;
    },
    get leaseLost() {
      return leaseLost;
    },
  };
}
