/**
 * scripts/check-bench-json.js, CI's check of `npm run bench -- --quick --json`: a document with
 * every scenario and key passes, whatever the numbers; a missing key, a wrong type or text that is
 * not one JSON document fails naming it. Run as CI runs it: a child process reading stdin.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-bench-json.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EXPECTED } = require(SCRIPT) as { EXPECTED: Record<string, { figures: string[]; ratios: string[]; goals: string[] }> };

type Doc = { machine: Record<string, unknown>; scenarios: { id: string; figures: Record<string, unknown>; ratios: Record<string, unknown>; goals: Record<string, unknown> }[] };

/** A complete document; every number is made up (the check must not care). */
function complete(): Doc {
  return {
    machine: { cores: 2, node: 'v20.0.0' },
    scenarios: Object.entries(EXPECTED).map(([id, keys], i) => ({
      id,
      figures: Object.fromEntries(keys.figures.map((k) => [k, 1000 * i + 0.5])),
      ratios: Object.fromEntries(keys.ratios.map((k) => [k, 99])),
      goals: Object.fromEntries(keys.goals.map((k) => [k, '≤ 1× the floor'])),
    })),
  };
}

const check = (input: string) => spawnSync(process.execPath, [SCRIPT], { input, encoding: 'utf8' });

describe('check-bench-json', () => {
  it('passes a document with every scenario of the issue and every key, whatever the numbers', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(['memory', 'pickup', 'plan.large', 'scale.out', 'start', 'step.overhead', 'turn.intake', 'turn.message']);
    const r = check(JSON.stringify(complete()));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('bench JSON ok: 8 scenarios, every key present\n');
  });

  it.each<{ name: string; change: (d: Doc) => void; want: RegExp }>([
    { name: 'a missing scenario', change: (d) => { d.scenarios = d.scenarios.filter((s) => s.id !== 'pickup'); }, want: /scenario pickup: 0 entries/ },
    { name: 'a scenario twice', change: (d) => { d.scenarios.push(d.scenarios[0]!); }, want: /scenario turn\.message: 2 entries/ },
    { name: 'an unknown scenario', change: (d) => { d.scenarios.push({ ...d.scenarios[0]!, id: 'turn.other' }); }, want: /unexpected scenario ids: turn\.other/ },
    { name: 'a missing figure', change: (d) => { delete d.scenarios.find((s) => s.id === 'plan.large')!.figures.cardBytes; }, want: /plan\.large\.figures\["cardBytes"\] is missing/ },
    { name: 'a ratio that is not a number', change: (d) => { d.scenarios.find((s) => s.id === 'start')!.ratios.picbotMs = '1.2'; }, want: /start\.ratios\["picbotMs"\] is string, want a number/ },
    { name: 'a goal that is not text', change: (d) => { d.scenarios.find((s) => s.id === 'memory')!.goals.idleRssMb = 1.2; }, want: /memory\.goals\["idleRssMb"\] is number, want a string/ },
    { name: 'a failed scenario', change: (d) => { Object.assign(d.scenarios.find((s) => s.id === 'scale.out')!, { error: 'PostgreSQL does not answer at postgres://x/ (ECONNREFUSED): set PICBOT_BENCH_PG_URL' }); }, want: /scenario scale\.out failed: PostgreSQL does not answer .*PICBOT_BENCH_PG_URL/ },
    { name: 'no machine cores', change: (d) => { delete d.machine.cores; }, want: /machine\.cores is not a number/ },
  ])('fails on $name, naming it', ({ change, want }) => {
    const doc = complete();
    change(doc);
    const r = check(JSON.stringify(doc));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(want);
  });

  it('fails when stdout holds more than the JSON (a banner, a log line)', () => {
    const r = check(`> picbot@0.1.0 bench\n${JSON.stringify(complete())}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stdout is not one JSON document/);
  });
});
