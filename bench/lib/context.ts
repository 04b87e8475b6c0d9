/** What every scenario gets: the run's size, the connector, the long-lived processes, a log. */
import type { BenchUser } from './activities';
import type { Connector } from './connector';
import type { Server } from './procs';
import { median } from './stats';

export interface Sizes {
  /** Interleaved rounds (floor, picbot, floor, picbot, …) per compared figure. */
  rounds: number;
  /** Turns per round by the one user, and per user at 50 users. */
  messageTurns1: number;
  messageTurns50: number;
  /** Whole intakes per round by one user (one after the other). */
  intakes1: number;
  /** Approvals timed per runner count in `pickup`. */
  pickups: number;
  /** The many long-polling runners of `pickup` and `memory`. */
  idleRunners: number;
  /** Grant steps of `step.overhead` and users of `plan.large`. */
  overheadSteps: number;
  largeUsers: number;
  /** Process starts per side in `start`. */
  starts: number;
}

export const FULL: Sizes = { rounds: 3, messageTurns1: 150, messageTurns50: 12, intakes1: 12, pickups: 30, idleRunners: 1000, overheadSteps: 500, largeUsers: 5000, starts: 5 };
export const QUICK: Sizes = { rounds: 2, messageTurns1: 20, messageTurns50: 2, intakes1: 2, pickups: 5, idleRunners: 100, overheadSteps: 50, largeUsers: 500, starts: 2 };

/** The number of concurrent users of the "50 users" figures. */
export const MANY_USERS = 50;

export interface BenchContext {
  sizes: Sizes;
  connector: Connector;
  picbot: Server;
  floor: Server;
  /** An admin (local mode: everyone) whose personal chat asks for runner tokens. */
  admin: BenchUser;
  /** RSS figures taken along the way, for the `memory` scenario. */
  memory: Record<string, number>;
  log(message: string): void;
}

/** Runs `work(i)` for i in 0..n-1 all at once. */
export function concurrently<T>(n: number, work: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => work(i)));
}

/** The median of the per-round ratios a/b. */
export const medianRatio = (a: number[], b: number[]): number => median(a.map((x, i) => x / b[i]!));
