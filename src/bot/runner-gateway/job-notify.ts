/**
 * Wake-ups across instances (docs/deploy.md, Scale-out on PostgreSQL): a job created on one
 * instance wakes the runners long-polling another within milliseconds, through PostgreSQL
 * LISTEN/NOTIFY on a channel per runner label. Each instance keeps one connection of its own for
 * LISTEN (a pooled connection would be handed to other work), listening on the labels its
 * waiting runners have asked for.
 *
 * A lost notification is never a lost job: the long-poll also looks again every few seconds
 * (routes.ts, `pollMs`). When the LISTEN connection drops, the instance reconnects it with a
 * growing pause and listens again on every label, and meanwhile that poll catches every job.
 */
import { createHash } from 'node:crypto';
import type { Client, ClientConfig, Pool } from 'pg';
import type { Logger } from '../../shared/logger';
import type { LeaseWaiters } from './waiters';

export interface JobNotifier {
  /** Tells every instance that a job for `label` is queued (after its transaction committed). */
  announce(label: string): Promise<void>;
  /** Listens for jobs of these labels (a runner is about to wait for them). */
  listen(labels: string[]): void;
  /** Whether the LISTEN connection is up (metrics, doctor, tests). */
  connected(): boolean;
  close(): Promise<void>;
}

/** The channel of a label: per install (schema) and label, a valid identifier of fixed length. */
export function jobChannel(schema: string, label: string): string {
  return `picbot_jobs_${createHash('sha256').update(`${schema}:${label.toLowerCase()}`).digest('hex').slice(0, 32)}`;
}

export interface PgNotifierOptions {
  pool: Pool;
  schema: string;
  waiters: LeaseWaiters;
  logger: Logger;
  /** First pause before reconnecting (doubles to 30 s); default 500 ms. */
  reconnectMs?: number;
}

export function createPgJobNotifier(options: PgNotifierOptions): JobNotifier {
  const { pool, schema, waiters } = options;
  const log = options.logger.child({ component: 'job-notify' });
  const labels = new Map<string, string>(); // channel → label
  const state: { client: Client | null; up: boolean; closed: boolean; pause: number; timer: NodeJS.Timeout | null; connecting: Promise<void> | null } = {
    client: null, up: false, closed: false, pause: options.reconnectMs ?? 500, timer: null, connecting: null,
  };
  const firstPause = state.pause;

  const listenOn = async (client: Client, channel: string) => {
    await client.query(`LISTEN ${channel}`);
  };

  function lost(client: Client, err: unknown): void {
    if (state.client !== client) return;
    state.client = null;
    if (state.up) log.warn({ err }, 'the LISTEN connection to PostgreSQL dropped; runners are found by polling until it is back');
    state.up = false;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    reconnectLater();
  }

  function reconnectLater(): void {
    if (state.closed || state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      connect();
    }, state.pause);
    state.timer.unref();
    state.pause = Math.min(30_000, state.pause * 2);
  }

  function connect(): void {
    if (state.closed || state.client || state.connecting) return;
    // The pool's own settings (URL, timeouts), on a connection outside the pool.
    // The pool's own Client class: pg is loaded by the pool, never by a SQLite install.
    const PgClient = (pool as Pool & { Client: new (config: ClientConfig) => Client }).Client;
    const client = new PgClient({ ...pool.options, application_name: `picbot-listen ${schema}`.slice(0, 63) });
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client, new Error('connection ended')));
    client.on('notification', (msg) => {
      const label = labels.get(msg.channel);
      if (label) waiters.wake(label);
    });
    state.client = client;
    state.connecting = (async () => {
      try {
        await client.connect();
        for (const channel of labels.keys()) await listenOn(client, channel);
        if (state.client !== client) return;
        if (!state.up && state.pause !== firstPause) log.info('the LISTEN connection to PostgreSQL is back');
        state.up = true;
        state.pause = firstPause;
        // Jobs queued while it was down were announced to nobody: wake every waiter to look now.
        for (const label of labels.values()) waiters.wake(label);
      } catch (err) {
        lost(client, err);
      } finally {
        state.connecting = null;
      }
    })();
  }

  connect();

  return {
    async announce(label) {
      await pool.query('SELECT pg_notify($1, $2)', [jobChannel(schema, label), label.toLowerCase()]);
    },
    listen(wanted) {
      for (const raw of wanted) {
        const label = raw.toLowerCase();
        const channel = jobChannel(schema, label);
        if (labels.has(channel)) continue;
        labels.set(channel, label);
        const client = state.client;
        if (client && state.up) listenOn(client, channel).catch((err: unknown) => lost(client, err));
      }
    },
    connected: () => state.up,
    async close() {
      state.closed = true;
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      const client = state.client;
      state.client = null;
      state.up = false;
      if (state.connecting) await state.connecting.catch(() => {});
      if (client) {
        client.removeAllListeners();
        client.on('error', () => {});
        await client.end().catch(() => {});
      }
    },
  };
}
