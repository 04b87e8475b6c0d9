/** `picbot runner-token --labels pool-eu [--json]`: a one-time runner enrollment token, from the server's shell. */
import { parseArgs } from 'node:util';
import { RunnerLabel } from '../../contracts/runner-api';
import { ConfigError } from '../config';
import { processIo, type CliIo } from './io';
import { openRegistry } from './runner';
import { UsageError } from './subcommand';

export const usage = `Usage: picbot runner-token --labels LABEL[,LABEL…] [--json] [--db FILE]

Prints a one-time enrollment token for a runner serving these deployment labels. It expires after
one hour and works once; only its hash is stored. The same as "runner token LABEL" in a personal
chat with the bot. Use it on the Lync management host:
  npx picbot-runner --server URL --enroll TOKEN --labels LABEL --shell powershell --fe FE-FQDN

  --labels LABELS   comma-separated runner labels (letters, digits, dot, underscore, hyphen)
  --json            print {"token","expiresAt","labels"} instead of the bare token
  --db FILE         the server's SQLite file (default: PICBOT_DB, else ./data/picbot.db); it must
                    exist: run this in the server's folder or name the file
  -h, --help        print this help

The token goes to stdout (only the token, or the JSON); nothing else is printed there.
Exit codes: 0 success, 1 bad flags or failure.
`;

/** `picbot runner-token …` (argv is what follows `runner-token`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    let values: { labels?: string; json?: boolean; db?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        allowPositionals: false,
        strict: true,
        options: { labels: { type: 'string' }, json: { type: 'boolean' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (values.help) {
      io.stdout(usage);
      return 0;
    }
    if (values.labels === undefined) throw new UsageError('--labels is required (the labels the runner will serve, e.g. --labels pool-eu)');
    const labels = values.labels.split(',').map((l) => l.trim().toLowerCase()).filter((l) => l.length > 0);
    if (labels.length === 0) throw new UsageError('--labels: give at least one label');
    // Every flag is checked before the database is opened.
    for (const label of labels) {
      const ok = RunnerLabel.safeParse(label);
      if (!ok.success) throw new UsageError(`--labels: label "${label.slice(0, 64)}": ${ok.error.issues[0]?.message ?? 'not a label'}`);
    }
    const { registry, close } = await openRegistry(values.db);
    try {
      const made = await registry.createEnrollmentToken({ labels, createdBy: 'cli' });
      io.stdout(values.json ? `${JSON.stringify({ token: made.token, expiresAt: made.expiresAt, labels: made.labels })}\n` : `${made.token}\n`);
      return 0;
    } finally {
      await close();
    }
  } catch (err) {
    const withUsage = err instanceof UsageError || (err as { code?: string }).code === 'bad_request';
    io.stderr(`picbot runner-token: ${(err as Error).message}\n${withUsage && !(err instanceof ConfigError) ? `\n${usage}` : ''}`);
    return 1;
  }
}
