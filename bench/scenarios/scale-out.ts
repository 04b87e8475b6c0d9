/**
 * `scale.out`: picbot on one SQLite file, on PostgreSQL, and as two instances sharing one
 * PostgreSQL schema (docs/deploy.md, Scale-out). Three configurations of real `serve` processes in
 * local mode, all started up front and measured in interleaved rounds (sqlite-1, pg-1, pg-2,
 * sqlite-1, …):
 *
 * - `sqlite-1`: one instance on a fresh SQLite file (the comparison);
 * - `pg-1`: one instance on a fresh PostgreSQL schema;
 * - `pg-2`: two instances (A and B) on one fresh schema, with shared key files.
 *
 * Turns per second: "help" by 50 users at once, as `turn.message` does, the users spread over the
 * configuration's instances round-robin. Pickup: a runner stand-in (a real enrolled token)
 * long-polls instance A; each sample is a new user's intake and "Discover current state" on the
 * last instance (A itself in sqlite-1 and pg-1, B in pg-2: the job can only wake A through
 * NOTIFY), timed from the discovery envelope's `issuedAt` (set when the click creates the job) to
 * the stand-in reading its lease answer, as `pickup` times the apply job. The stand-in answers
 * with the observed Lync Server 2013 state, so each discovery completes in chat before the next.
 *
 * PostgreSQL is PICBOT_BENCH_PG_URL (bench/lib/pg.ts); each PostgreSQL configuration gets a fresh
 * schema, dropped at the end. When PostgreSQL does not answer, the scenario fails naming it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newUser, type BenchUser } from '../lib/activities';
import { botClient, type BotClient } from '../lib/bot-client';
import { startConnector, type Connector } from '../lib/connector';
import { MANY_USERS, medianRatio, type BenchContext } from '../lib/context';
import { discover, enrollmentToken, runIntake } from '../lib/flows';
import { freshBenchSchema, sharedKeyFiles, type BenchSchema } from '../lib/pg';
import { ROOT, startPicbot, type Server } from '../lib/procs';
import type { ScenarioResult } from '../lib/report';
import { enrollStandIn, type Lease, type StandIn } from '../lib/standin';
import { median, quantile } from '../lib/stats';
import { load, users, type Load } from './turns';

/** The configurations, in the order each round measures them. */
export const CONFIGS = ['sqlite-1', 'pg-1', 'pg-2'] as const;
export type ConfigId = (typeof CONFIGS)[number];

const LABEL = 'bench-scale';

/** One configuration's running instances and the stand-in long-polling its instance A. */
interface Deployment {
  id: ConfigId;
  servers: Server[];
  bots: BotClient[];
  standIn: StandIn;
  /** Resolves the sample waiting for the next discovery lease. */
  picked: ((lease: Lease) => void) | null;
}

/** What the scenario started, stopped and removed at its end whatever happened. */
interface Started {
  servers: Server[];
  schemas: BenchSchema[];
  standIns: StandIn[];
}

/** Per configuration: turns/s of each round, and the pickup samples in ms. */
export interface Measured {
  turnsPerSec: Record<ConfigId, number[]>;
  pickupMs: Record<ConfigId, number[]>;
}

type Ctx = Pick<BenchContext, 'sizes' | 'log'>;

