import { z } from 'zod';

/**
 * Fault injection for the simulator (src/lync-sim/README.md, Faults), from the state file's `faults` object or
 * the PICBOT_SIM_FAULTS environment variable (JSON of the same shape; its keys win).
 * - fail:       { "<op>": "<message>" } — that op answers ok:false, code cmdlet_failed, with the message
 * - hang:       ["<op>", …] — that op never answers and the process stops reading and ignores
 *               the end of stdin, like a cmdlet stuck on a dead connection; only a kill ends it
 * - exitAfter:  N — after answering N requests the process exits with code 3 (a crash mid-job)
 * - delayMs:    N — every op waits N ms before it runs
 * - replicationStuck: true — replicas never catch up after a write (replication.status stays stale)
 * - serverVersionLocalOnly: true — Get-CsServerVersion fails as it does over a remote session (it
 *               reads the local registry); server.version falls back to the topology's Registrar version
 * - scriptBlocksRefused: true — the endpoint refuses the script block that reads the
 *               VerificationLevelType enum; server.version falls back to the -InMemory probe
 */
export const Faults = z.object({
  fail: z.record(z.string(), z.string()).optional(),
  hang: z.array(z.string()).optional(),
  exitAfter: z.number().int().min(0).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  replicationStuck: z.boolean().optional(),
  serverVersionLocalOnly: z.boolean().optional(),
  scriptBlocksRefused: z.boolean().optional(),
}).strict();
export type Faults = z.infer<typeof Faults>;

export const FAULTS_ENV = 'PICBOT_SIM_FAULTS';

/** Exit code of a process ended by the exitAfter fault. */
export const FAULT_EXIT_CODE = 3;

/** Parses PICBOT_SIM_FAULTS; throws an error naming the variable when it is not valid. */
export function faultsFromEnv(value: string | undefined): Faults {
  if (value === undefined || value.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    throw new Error(`${FAULTS_ENV} is not JSON: ${(err as Error).message}`);
  }
  const parsed = Faults.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${FAULTS_ENV}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The faults in force: the state file's, overridden key by key by the environment's. */
export function mergeFaults(fromFile: Faults | undefined, fromEnv: Faults): Faults {
  return { ...(fromFile ?? {}), ...fromEnv };
}
