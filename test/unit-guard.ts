/**
 * Setup of the `unit` jest project: unit tests start no child process, so `npm run test:unit`
 * stays quick and needs no build. A test that does is an integration test (test/integration/);
 * any attempt fails loudly here instead of slowing the unit run.
 */
import childProcess from 'node:child_process';

const refuse = (name: string) => () => {
  throw new Error(`unit tests start no child processes (child_process.${name} was called): move this test to test/integration/`);
};
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, { value: refuse(name), configurable: true, writable: true });
}
