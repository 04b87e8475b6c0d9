/**
 * `picbot plan export <plan_id>`: prints a stored plan (the one approvers voted on) as the
 * PowerShell script "Show script" shows, or with --json as the plan with its rendered commands,
 * from the server's SQLite file. The approval card's script is cut at what a card holds; this is
 * where the whole of it is.
 */
import { parseArgs } from 'node:util';
import { planScript, planView } from '../../core/plan-script';
import { idKind } from '../../shared/ids';
import { ConfigError } from '../config';
import type { AuditInTransaction } from '../stores/audit-log';
import { createPlanStore } from '../stores/plans';
import { withExistingDatabase } from './database';
import { processIo, type CliIo } from './io';


/** Export only reads the plan: a write through this store would be a bug, so it fails loudly. */
const readOnly: AuditInTransaction = async (_tx, entry) => {
  throw new Error(`picbot plan export only reads, but tried to record ${entry.action}`);
};

export const usage = `Usage: picbot plan export <plan_id> [--json] [--db FILE]

export   prints a stored plan as its PowerShell script (every step and its rollback), or with
         --json as JSON: planId, kind, status, requestId, target, revision and the plan (steps with
         their PowerShell and rollback, alreadyConfigured, refusals, fingerprint, planHash).

  --json      print the plan as JSON
  --db FILE   the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  -h, --help  print this help

Exit codes: 0 success, 1 unknown id, bad input or failure.
`;

class UsageError extends Error {}

/** `picbot plan export …` (argv is what follows `plan`, starting with `export`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
    if (values.help) {
      io.stdout(usage);
      return 0;
    }
    const [sub, id, ...extra] = positionals;
    if (sub !== 'export') throw new UsageError(sub === undefined ? 'missing subcommand (export)' : `unknown subcommand ${sub}`);
    if (id === undefined) throw new UsageError('missing the plan id (plan_…)');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (idKind(id) !== 'plan') throw new UsageError(`${id} is not a plan id (plan_…)`);
    return await withExistingDatabase(values.db, async (db, path) => {
      const record = await createPlanStore(db, () => new Date().toISOString(), readOnly).get(id);
      if (!record) {
        io.stderr(`picbot plan: there is no plan ${id} in ${path}\n`);
        return 1;
      }
      if (values.json) {
        const out = { planId: record.id, kind: record.kind, status: record.status, requestId: record.requestId, target: record.targetLabel, revision: record.revision, ...planView(record.plan) };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.stdout(planScript(record.plan));
      }
      io.stderr(`picbot plan: ${record.kind} ${record.id} (${record.status}), ${record.plan.steps.length} step(s), plan hash ${record.plan.planHash.slice(0, 12)}\n`);
      return 0;
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      io.stderr(`picbot plan: ${(err as Error).message}\n${usage}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.stderr(`picbot plan: ${err.message}\n`);
      return 1;
    }
    io.stderr(`picbot plan: ${(err as Error).message}\n`);
    return 1;
  }
}
