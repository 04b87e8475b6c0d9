/**
 * Sends a job's events in order, in numbered batches (`seq` 0, 1, 2, …). A batch keeps its seq
 * until the server has it: on a network failure the very same batch is sent again with the same
 * seq (the server stores a seq once), so events are never lost, reordered or duplicated. Events
 * that arrive while a batch is in flight go into the next one.
 */
import type { JobEvent } from '../contracts/runner-api';
import type { Logger } from '../shared/logger';
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

export function createEventSender(options: {
  client: Pick<GatewayClient, 'events'>;
  jobId: string;
  leaseId: string;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}): EventSender {
  const { client, jobId, leaseId, logger } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const queue: JobEvent[] = [];
  let seq = 0;
  let pumping: Promise<void> | null = null;
  let leaseLost = false;
  let abandoned = false;
  // Set when sending cannot go on (lease lost, token refused, abandoned): flush() stops waiting.
  let stopped = false;

  /** Sends one batch until the server has it; says how it ended. */
  async function send(batch: JobEvent[]): Promise<'stored' | 'rejected' | 'stop'> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.events(jobId, { leaseId, seq, events: batch });
        return 'stored';
      } catch (err) {
        const failure = err instanceof GatewayCallError ? err.failure : 'network';
        const message = (err as Error).message;
        if (failure === 'conflict') {
          leaseLost = true;
          logger.warn({ jobId, seq, err: message }, 'the server refused events: the lease is gone');
          return 'stop';
        }
        if (failure === 'unauthorized') {
          logger.error({ jobId, seq, err: message }, 'the server refused the runner token while sending events');
          return 'stop';
        }
        if (failure === 'rejected') {
          // Sending it again would be refused again; its seq goes to the next batch.
          logger.error({ jobId, seq, err: message }, 'the server rejected an event batch; dropping it');
          return 'rejected';
        }
        if (abandoned) return 'stop';
        const wait = backoffMs(attempt);
        logger.warn({ jobId, seq, attempt, retryInMs: wait, err: message }, 'sending events failed; resending the same batch');
        await sleep(wait);
      }
    }
  }

  async function pump(): Promise<void> {
    while (queue.length > 0 && !stopped && !abandoned) {
      const batch = nextBatch(queue);
      const outcome = await send(batch);
      if (outcome === 'stop') {
        stopped = true;
        return;
      }
      queue.splice(0, batch.length);
      if (outcome === 'stored') seq += 1;
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
        if (queue.length > 0 && !stopped && !abandoned) void kick().catch(pumpFailed);
      });
    }
    return pumping;
  }

  return {
    push(event) {
      if (stopped) return;
      queue.push(event);
      // Sending goes on in the background; flush() awaits it.
      void kick().catch(pumpFailed);
    },
    async flush() {
      while ((pumping || queue.length > 0) && !stopped && !abandoned) await kick();
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
