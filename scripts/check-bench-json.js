#!/usr/bin/env node
'use strict';
/**
 * CI's check of `npm run bench -- --quick --json` (read on stdin): one JSON document with the
 * machine, and every scenario with every figure, ratio and goal the bench reports (bench/README.md).
 * It proves the bench runs and its shape holds; it asserts no timing (any number passes).
 * A scenario reported as failed (an `error`, e.g. scale.out without PostgreSQL) fails the check.
 * Exit 1 naming the first failed scenario, or missing or malformed key.
 */
const EXPECTED = {
  'turn.message': {
    figures: ['p50Ms.1user', 'p99Ms.1user', 'turnsPerSec.1user', 'p50Ms.50users', 'p99Ms.50users', 'turnsPerSec.50users', 'floor.p50Ms.1user', 'floor.p50Ms.50users', 'floor.turnsPerSec.50users'],
    ratios: ['p50Ms.1user', 'p99Ms.1user', 'turnsPerSec.1user', 'p50Ms.50users', 'p99Ms.50users', 'turnsPerSec.50users'],
    goals: ['p50Ms.1user', 'p50Ms.50users', 'turnsPerSec.50users'],
  },
  'turn.intake': {
    figures: ['submitP50Ms.1user', 'submitP99Ms.1user', 'submitsPerSec.1user', 'submitP50Ms.50users', 'submitP99Ms.50users', 'submitsPerSec.50users',
      'floorStatic.p50Ms.1user', 'floorTemplated.p50Ms.1user', 'floorStatic.p50Ms.50users', 'floorTemplated.p50Ms.50users'],
    ratios: ['submitP50Ms.1user vs static', 'submitP50Ms.1user vs templated', 'submitP50Ms.50users vs static', 'submitP50Ms.50users vs templated', 'submitsPerSec.50users vs templated'],
    goals: ['submitP50Ms.1user', 'submitP50Ms.50users'],
  },
  pickup: {
    figures: ['p50Ms.1runner', 'p99Ms.1runner', 'p50Ms.manyRunners', 'p99Ms.manyRunners', 'serverP50Ms.1runner', 'serverP50Ms.manyRunners', 'manyRunners', 'samples'],
    ratios: ['p50Ms.manyRunners', 'p99Ms.manyRunners'],
    goals: ['p50Ms.manyRunners', 'p99Ms.manyRunners'],
  },
  'step.overhead': {
    figures: ['steps', 'outsideShellMsPerStep', 'shellMsPerStep', 'journalMsPerStep', 'journalShare', 'jobWallMs'],
    ratios: ['outsideShellMsPerStep'],
    goals: ['outsideShellMsPerStep', 'journalShare'],
  },
  'plan.large': {
    figures: ['users', 'steps', 'planMs', 'cardBytes', 'applyWallMs'],
    ratios: ['planMs', 'cardBytes'],
    goals: ['planMs', 'cardBytes'],
  },
  memory: {
    figures: ['idleRssMb', 'floor.idleRssMb', 'after50UsersRssMb', 'idlePollsRssMb', 'idleRunners', 'kbPerIdleRunner', 'kbPerIdleRunner.pollOnly'],
    ratios: ['idleRssMb', 'kbPerIdleRunner'],
    goals: ['idleRssMb', 'kbPerIdleRunner'],
  },
  start: {
    figures: ['picbotMs', 'floorMs'],
    ratios: ['picbotMs'],
    goals: ['picbotMs'],
  },
  'scale.out': {
    figures: ['turnsPerSec.sqlite-1', 'turnsPerSec.pg-1', 'turnsPerSec.pg-2',
      'pickupP50Ms.sqlite-1', 'pickupP99Ms.sqlite-1', 'pickupP50Ms.pg-1', 'pickupP99Ms.pg-1', 'pickupP50Ms.pg-2', 'pickupP99Ms.pg-2', 'pickupSamples'],
    ratios: ['turnsPerSec.pg-2 vs pg-1', 'turnsPerSec.pg-1 vs sqlite-1', 'pickupP50Ms.pg-2 vs pg-1', 'pickupP50Ms.pg-2 vs sqlite-1'],
    goals: ['turnsPerSec.pg-2', 'turnsPerSec.pg-1', 'pickupP50Ms.pg-2'],
  },
};

class Problem extends Error {}
function fail(message) {
  throw new Problem(message);
}

/** Throws a Problem naming the first missing or malformed key of the bench's JSON text. */
function check(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(`stdout is not one JSON document (${err.message}); it starts: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!doc || typeof doc.machine !== 'object' || doc.machine === null) fail('no "machine" object');
  if (typeof doc.machine.cores !== 'number') fail('machine.cores is not a number');
  if (typeof doc.machine.node !== 'string') fail('machine.node is not a string');
  if (!Array.isArray(doc.scenarios)) fail('no "scenarios" list');
  const ids = doc.scenarios.map((s) => s && s.id);
  const failed = doc.scenarios.find((s) => s && s.error !== undefined);
  if (failed) fail(`scenario ${failed.id} failed: ${failed.error}`);
  for (const [id, keys] of Object.entries(EXPECTED)) {
    const found = doc.scenarios.filter((s) => s && s.id === id);
    if (found.length !== 1) fail(`scenario ${id}: ${found.length} entries (want 1; got ids ${ids.join(', ')})`);
    const scenario = found[0];
    for (const part of ['figures', 'ratios', 'goals']) {
      const got = scenario[part];
      if (!got || typeof got !== 'object') fail(`${id}.${part} is not an object`);
      for (const key of keys[part]) {
        if (!(key in got)) fail(`${id}.${part}["${key}"] is missing`);
        const want = part === 'goals' ? 'string' : 'number';
        if (typeof got[key] !== want) fail(`${id}.${part}["${key}"] is ${typeof got[key]}, want a ${want}`);
      }
    }
  }
  const extra = ids.filter((id) => !(id in EXPECTED));
  if (extra.length > 0) fail(`unexpected scenario ids: ${extra.join(', ')}`);
  return doc.scenarios.length;
}

if (require.main === module) {
  try {
    const count = check(require('node:fs').readFileSync(0, 'utf8'));
    process.stdout.write(`bench JSON ok: ${count} scenarios, every key present\n`);
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    process.stderr.write(`check-bench-json: ${err.message}\n`);
    process.exit(1);
  }
}
module.exports = { EXPECTED };
