/**
 * `npm run bench [-- --quick] [-- --json]`: picbot's speed, memory and scale as ratios against a
 * floor measured in the same run (bench/README.md says what each scenario measures). Everything
 * runs as real processes on 127.0.0.1: picbot's server, the floor, picbot's runner on the
 * simulated shell, and this process as the Teams client, the Bot Connector and runner stand-ins.
 * The table (or with --json one JSON document) goes to stdout, progress to stderr. Exit 0 when
 * every scenario ran; the figures never fail the run. `scale.out` (which needs PostgreSQL) runs
 * last, on its own processes: when it throws it is reported as failed with its error, the rest of
 * the report stands, and the run exits 1.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { newUser } from './lib/activities';
import { startConnector } from './lib/connector';
import { FULL, QUICK, type BenchContext } from './lib/context';
import { profileInto, startFloor, startPicbot, type Server } from './lib/procs';
import { failedScenario, json, machine, markdown, type BenchReport, type ScenarioResult } from './lib/report';
import { pickup } from './scenarios/pickup';
import { planLarge, stepOverhead } from './scenarios/runner-jobs';
import { scaleOut } from './scenarios/scale-out';
import { start } from './scenarios/start';
import { turnIntake, turnMessage } from './scenarios/turns';

const USAGE = `Usage: npm run bench [-- --quick] [-- --json] [-- --only ID,ID] [-- --cpu-prof DIR]
  --quick          every scenario small (about 2 min): proves the bench runs, figures are rough
  --json           one JSON document on stdout instead of the Markdown table
  --only ID,ID     run only these scenarios (turn.message, turn.intake, pickup, step.overhead,
                   plan.large, start, scale.out; memory comes with pickup)
  --cpu-prof DIR   write a CPU profile of picbot's server and of each runner into DIR on exit
                   (open the .cpuprofile files in Chrome DevTools or speedscope)
`;

const IDS = ['turn.message', 'turn.intake', 'pickup', 'step.overhead', 'plan.large', 'start', 'scale.out'];
/** The scenarios that need picbot's shared server and the floor. */
const SHARED = ['turn.message', 'turn.intake', 'pickup', 'step.overhead', 'plan.large'];

interface Args {
  quick: boolean;
  json: boolean;
  only: Set<string>;
  cpuProf: string | null;
}

/** The command line, or a usage problem. */
function parseArgs(argv: string[]): Args | string {
  const args: Args = { quick: false, json: false, only: new Set(IDS), cpuProf: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = true;
    else if (a === '--only' || a === '--cpu-prof') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return `${a} needs a value`;
      i += 1;
      if (a === '--cpu-prof') {
        args.cpuProf = resolve(value);
        continue;
      }
      const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = ids.find((id) => !IDS.includes(id) && id !== 'memory');
      if (unknown) return `--only: unknown scenario ${unknown} (one of ${IDS.join(', ')})`;
      args.only = new Set(ids.map((id) => (id === 'memory' ? 'pickup' : id)));
    } else return `unknown option ${a}`;
  }
  return args;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`bench: ${args}\n${USAGE}`);
    return 2;
  }
  const { quick, only } = args;
  const sizes = quick ? QUICK : FULL;
  if (args.cpuProf) {
    mkdirSync(args.cpuProf, { recursive: true });
    profileInto(args.cpuProf);
  }
  const t0 = performance.now();
  const log = (message: string) => process.stderr.write(`bench [${((performance.now() - t0) / 1000).toFixed(1)} s] ${message}\n`);
  const report: BenchReport = { machine: machine(), date: new Date().toISOString(), quick, scenarios: [] };
  const results: ScenarioResult[] = [];

  if (only.has('start')) results.push(await start({ sizes, log }));
  if (SHARED.some((id) => only.has(id))) results.push(...(await sharedScenarios(args, log)));
  if (only.has('scale.out')) {
    try {
      results.push(await scaleOut({ sizes, log }));
    } catch (err) {
      log(`scale.out failed: ${(err as Error).stack ?? String(err)}`);
      results.push(failedScenario('scale.out', err));
    }
  }

  // The table's order is the issue's: turns, pickup, steps, plan, memory, start, then scale-out.
  const order = ['turn.message', 'turn.intake', 'pickup', 'step.overhead', 'plan.large', 'memory', 'start', 'scale.out'];
  report.scenarios = order.map((id) => results.find((r) => r.id === id)).filter((r): r is ScenarioResult => r !== undefined);
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  process.stdout.write(args.json ? json(report) : markdown(report));
  return report.scenarios.some((s) => s.error !== undefined) ? 1 : 0;
}

/** The scenarios on one picbot server (a fresh SQLite file) and the floor, started for them. */
async function sharedScenarios(args: Args, log: (message: string) => void): Promise<ScenarioResult[]> {
  const { only } = args;
  const sizes = args.quick ? QUICK : FULL;
  const results: ScenarioResult[] = [];
  const connector = await startConnector();
  let picbot: Server | null = null;
  let floor: Server | null = null;
  try {
    floor = await startFloor();
    picbot = await startPicbot({ profile: args.cpuProf !== null });
    await settle();
    const ctx: BenchContext = { sizes, connector, picbot, floor, admin: newUser('Bench Admin'), memory: {}, log };
    const idleRssMb = picbot.rssMb();
    const floorIdleRssMb = floor.rssMb();
    log(`memory idle: picbot ${idleRssMb.toFixed(1)} MB, floor ${floorIdleRssMb.toFixed(1)} MB`);

    if (only.has('turn.message')) results.push(await turnMessage(ctx));
    if (only.has('turn.intake')) results.push(await turnIntake(ctx));
    const after50UsersRssMb = picbot.rssMb();
    if (only.has('pickup')) results.push(await pickup(ctx));
    if (only.has('pickup')) results.push({
      id: 'memory',
      figures: {
        idleRssMb,
        'floor.idleRssMb': floorIdleRssMb,
        after50UsersRssMb,
        idlePollsRssMb: ctx.memory.idlePollsRssMb!,
        idleRunners: sizes.idleRunners,
        kbPerIdleRunner: ctx.memory.kbPerIdleRunner!,
        'kbPerIdleRunner.pollOnly': ctx.memory['kbPerIdleRunner.pollOnly']!,
      },
      ratios: { idleRssMb: idleRssMb / floorIdleRssMb, kbPerIdleRunner: ctx.memory.kbPerIdleRunner! / 20 },
      goals: { idleRssMb: '≤ 1.2× the floor', kbPerIdleRunner: '≤ 20 KB (ratio: ÷ 20 KB)' },
    });
    if (only.has('step.overhead')) results.push(await stepOverhead(ctx));
    if (only.has('plan.large')) results.push(await planLarge(ctx));
  } finally {
    await picbot?.stop();
    await floor?.stop();
    await connector.close();
  }
  return results;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
