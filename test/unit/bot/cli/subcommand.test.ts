import { noMoreArgs, subcommandCli, UsageError } from '../../../../src/bot/cli/subcommand';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

const USAGE = 'Usage: picbot demo go|stop [--fast] [--db FILE]\n';
const cli = subcommandCli<{ fast?: boolean; db?: string }>({
  command: 'demo',
  usage: USAGE,
  options: { fast: { type: 'boolean' }, db: { type: 'string' } },
  subcommands: {
    async go({ values, args, io }) {
      noMoreArgs(args);
      io.stdout(`go fast=${String(values.fast ?? false)} db=${values.db ?? '-'}\n`);
      return 0;
    },
    async stop() {
      throw new Error('the database is locked');
    },
  },
});

describe('subcommandCli', () => {
  it.each([
    { argv: ['go', '--fast', '--db', 'x.db'], want: { code: 0, out: 'go fast=true db=x.db\n', err: '' } },
    { argv: ['--help'], want: { code: 0, out: USAGE, err: '' } },
    { argv: ['go', '-h'], want: { code: 0, out: USAGE, err: '' } },
    { argv: [], want: { code: 1, out: '', err: `picbot demo: missing subcommand (go or stop)\n\n${USAGE}` } },
    { argv: ['fly'], want: { code: 1, out: '', err: `picbot demo: unknown subcommand fly\n\n${USAGE}` } },
    { argv: ['go', 'now'], want: { code: 1, out: '', err: `picbot demo: unexpected argument now\n\n${USAGE}` } },
    { argv: ['go', '--slow'], want: { code: 1, out: '', err: expect.stringMatching(/^picbot demo: Unknown option '--slow'.*\n\nUsage: picbot demo/s) } },
    { argv: ['stop'], want: { code: 1, out: '', err: 'picbot demo: the database is locked\n' } },
    { argv: ['__proto__'], want: { code: 1, out: '', err: `picbot demo: unknown subcommand __proto__\n\n${USAGE}` } },
  ])('$argv', async ({ argv, want }) => {
    const c = capture();
    const code = await cli(argv, c.io);
    expect({ code, out: c.out.join(''), err: c.err.join('') }).toEqual(want);
  });

  it('a UsageError thrown by a handler prints the usage too', async () => {
    const c = capture();
    const bad = subcommandCli<object>({ command: 'x', usage: 'U\n', options: {}, subcommands: { go: async () => { throw new UsageError('needs an id'); } } });
    expect(await bad(['go'], c.io)).toBe(1);
    expect(c.err.join('')).toBe('picbot x: needs an id\n\nU\n');
  });
});
