import { execFileSync, spawn } from 'node:child_process';

/** The unit project's guard (test/unit-guard.ts) is in place: a unit test cannot start a process. */
it.each([
  { name: 'spawn', start: () => spawn(process.execPath, ['-e', '']) },
  { name: 'execFileSync', start: () => execFileSync(process.execPath, ['-e', '']) },
])('$name is refused with a message saying where the test belongs', ({ name, start }) => {
  expect(start).toThrow(`unit tests start no child processes (child_process.${name} was called): move this test to test/integration/`);
});