export async function scaleOut(ctx: Ctx): Promise<ScenarioResult> {
  const keysDir = mkdtempSync(join(tmpdir(), 'picbot-bench-keys-'));
  const started: Started = { servers: [], schemas: [], standIns: [] };
  const connector = await startConnector();
  try {
    // PostgreSQL first: when it does not answer, fail before any process starts.
    const pg1 = await freshBenchSchema();
    started.schemas.push(pg1);
    const pg2 = await freshBenchSchema();
    started.schemas.push(pg2);
    const keys = sharedKeyFiles(keysDir);
    const observed = JSON.parse(readFileSync(join(ROOT, 'bench', 'fixtures', 'observed-lync2013.json'), 'utf8')) as unknown;
    const admin = newUser('Bench Scale Admin');
    const deploy = async (id: ConfigId, instances: number, databaseUrl?: string) => {
      const servers = await Promise.all(Array.from({ length: instances }, () => startPicbot(databaseUrl ? { databaseUrl, env: keys } : {})));
      started.servers.push(...servers);
      return withStandIn(id, servers, connector, admin, observed, started);
    };
    const deployments = [await deploy('sqlite-1', 1), await deploy('pg-1', 1, pg1.url), await deploy('pg-2', 2, pg2.url)];
    ctx.log(`scale.out: ${deployments.map((d) => `${d.id} (${d.servers.length} × serve)`).join(', ')} up`);
    const measured = { turnsPerSec: await turns(ctx, deployments), pickupMs: await pickups(ctx, connector, deployments) };
    return scaleOutResult(measured);
  } finally {
    await Promise.all(started.standIns.map((s) => s.stop()));
    await Promise.all(started.servers.map((s) => s.stop()));
    await connector.close();
    for (const schema of started.schemas) await schema.drop();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

/** Enrolls a stand-in on instance A (token asked for in chat) and starts its long-poll. */
async function withStandIn(id: ConfigId, servers: Server[], connector: Connector, admin: BenchUser, observed: unknown, started: Started): Promise<Deployment> {
  const bots = servers.map((s) => botClient(s.url, connector));
  const a = servers[0]!;
  const standIn = await enrollStandIn(a.url, await enrollmentToken(bots[0]!, admin, LABEL), LABEL, `scale-${id}`);
  started.standIns.push(standIn);
  const deployment: Deployment = { id, servers, bots, standIn, picked: null };
  standIn.poll(async (lease) => {
    if (lease.envelope.kind !== 'discover') {
      await standIn.result(lease.jobId, { leaseId: lease.leaseId, status: 'cancelled', error: { code: 'cancelled', message: 'benchmark runner: discoveries only' } });
      return;
    }
    deployment.picked?.(lease);
    deployment.picked = null;
    await standIn.result(lease.jobId, { leaseId: lease.leaseId, status: 'succeeded', observed });
  });
  return deployment;
}

/** "help" from `user`, on the instance the user's index picks round-robin. */
function helpRoundRobin(d: Deployment, many: BenchUser[]): (user: BenchUser) => Promise<number> {
  const on = new Map(many.map((u, i) => [u, d.bots[i % d.bots.length]!]));
  return async (user) => (await on.get(user)!.say(user, 'help')).ms;
}

/** Turns per second at 50 users, per configuration and round (interleaved). */
async function turns(ctx: Ctx, deployments: Deployment[]): Promise<Record<ConfigId, number[]>> {
  const many = users(MANY_USERS, 'Scale user');
  const out = emptyRecord<number[]>(() => []);
  // Warm-up (JIT, connections, the first card render), not measured: as many turns per instance
  // whatever the configuration's instance count.
  for (const d of deployments) await load(many, 2 * d.bots.length, helpRoundRobin(d, many));
  for (let r = 0; r < ctx.sizes.rounds; r += 1) {
    const round: string[] = [];
    for (const d of deployments) {
      const l: Load = await load(many, ctx.sizes.messageTurns50, helpRoundRobin(d, many));
      out[d.id].push(l.perSec);
      round.push(`${d.id} ${l.perSec.toFixed(0)}`);
    }
    ctx.log(`scale.out round ${r + 1}: 50 users, turns/s ${round.join(', ')}`);
  }
  return out;
}

/** Pickup samples per configuration (after 2 unmeasured each), one of each in turn. */
async function pickups(ctx: Ctx, connector: Connector, deployments: Deployment[]): Promise<Record<ConfigId, number[]>> {
  const out = emptyRecord<number[]>(() => []);
  for (const d of deployments) for (let i = 0; i < 2; i += 1) await pickupSample(connector, d, `warm-up ${i}`);
  for (let i = 0; i < ctx.sizes.pickups; i += 1) {
    for (const d of deployments) out[d.id].push(await pickupSample(connector, d, String(i)));
  }
  ctx.log(`scale.out pickup p50: ${deployments.map((d) => `${d.id} ${quantile(out[d.id], 0.5)} ms`).join(', ')}`);
  return out;
}

/** A new user's intake and discovery on the last instance; ms from `issuedAt` to the lease read on A. */
async function pickupSample(connector: Connector, d: Deployment, tag: string): Promise<number> {
  const creator = d.bots[d.bots.length - 1]!;
  const user = newUser(`Scale ${d.id} ${tag}`);
  const { review } = await runIntake(creator, user, LABEL);
  const held = new Promise<Lease>((resolve) => {
    d.picked = resolve;
  });
  await discover(creator, connector, user, review);
  const lease = await held;
  return lease.receivedAt - Date.parse(lease.envelope.issuedAt);
}

function emptyRecord<T>(make: () => T): Record<ConfigId, T> {
  return Object.fromEntries(CONFIGS.map((id) => [id, make()])) as Record<ConfigId, T>;
}

/**
 * The scenario's figures, ratios and goals from what was measured: turns/s is the median over
 * rounds, its ratios the median of the per-round ratios; pickup p50 and p99 over all samples,
 * pg-2's p50 against the others' (a p50 under 1 ms counts as 1 ms there).
 */
export function scaleOutResult(m: Measured): ScenarioResult {
  const figures: Record<string, number> = {};
  for (const id of CONFIGS) figures[`turnsPerSec.${id}`] = median(m.turnsPerSec[id]);
  for (const id of CONFIGS) {
    figures[`pickupP50Ms.${id}`] = quantile(m.pickupMs[id], 0.5);
    figures[`pickupP99Ms.${id}`] = quantile(m.pickupMs[id], 0.99);
  }
  figures.pickupSamples = m.pickupMs['pg-2'].length;
  // The clocks behind a pickup have millisecond resolution: a p50 of 0 counts as 1 ms in a ratio.
  const p50 = (id: ConfigId) => Math.max(figures[`pickupP50Ms.${id}`]!, 1);
  return {
    id: 'scale.out',
    figures,
    ratios: {
      'turnsPerSec.pg-2 vs pg-1': medianRatio(m.turnsPerSec['pg-2'], m.turnsPerSec['pg-1']),
      'turnsPerSec.pg-1 vs sqlite-1': medianRatio(m.turnsPerSec['pg-1'], m.turnsPerSec['sqlite-1']),
      'pickupP50Ms.pg-2 vs pg-1': p50('pg-2') / p50('pg-1'),
      'pickupP50Ms.pg-2 vs sqlite-1': p50('pg-2') / p50('sqlite-1'),
    },
    goals: {
      'turnsPerSec.pg-2': '≥ 1.5× pg-1 (aspirational: on 2 cores both instances, PostgreSQL and the load share the CPU)',
      'turnsPerSec.pg-1': 'reported (vs sqlite-1)',
      'pickupP50Ms.pg-2': 'reported (across instances, through NOTIFY)',
    },
  };
}
