/**
 * `picbot request export <id>`: prints a provisioning request as JSON in exactly the export shape
 * of `exportRequest` in src/core/request-record.ts (what `picbot plan` and `picbot preflight` accept), from the server's SQLite file.
 */
import { parseArgs } from 'node:util';
import { idKind } from '../../shared/ids';
import { ConfigError } from '../config';
import { createRequestStore } from '../stores/requests';
import { exportShape } from '../../core/request-record';
import { withExistingDatabase } from './database';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot request export <req_id> [--db FILE]

export   prints the provisioning request as JSON on stdout, in the shape picbot plan accepts.

  --db FILE   the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  -h, --help  print this help

Exit codes: 0 success, 1 unknown id, bad input or failure.
`;

class UsageError extends Error {}

/** `picbot request …` (argv is what follows `request`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
    if (values.help) {
      io.stdout(usage);
      return 0;
    }
    const [sub, id, ...extra] = positionals;
    if (sub !== 'export') throw new UsageError(sub === undefined ? 'missing subcommand (export)' : `unknown subcommand ${sub}`);
    if (id === undefined) throw new UsageError('missing the request id (req_…)');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (idKind(id) !== 'request') throw new UsageError(`${id} is not a request id (req_…)`);
    return await withExistingDatabase(values.db, async (db, path) => {
      const record = await createRequestStore(db).get(id);
      if (!record) {
        io.stderr(`picbot request: there is no provisioning request ${id} in ${path}\n`);
        return 1;
      }
      io.stdout(`${JSON.stringify(exportShape(record.request), null, 2)}\n`);
      return 0;
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.stderr(`picbot request: ${(err as Error).message}\n${usage}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.stderr(`picbot request: ${err.message}\n`);
      return 1;
    }
    io.stderr(`picbot request: ${(err as Error).message}\n`);
    return 1;
  }
}
