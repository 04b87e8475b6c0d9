/**
 * `picbot drift check [--label LABEL] [--json]`: a drift check from the server's shell. It queues
 * the same read-only check the chat's `drift` queues, in the server's database, and waits for the
 * running server to finish it: a runner leases it from the server (at its next long-poll), the
 * server compares the read with the baseline and posts or updates the drift card. See docs/drift.md.
 */
import { z } from 'zod';
import { keyLabel, valueText } from '../../core/drift';
import { JobEnvelope, PROTOCOL_VERSION, RunnerLabel } from '../../contracts/runner-api';
import { signEnvelope } from '../../contracts/signing';
import { systemClock } from '../../shared/clock';
import { CodedError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { loadConfig, signingKeyFileFor } from '../config';
import { createMetrics } from '../metrics';
import { jobAudit, jobProblem } from '../runner-gateway/job-queue';
import { createRunnerRegistry } from '../runner-gateway/registry';
import { createDriftStore } from '../stores/drift-watch';
import { createJobStore, type JobStore } from '../stores/jobs';
import { createRunnerStore } from '../stores/runners';
import { readKeyFile } from '../stores/key-files';
import { signingKeysFromPem } from '../stores/server-secrets';
import type { DriftCheck, DriftStore } from '../workflows/drift-ports';
import { queueDriftCheck, type CheckStart } from '../workflows/drift-watch';
import type { JobRecord, NewJob } from '../workflows/ports';
import { auditLogFor, keysBeside, withExistingDatabase } from './database';
import { processIo, type CliIo } from './io';
import { noMoreArgs, subcommandCli, UsageError } from './subcommand';

export const usage = `Usage: picbot drift check [--label LABEL] [--json] [--wait SECONDS] [--db FILE]

check    checks now whether each watched target (every runner label picbot has applied a plan
         to, or only --label) still shows what picbot applied. The check is a read-only
         discovery job in the server's queue: the picbot server must be running, and its runner
         takes the job at its next poll (within 30 s). The server posts or updates the drift
         card as for "drift" in chat. Prints one line per target, or with --json:
         {"checks":[{"target","result","checkedAt","jobId","reason","differences":[…]}]}
         result is clean, drift or not-checked (never clean when nothing was read).

  --label LABEL   check this target only
  --json          print the result as JSON
  --wait SECONDS  how long to wait for the server (default: PICBOT_DISCOVERY_TIMEOUT_SECONDS + 30)
  --db FILE       the server's SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  -h, --help      print this help

Exit codes: 0 every target checked and clean; 3 a drift was found; 4 a target was not checked
(and none drifted); 1 bad flags, an unknown label or a missing database.
`;

const PositiveInt = z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number).pipe(z.number().int().min(1).max(3600));
const POLL_MS = 500;

/** One target's result as printed. */
interface Printed {
  target: string;
  result: 'clean' | 'drift' | 'not-checked';
  checkedAt: string | null;
  jobId: string | null;
  reason: string | null;
  differences: { key: string; parameter: string; object: string; baseline: string; now: string }[];
}

/** Signs and stores a job as the server's JobQueue.create does, without starting a sweeper in this process. */
function createJob(store: JobStore, privateKeyPem: string) {
  return async (input: NewJob): Promise<JobRecord> => {
    const problem = jobProblem(input);
    if (problem) throw new CodedError('bad_request', `creating a ${input.kind} job for ${input.target}: ${problem}`);
    const envelope = JobEnvelope.parse({
      protocolVersion: PROTOCOL_VERSION, jobId: newId('job'), kind: input.kind, target: input.target.toLowerCase(), profile: input.profile,
      discovery: input.discovery, steps: input.steps ?? [], approvals: [], issuedAt: systemClock.now().toISOString(),
    });
    const pickup = input.pickupTimeoutSeconds ?? null;
    const job = await store.insert({
      envelope,
      signature: signEnvelope(envelope, privateKeyPem),
      context: input.context,
      createdBy: input.createdBy,
      pickupDeadline: pickup === null ? null : new Date(systemClock.now().getTime() + pickup * 1000).toISOString(),
    });
    return job;
  };
}

function printed(target: string, check: DriftCheck | null, started: CheckStart): Printed {
  if (!check || check.status === 'checking') {
    return { target, result: 'not-checked', checkedAt: null, jobId: started.jobId, reason: started.reason ?? 'no runner took the check in time: is the picbot server running, with a runner for this label?', differences: [] };
  }
  return {
    target,
    result: check.status,
    checkedAt: check.at,
    jobId: check.jobId,
    reason: check.reason,
    differences: check.differences.map((d) => ({ key: d.id, ...keyLabel(d.key), baseline: valueText(d.key, d.baseline), now: valueText(d.key, d.now) })),
  };
}

