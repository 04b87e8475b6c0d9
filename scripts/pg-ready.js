#!/usr/bin/env node
/**
 * Exit 0 when PostgreSQL answers at PICBOT_TEST_PG_URL (default 127.0.0.1:5432, database test),
 * 1 otherwise; `--wait SECONDS` keeps trying that long. Used by .ci/run before `npm run test:pg`.
 */
const { Client } = require('pg');

const url = process.env.PICBOT_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const i = process.argv.indexOf('--wait');
const waitMs = i > 0 ? Number(process.argv[i + 1]) * 1000 : 0;

async function once() {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

(async () => {
  const until = Date.now() + waitMs;
  for (;;) {
    const err = await once();
    if (!err) {
      process.stderr.write(`PostgreSQL answers at ${new URL(url).host}\n`);
      return;
    }
    if (Date.now() >= until) {
      process.stderr.write(`PostgreSQL does not answer at ${new URL(url).host}: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
})();
