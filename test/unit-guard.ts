/**
 * Setup of the `unit` jest project (after the framework is installed): unit tests start no child
 * process, so `npm run test:unit` stays quick and needs no build. A test that does is an
 * integration test (test/integration/); any attempt fails loudly here instead of slowing the unit
 * run. Node's own modules are shared by every test file a jest worker runs, so the guard is
 * lifted again after each unit test file (an integration file may follow in the same worker).
 */
import childProcess from 'node:child_process';

const NAMES = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
const originals = NAMES.map((name) => [name, Object.getOwnPropertyDescriptor(childProcess, name)] as const);

for (const name of NAMES) {
  Object.defineProperty(childProcess, name, {
    value: () => {
      throw new Error(`unit tests start no child processes (child_process.${name} was called): move this test to test/integration/`);
    },
    configurable: true,
    writable: true,
  });
}

afterAll(() => {
  for (const [name, descriptor] of originals) if (descriptor) Object.defineProperty(childProcess, name, descriptor);
});
