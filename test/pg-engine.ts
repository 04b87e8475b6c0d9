/** Setup of `npm run test:pg` (jest.pg.config.js): the store suites run on PostgreSQL (test/engines.ts). */
process.env.PICBOT_TEST_ENGINE = 'postgres';
