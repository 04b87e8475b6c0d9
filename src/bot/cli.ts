/**
 * The `picbot` command (bin/picbot.js): a dispatch table of subcommands, each a module that
 * exports `usage` and `run(argv): Promise<number>` (the exit code: 0 ok, 1 usage/bad input/
 * failure, 2 only for `picbot plan` refused). Results go to stdout, logs to stderr.
 * To add a subcommand, add one line to COMMANDS.
 */
import type { CliIo } from './cli/io';

interface Subcommand {
  usage: string;
  run(argv: string[], io?: CliIo): Promise<number>;
}

/** First word → summary and module (loaded lazily, so `picbot audit` does not load botbuilder). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
  serve: { summary: 'start the server alone (local or production mode from the environment)', load: () => import('./cli/serve') },
  audit: { summary: 'verify the audit log\'s hash chain, or export it as JSON Lines', load: () => import('./cli/audit') },
  plan: { summary: 'compute a plan from a request and an observed state (exit 2 when refused); plan export <plan_id>: a stored plan\'s script', load: () => import('./cli/plan') },
  request: { summary: 'print a provisioning request as JSON (request export <req_id>), the shape picbot plan accepts', load: () => import('./cli/request-export') },
  preflight: { summary: 'check DNS SRV/A records and the Access Edge certificate of a request (exit 1 on a failed check)', load: () => import('./cli/preflight') },
  'runner-token': { summary: 'print a one-time runner enrollment token (1 hour) for labels', load: () => import('./cli/runner-token') },
  runner: { summary: 'list enrolled runners, or revoke one (its token gets 401)', load: () => import('./cli/runner') },
  drift: { summary: 'drift check: does each target still show what picbot applied? (exit 3 drift, 4 not checked)', load: () => import('./cli/drift') },
  doctor: { summary: 'check configuration, database, clock, runners, Bot Framework credentials and the audit chain (exit 1 on a failed check)', load: () => import('./cli/doctor') },
  db: { summary: 'the database: migrate the schema, status (exit 1 when behind), copy a SQLite install to PostgreSQL', load: () => import('./cli/db') },
  keys: { summary: 'rotate the job-signing key (runners follow it, signed by the old key)', load: () => import('./cli/keys') },
};

export const usage = `Usage: picbot <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
  .join('\n')}

Run "picbot <command> --help" for a command's options.
`;

/** Dispatches argv (what follows `picbot`); resolves to the exit code. */
export async function main(argv: string[], io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage);
    return name === undefined ? 1 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`picbot: unknown command ${name}\n\n${usage}`);
    return 1;
  }
  const mod = await command.load();
  return mod.run(rest, io);
}

// Run when executed directly or through bin/picbot.js (which only requires this file).
if (require.main === module || /[\\/]bin[\\/]picbot\.js$/.test(require.main?.filename ?? '')) {
  void main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`picbot: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
