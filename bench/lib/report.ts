/** The benchmark's result: one entry per scenario, printed as a Markdown table or as JSON. */
import { cpus } from 'node:os';
import { round } from './stats';

export interface ScenarioResult {
  id: string;
  /** Measured values, named with their unit (`p50Ms`, `turnsPerSec`, `rssMb`, …). */
  figures: Record<string, number>;
  /** picbot ÷ the floor (or ÷ the goal's reference), keyed by the figure it belongs to. */
  ratios: Record<string, number>;
  /** The goal of a figure (or of its ratio), keyed by the figure. */
  goals: Record<string, string>;
  /** Set when the scenario failed (its figures are then empty): why, in one line. */
  error?: string;
}

/** A scenario that threw: no figures, and its error. */
export function failedScenario(id: string, err: unknown): ScenarioResult {
  const message = err instanceof Error ? err.message : String(err);
  return { id, figures: {}, ratios: {}, goals: {}, error: message.split('\n')[0]!.slice(0, 500) };
}

export interface BenchReport {
  machine: { cores: number; node: string; cpu: string; platform: string };
  /** When the run started, ISO 8601, and whether it was --quick. */
  date: string;
  quick: boolean;
  scenarios: ScenarioResult[];
}

export function machine(): BenchReport['machine'] {
  const all = cpus();
  return { cores: all.length, node: process.version, cpu: all[0]?.model.trim() ?? 'unknown', platform: `${process.platform}-${process.arch}` };
}

const cell = (v: number | undefined): string => (v === undefined ? '' : Number.isFinite(v) ? String(round(v, v >= 100 ? 0 : 2)) : String(v));

/** A figure's ratio cell: its own ratio, or its ratios against several references (`name vs ref`). */
function ratioCell(ratios: Record<string, number>, name: string): string {
  if (ratios[name] !== undefined) return cell(ratios[name]);
  return Object.entries(ratios)
    .filter(([key]) => key.startsWith(`${name} vs `))
    .map(([key, v]) => `${cell(v)} (${key.slice(name.length + 4)})`)
    .join(', ');
}

/** The Markdown table: one row per figure with its value, its ratio and its goal. */
export function markdown(report: BenchReport): string {
  const lines = [
    `picbot benchmark, ${report.date}${report.quick ? ' (--quick)' : ''}: ${report.machine.cores} × ${report.machine.cpu}, Node ${report.machine.node}, ${report.machine.platform}`,
    '',
    '| scenario | figure | value | ratio | goal |',
    '|---|---|---:|---:|---|',
  ];
  for (const s of report.scenarios) {
    if (s.error !== undefined) lines.push(`| \`${s.id}\` | **failed** |  |  | ${s.error.replace(/\|/g, '\\|')} |`);
    for (const [name, value] of Object.entries(s.figures)) {
      lines.push(`| \`${s.id}\` | ${name} | ${cell(value)} | ${ratioCell(s.ratios, name)} | ${s.goals[name] ?? ''} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The --json document: `{ machine: { cores, node }, scenarios: [ { id, figures, ratios, goals } ] }` (plus the date). */
export function json(report: BenchReport): string {
  const rounded = report.scenarios.map((s) => ({
    id: s.id,
    figures: Object.fromEntries(Object.entries(s.figures).map(([k, v]) => [k, round(v, 3)])),
    ratios: Object.fromEntries(Object.entries(s.ratios).map(([k, v]) => [k, round(v, 3)])),
    goals: s.goals,
    ...(s.error !== undefined ? { error: s.error } : {}),
  }));
  return `${JSON.stringify({ machine: report.machine, date: report.date, quick: report.quick, scenarios: rounded }, null, 2)}\n`;
}
