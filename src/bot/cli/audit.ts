/** `picbot audit verify` and `picbot audit export`: the hash-chained audit log from the CLI. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { idKind } from '../../shared/ids';
import { systemClock } from '../../shared/clock';
import { loadConfig, ConfigError } from '../config';
import { createAuditLog } from '../stores/audit-log';
import { openDatabase } from '../stores/db';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot audit verify [--db FILE] [--json]
       picbot audit export [--since ISO-TIME] [--id ID] [--db FILE]

verify   checks the audit log's hash chain; prints the number of records, or the first broken
         row and why (exit 1).
export   prints audit records as JSON Lines on stdout, oldest first.

  --since ISO-TIME  only records at or after this time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)
  --id ID           only records about this request, plan, job or runner (req_…, plan_…, job_…, run_…)
  --db FILE         the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  --json            verify: print the result as JSON
  -h, --help        print this help

Exit codes: 0 success, 1 broken chain, bad input or failure.
`;

class UsageError extends Error {}

function openAudit(dbFlag: string | undefined) {
  const path = dbFlag ?? loadConfig().dbPath;
  // Opening would create an empty file and then call the chain intact; a wrong path is an error.
  if (!existsSync(path)) throw new UsageError(`no picbot database at ${path}`);
  const db = openDatabase(path);
  return { db, audit: createAuditLog(db, systemClock) };
}

/** `picbot audit …` (argv is what follows `audit`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        id: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout(usage);
      return 0;
    }
    const [sub, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (sub === 'verify') {
      if (values.since !== undefined || values.id !== undefined) throw new UsageError('--since and --id belong to export');
      const { db, audit } = openAudit(values.db);
      try {
        const result = await audit.verify();
        if (values.json) io.stdout(`${JSON.stringify(result)}\n`);
        else if (result.ok) io.stdout(`audit chain intact: ${result.count} record${result.count === 1 ? '' : 's'}\n`);
        else io.stdout(`audit chain broken at row ${result.seq}: ${result.reason}\n`);
        return result.ok ? 0 : 1;
      } finally {
        db.close();
      }
    }
    if (sub === 'export') {
      if (values.json) throw new UsageError('export always prints JSON Lines; --json belongs to verify');
      let since: string | undefined;
      if (values.since !== undefined) {
        const t = Date.parse(values.since);
        if (Number.isNaN(t)) throw new UsageError(`--since ${values.since} is not an ISO time`);
        since = new Date(t).toISOString();
      }
      if (values.id !== undefined && idKind(values.id) === null) throw new UsageError(`--id ${values.id} is not a picbot id (req_…, plan_…, job_…, run_…)`);
      const { db, audit } = openAudit(values.db);
      try {
        const records = await audit.list({ since, subjectId: values.id });
        for (const record of records) io.stdout(`${JSON.stringify(record)}\n`);
        return 0;
      } finally {
        db.close();
      }
    }
    throw new UsageError(sub === undefined ? 'missing subcommand (verify or export)' : `unknown subcommand ${sub}`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.stderr(`picbot audit: ${(err as Error).message}\n${err instanceof ConfigError ? '' : usage}`);
      return 1;
    }
    io.stderr(`picbot audit: ${(err as Error).message}\n`);
    return 1;
  }
}
