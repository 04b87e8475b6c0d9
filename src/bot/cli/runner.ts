/** `picbot runner list` and `picbot runner revoke <id>`: enrolled runners, from the server's shell. */
import { systemClock } from '../../shared/clock';
import { isIdOf } from '../../shared/ids';
import { createRunnerRegistry } from '../runner-gateway/registry';
import { createRunnerStore } from '../stores/runners';
import type { RunnerInfo } from '../workflows/ports';
import { auditLogFor, openExistingDatabase } from './database';
import { processIo, type CliIo } from './io';
import { noMoreArgs, subcommandCli, UsageError } from './subcommand';

export const usage = `Usage: picbot runner list [--json] [--db FILE]
       picbot runner revoke RUNNER-ID [--json] [--db FILE]

list     the enrolled runners: id, name, labels, last seen, revoked or active
revoke   revokes a runner: from now on its token gets 401 (a runner of a server in another
         process notices at its next long-poll, within 30 s); a job it holds is marked
         interrupted when its lease runs out. The same as "runners revoke ID" in chat.

  --json       print JSON instead of text
  --db FILE    the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  -h, --help   print this help

Exit codes: 0 success, 1 bad flags, unknown or already revoked runner, or failure.
`;

/** Opens the registry on the server's existing database (audited like the chat commands). */
export async function openRegistry(dbFlag: string | undefined): Promise<{ registry: ReturnType<typeof createRunnerRegistry>; close: () => Promise<void> }> {
  const { sql, where } = await openExistingDatabase(dbFlag);
  try {
    const registry = createRunnerRegistry({ store: createRunnerStore(sql, systemClock), audit: await auditLogFor(sql, where) });
    return { registry, close: () => sql.close() };
  } catch (err) {
    await sql.close();
    throw err;
  }
}

const line = (r: RunnerInfo) =>
  `${r.id}  ${r.name}  ${r.labels.join(',')}  last seen ${r.lastSeenAt}  ${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}`;

/** `picbot runner …` (argv is what follows `runner`). Resolves to the exit code. */
export const run = (argv: string[], io: CliIo = processIo): Promise<number> => runnerCli(argv, io);

const runnerCli = subcommandCli<{ json?: boolean; db?: string }>({
  command: 'runner',
  usage,
  options: { json: { type: 'boolean' }, db: { type: 'string' } },
  subcommands: {
    async list({ values, args, io }) {
      noMoreArgs(args);
      const { registry, close } = await openRegistry(values.db);
      try {
        const runners = await registry.list();
        if (values.json) io.stdout(`${JSON.stringify(runners)}\n`);
        else io.stdout(runners.length === 0 ? 'no runner has enrolled\n' : `${runners.map(line).join('\n')}\n`);
        return 0;
      } finally {
        await close();
      }
    },
    async revoke({ values, args, io }) {
      const [id, ...extra] = args;
      if (id === undefined) throw new UsageError('revoke needs the runner id (run_…); "picbot runner list" shows them');
      noMoreArgs(extra);
      if (!isIdOf('runner', id)) throw new UsageError(`${id} is not a runner id (run_…)`);
      const { registry, close } = await openRegistry(values.db);
      try {
        const r = await registry.revoke(id, 'cli');
        if (!r.ok) {
          io.stderr(`picbot runner: ${r.reason}\n`);
          return 1;
        }
        io.stdout(values.json ? `${JSON.stringify(r.runner)}\n` : `revoked ${r.runner.id} (${r.runner.name}, ${r.runner.labels.join(',')})\n`);
        return 0;
      } finally {
        await close();
      }
    },
  },
});
