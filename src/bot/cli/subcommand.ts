/**
 * The shape the `picbot <command> <subcommand> [flags]` CLIs share (drift, keys, runner): strict
 * flag parsing with -h/--help, one handler per subcommand, and one way of failing — a usage
 * mistake prints the message and the usage on stderr, any other failure the message alone; both
 * exit 1. Each handler returns its own exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './io';

/** A mistake in how the command was called: the usage is printed after the message. */
export class UsageError extends Error {}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * What a subcommand's handler gets: the parsed flags (`V`, the shape `options` declares: a
 * string flag is a string, a boolean flag a boolean, each absent unless given), the words after
 * the subcommand, and the streams.
 */
export interface SubcommandCall<V> {
  values: V;
  args: string[];
  io: CliIo;
}

export interface SubcommandCli<V> {
  /** The word after `picbot` (for messages: "picbot keys: …"). */
  command: string;
  usage: string;
  /** The flags every subcommand accepts (-h/--help is added). */
  options: NonNullable<ParseArgsConfig['options']>;
  subcommands: Record<string, (call: SubcommandCall<V>) => Promise<number>>;
}

/** Throws a UsageError when `args` holds more than the subcommand takes. */
export function noMoreArgs(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
}

/** The `run(argv, io)` of a CLI: resolves to the exit code, never rejects. */
export function subcommandCli<V extends object>(spec: SubcommandCli<V>): (argv: string[], io: CliIo) => Promise<number> {
  const names = Object.keys(spec.subcommands);
  return async (argv, io) => {
    try {
      let parsed: { values: Record<string, unknown>; positionals: string[] };
      try {
        parsed = parseArgs({ args: argv, options: { ...spec.options, ...HELP }, allowPositionals: true, strict: true });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (parsed.values.help === true) {
        io.stdout(spec.usage);
        return 0;
      }
      const [sub, ...args] = parsed.positionals;
      const handler = sub !== undefined && Object.hasOwn(spec.subcommands, sub) ? spec.subcommands[sub] : undefined;
      if (!handler) throw new UsageError(sub === undefined ? `missing subcommand (${names.join(' or ')})` : `unknown subcommand ${sub}`);
      // strict parsing allowed only the declared options, each with its declared type.
      return await handler({ values: parsed.values as V, args, io });
    } catch (err) {
      io.stderr(`picbot ${spec.command}: ${(err as Error).message}\n${err instanceof UsageError ? `\n${spec.usage}` : ''}`);
      return 1;
    }
  };
}