/** Waits until the server stored the end of the check `jobId` of `target`, or the deadline passes. */
async function waitForCheck(store: DriftStore, target: string, jobId: string, deadline: number): Promise<DriftCheck | null> {
  for (;;) {
    const check = (await store.get(target))?.lastCheck ?? null;
    if (check && check.jobId === jobId && check.status !== 'checking') return check;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** `picbot drift …` (argv is what follows `drift`). Resolves to the exit code. */
export const run = (argv: string[], io: CliIo = processIo): Promise<number> => driftCli(argv, io);

const driftCli = subcommandCli<{ label?: string; json?: boolean; wait?: string; db?: string }>({
  command: 'drift',
  usage,
  options: { label: { type: 'string' }, json: { type: 'boolean' }, wait: { type: 'string' }, db: { type: 'string' } },
  subcommands: {
    async check({ values, args, io }) {
      noMoreArgs(args);
      let label: string | null = null;
      if (values.label !== undefined) {
        const parsed = RunnerLabel.safeParse(values.label.trim().toLowerCase());
        if (!parsed.success) throw new UsageError(`--label: "${values.label.slice(0, 64)}" is not a runner label`);
        label = parsed.data;
      }
      let waitSeconds: number | null = null;
      if (values.wait !== undefined) {
        const parsed = PositiveInt.safeParse(values.wait);
        if (!parsed.success) throw new UsageError(`--wait: ${parsed.error.issues[0]?.message ?? 'invalid'} (1 to 3600)`);
        waitSeconds = parsed.data;
      }
      const config = loadConfig();
      return await withExistingDatabase(values.db, async (db, path) => {
        const audit = await auditLogFor(db, path);
        const store = createDriftStore(db);
        const targets = label === null ? (await store.list()).map((r) => r.baseline.target) : [label];
        if (label !== null && !(await store.get(label))) {
          io.stderr(`picbot drift: picbot watches no target ${label} in ${path} (drift watch starts once a plan was applied there)\n`);
          return 1;
        }
        // Jobs are signed with the server's own key file, which runners have pinned.
        const setting = signingKeyFileFor(keysBeside(db, path));
        const { privateKeyPem } = signingKeysFromPem(setting, readKeyFile('PICBOT_SIGNING_KEY_FILE', setting));
        // Each change and its audit record are stored in one transaction, as on the server.
        const jobStore = createJobStore(db, systemClock, audit.inTransaction, jobAudit);
        // This process's own counters: the server counts the checks it compares.
        const local = createMetrics();
        const deps = {
          store,
          jobs: { create: createJob(jobStore, privateKeyPem), get: (id: string) => jobStore.get(id) },
          runners: createRunnerRegistry({ store: createRunnerStore(db, systemClock), audit }),
          clock: systemClock,
          metrics: { checkRun: (status: string) => local.inc('picbot_drift_checks_total', { result: status }) },
          pickupTimeoutSeconds: config.discoveryTimeoutSeconds,
        };
        const deadline = Date.now() + (waitSeconds ?? config.discoveryTimeoutSeconds + 30) * 1000;
        const results: Printed[] = [];
        for (const target of targets) {
          const started = await queueDriftCheck(deps, 'cli', target, null);
          if (started.state === 'not-checked') {
            results.push(printed(target, (await store.get(target))?.lastCheck ?? null, started));
            continue;
          }
          io.stderr(`picbot drift: ${target}: ${started.state === 'checking' ? 'a check is already under way' : 'check queued'} (${started.jobId})\n`);
          results.push({ ...printed(target, null, started), reason: null });
        }
        for (const [i, r] of results.entries()) {
          if (r.jobId === null || r.result !== 'not-checked' || r.reason !== null) continue;
          const check = await waitForCheck(store, r.target, r.jobId, deadline);
          if (!check) {
            // Nobody took it: withdraw it, so a server started later does not run a stale check.
            await jobStore.requestCancel(r.jobId, 'cli');
          }
          results[i] = printed(r.target, check, { target: r.target, state: 'queued', jobId: r.jobId, reason: null });
        }
        if (values.json) io.stdout(`${JSON.stringify({ checks: results })}\n`);
        else {
          if (results.length === 0) io.stdout('picbot watches no target yet: drift watch starts once picbot has applied a plan.\n');
          for (const r of results) {
            const what = r.result === 'clean' ? 'no drift'
              : r.result === 'drift' ? `drift in ${r.differences.length} setting(s): ${r.differences.map((d) => `${d.parameter} of the ${d.object} is ${d.now}, baseline ${d.baseline}`).join('; ')}`
                : `not checked: ${r.reason ?? 'no reason given'}`;
            io.stdout(`${r.target}: ${what}\n`);
          }
        }
        if (results.some((r) => r.result === 'drift')) return 3;
        if (results.some((r) => r.result === 'not-checked')) return 4;
        return 0;
      });
    },
  },
});
