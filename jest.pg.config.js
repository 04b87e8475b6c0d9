/**
 * `npm run test:pg`: the store suites (test/unit/bot/stores) again on a real PostgreSQL, each test
 * on a fresh schema (test/engines.ts), and the scale-out tests (test/pg: several server processes
 * on one database). PostgreSQL must answer at PICBOT_TEST_PG_URL (default 127.0.0.1:5432, database
 * test); a test fails, never skips, when it does not. `.ci/run` starts it when it is down.
 */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/pg-engine.ts'],
};

module.exports = {
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'pg-stores', roots: ['<rootDir>/test/unit/bot/stores'] },
    { ...common, displayName: 'pg-scale-out', roots: ['<rootDir>/test/pg'] },
  ],
};
