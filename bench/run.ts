/**
 * `npm run bench [-- --quick] [-- --json]`: picbot's speed, memory and scale as ratios against a
 * floor measured in the same run (bench/README.md says what each scenario measures). Everything
 * runs as real processes on 127.0.0.1: picbot's server, the floor, picbot's runner on the
 * simulated shell, and this process as the Teams client, the Bot Connector and runner stand-ins.
 * The table (or with --json one JSON document) goes to stdout, progress to stderr. Exit 0 when
 * every scenario ran; the figures never fail the run.
 */
import { newUser } from './lib/activities';
import { startConnector } from './lib/connector';
import { FULL, QUICK, type BenchContext } from './lib/context';
import { startFloor, startPicbot, type Server } from './lib/procs';
import { json, machine, markdown, type BenchReport, type ScenarioResult } from './lib/report';
import { pickup } from './scenarios/pickup';
import { planLarge, stepOverhead } from './scenarios/runner-jobs';
import { start } from './scenarios/start';
import { turnIntake, turnMessage } from './scenarios/turns';

const USAGE = `Usage: npm run bench [-- --quick] [-- --json]
  --quick   every scenario small (about 30 s): proves the bench runs, figures are rough
  --json    one JSON document on stdout instead of the Markdown table
`;

const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !['--quick', '--json', '--help', '-h'].includes(a));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown option ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  const quick = argv.includes('--quick');
  const sizes = quick ? QUICK : FULL;
  const t0 = performance.now();
  const log = (message: string) => process.stderr.write(`bench [${((performance.now() - t0) / 1000).toFixed(1)} s] ${message}\n`);
  const report: BenchReport = { machine: machine(), date: new Date().toISOString(), quick, scenarios: [] };
  const results: ScenarioResult[] = [];

  results.push(await start({ sizes, log }));

  const connector = await startConnector();
  let picbot: Server | null = null;
  let floor: Server | null = null;
  try {
    floor = await startFloor();
    picbot = await startPicbot();
    await settle();
    const ctx: BenchContext = { sizes, connector, picbot, floor, admin: newUser('Bench Admin'), memory: {}, log };
    const idleRssMb = picbot.rssMb();
    const floorIdleRssMb = floor.rssMb();
    log(`memory idle: picbot ${idleRssMb.toFixed(1)} MB, floor ${floorIdleRssMb.toFixed(1)} MB`);

    results.push(await turnMessage(ctx));
    results.push(await turnIntake(ctx));
    const after50UsersRssMb = picbot.rssMb();
    results.push(await pickup(ctx));
    results.push({
      id: 'memory',
      figures: {
        idleRssMb,
        'floor.idleRssMb': floorIdleRssMb,
        after50UsersRssMb,
        idlePollsRssMb: ctx.memory.idlePollsRssMb!,
        idleRunners: sizes.idleRunners,
        kbPerIdleRunner: ctx.memory.kbPerIdleRunner!,
      },
      ratios: { idleRssMb: idleRssMb / floorIdleRssMb, kbPerIdleRunner: ctx.memory.kbPerIdleRunner! / 20 },
      goals: { idleRssMb: '≤ 1.2× the floor', kbPerIdleRunner: '≤ 20 KB (ratio: ÷ 20 KB)' },
    });
    results.push(await stepOverhead(ctx));
    results.push(await planLarge(ctx));
  } finally {
    await picbot?.stop();
    await floor?.stop();
    await connector.close();
  }

  // The table's order is the issue's: turns, pickup, steps, plan, memory, start.
  const order = ['turn.message', 'turn.intake', 'pickup', 'step.overhead', 'plan.large', 'memory', 'start'];
  report.scenarios = order.map((id) => results.find((r) => r.id === id)).filter((r): r is ScenarioResult => r !== undefined);
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  process.stdout.write(argv.includes('--json') ? json(report) : markdown(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
