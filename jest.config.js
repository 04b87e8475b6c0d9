/**
 * `npm test` runs both projects; `npm run test:unit` only `unit` (no child process, no build
 * needed; test/unit-guard.ts refuses a child process there). The browser end-to-end test has its
 * own config. ts-jest only transpiles (isolatedModules): `npm run typecheck` checks the types once.
 * Test files use their own temporary folders and ephemeral ports, so they run in parallel workers.
 * `npm run test:unit` takes a third worker: the runner fence test mostly waits on a real lease,
 * and the other two keep both cores busy meanwhile.
 */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  maxWorkers: 2,
  // A global option: inside a project it would be ignored (and jest's 5 s would apply).
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'], setupFilesAfterEnv: ['<rootDir>/test/unit-guard.ts'] },
    { ...common, displayName: 'integration', roots: ['<rootDir>/test/integration', '<rootDir>/test/fuzz'] },
  ],
};
