/** `picbot audit verify` and `picbot audit export`: the hash-chained audit log from the CLI. */
import { parseArgs } from 'node:util';
import { calendarDate } from '../../core/card-refs';
import { idKind } from '../../shared/ids';
import { ConfigError } from '../config';
import { listAuditRecords, parseCheckpoint, type AuditCheckpoint } from '../stores/audit-log';
import { auditLogFor, openExistingDatabase, withExistingDatabase } from './database';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot audit verify [--checkpoint SEQ:HASH] [--db FILE] [--json]
       picbot audit export [--since ISO-TIME] [--id ID] [--db FILE]

verify   checks the audit log's keyed hash chain (it needs the audit key: PICBOT_AUDIT_KEY_FILE,
         else audit.key beside the database); prints the number of records and the chain's tip
         (SEQ:HASH), or the first broken row and why (exit 1). An empty chain in a database that
         holds requests, plans or jobs is broken (the records were wiped).
export   prints audit records as JSON Lines on stdout, oldest first (no key needed).
Both open the database read-only and change nothing.

  --since ISO-TIME  only records at or after this time: a date (midnight UTC) or a time with its
                    zone (e.g. 2026-01-31 or 2026-01-31T12:00:00Z or 2026-01-31T13:00+01:00)
  --id ID           only records about this request, plan, job or runner (req_…, plan_…, job_…, run_…)
  --db FILE         the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  --checkpoint SEQ:HASH
                    verify: also check that row SEQ still has HASH (a tip picbot posted on a
                    plan's card in Teams): catches a rewrite even by someone holding the key
  --json            verify: print the result as JSON
  -h, --help        print this help

Exit codes: 0 success, 1 broken chain, bad input or failure.
`;

class UsageError extends Error {}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * The instant of --since, strictly: a calendar date (midnight UTC) or a date and time with its
 * zone (Z or ±HH:MM). Date.parse alone would take 2026-02-30 as March 2nd and a zone-less time
 * as local time. Returns the ISO string, or why not.
 */
export function parseSince(text: string): { ok: true; iso: string } | { ok: false; reason: string } {
  const t = text.trim();
  const date = calendarDate(t);
  if (date !== null) return { ok: true, iso: `${date}T00:00:00.000Z` };
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return { ok: false, reason: 'is not a calendar date' };
  const m = ISO_TIME.exec(t);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(t)
      ? { ok: false, reason: 'has no time zone: end it with Z or an offset such as +01:00' }
      : { ok: false, reason: 'is not an ISO time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)' };
  }
  const [, day, hh, mm, ss = '00', zone, zh = '00', zm = '00'] = m;
  if (calendarDate(day!) === null) return { ok: false, reason: 'is not a calendar date' };
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return { ok: false, reason: 'is not a time of day (00:00:00 to 23:59:59)' };
  if (zone!.toUpperCase() !== 'Z' && (Number(zh) > 23 || Number(zm) > 59)) return { ok: false, reason: 'has an offset that is not ±HH:MM' };
  return { ok: true, iso: new Date(Date.parse(t)).toISOString() };
}

/** Opens the database read-only (SQLite: no migration, no chmod) with its audit log under the key. */
async function openAudit(dbFlag: string | undefined) {
  const { sql, where } = await openExistingDatabase(dbFlag, { readOnly: true });
  try {
    return { db: sql, audit: await auditLogFor(sql, where) };
  } catch (err) {
    await sql.close();
    throw err;
  }
}

/** `picbot audit …` (argv is what follows `audit`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        checkpoint: { type: 'string' },
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
      let checkpoint: AuditCheckpoint | undefined;
      if (values.checkpoint !== undefined) {
        checkpoint = parseCheckpoint(values.checkpoint) ?? undefined;
        if (!checkpoint) throw new UsageError(`--checkpoint ${values.checkpoint} is not SEQ:HASH (a row number, a colon and 64 hex digits, as posted on the plan's card)`);
      }
      const { db, audit } = await openAudit(values.db);
      try {
        const result = await audit.verify({ checkpoint });
        if (values.json) io.stdout(`${JSON.stringify(result)}\n`);
        else if (result.ok) {
          const tip = result.tip ? `; tip ${result.tip.seq}:${result.tip.hash}` : '';
          io.stdout(`audit chain intact: ${result.count} record${result.count === 1 ? '' : 's'}${tip}${checkpoint ? `; matches checkpoint ${checkpoint.seq}` : ''}\n`);
        }
        else io.stdout(`audit chain broken at row ${result.seq}: ${result.reason}\n`);
        return result.ok ? 0 : 1;
      } finally {
        await db.close();
      }
    }
    if (sub === 'export') {
      if (values.checkpoint !== undefined) throw new UsageError('--checkpoint belongs to verify');
      if (values.json) throw new UsageError('export always prints JSON Lines; --json belongs to verify');
      let since: string | undefined;
      if (values.since !== undefined) {
        const parsed = parseSince(values.since);
        if (!parsed.ok) throw new UsageError(`--since ${values.since} ${parsed.reason}`);
        since = parsed.iso;
      }
      if (values.id !== undefined && idKind(values.id) === null) throw new UsageError(`--id ${values.id} is not a picbot id (req_…, plan_…, job_…, run_…)`);
      // Export reads records and needs no key.
      return await withExistingDatabase(values.db, async (db) => {
        for (const record of await listAuditRecords(db, { since, subjectId: values.id })) io.stdout(`${JSON.stringify(record)}\n`);
        return 0;
      }, { readOnly: true });
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
