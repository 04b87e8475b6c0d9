/**
 * The server's entry point: `node dist/bot/main.js serve` (the same as `picbot serve`). The
 * server is built in src/bot/compose.ts; this module only starts it from the command line and
 * keeps the import path scripts and tests use.
 */
export { startServer, type RunningServer, type StartOptions } from './compose';

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'serve') {
    process.stderr.write('Usage: node dist/bot/main.js serve   (the same as: picbot serve)\n');
    process.exitCode = 1;
  } else {
    void import('./cli/serve').then((serve) => serve.run(rest)).then((code) => {
      if (code !== 0) process.exit(code);
    }, (err: unknown) => {
      process.stderr.write(`picbot: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  }
}
