/**
 * The card gallery: every cards/<name>.json template, expanded in Node with its <name>.data.json
 * sample by the bot's own renderCard (src/bot/views/render.ts), checked against the Teams rules, then parsed, validated and rendered by the real
 * adaptivecards renderer in headless Chromium, and saved as <out>/<name>.png. A card with any
 * problem gets no picture and fails the run.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cardsFolder, renderCard } from '../../bot/views/render';
import { CodedError } from '../../shared/errors';
import type { RenderEvent, RenderOutcome } from './browser-entry';
import { TEAMS_LIGHT_CSS } from './teams-host-config';
import { checkTeamsSupport } from './teams-rules';
import { listTemplates, type Sample } from './templates';
import { unboundPaths } from './unbound';

export interface GalleryOptions {
  /** The repository root (holds src/tools/gallery/ and node_modules/). */
  root: string;
  outDir: string;
  chromiumPath: string;
}

export interface CardResult {
  name: string;
  problems: string[];
  /** Where the picture went; null when the card failed. */
  png: string | null;
}

export interface GalleryResult {
  cards: CardResult[];
  /** Pictures removed because their template is gone. */
  removed: string[];
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

async function pageHtml(root: string): Promise<string> {
  const bundle = await build({
    entryPoints: [join(root, 'src', 'tools', 'gallery', 'browser-entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  const rendererCss = readFileSync(require.resolve('adaptivecards/dist/adaptivecards.css'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${rendererCss}</style><style>${TEAMS_LIGHT_CSS}</style></head>`
    + `<body><div id="frame"><div id="card"></div></div><script>${script}</script></body></html>`;
}

function readJson(file: string, what: string, problems: string[]): unknown {
  if (!existsSync(file)) {
    problems.push(`${what} ${basename(file)} is missing`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`${what} ${basename(file)} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** A card rendered in the page: the renderer's problems, and a screenshot function when it rendered. */
export interface PageRender {
  problems: string[];
  screenshot(path: string): Promise<void>;
}

/** The gallery page in headless Chromium, ready to render cards one after another. */
export interface CardRenderer {
  render(card: Record<string, unknown>): Promise<PageRender>;
  close(): Promise<void>;
}

/** Opens the page (bundle, renderer CSS, Teams-like host config); nothing it loads leaves the machine. */
export async function openCardRenderer(options: { root: string; chromiumPath: string }): Promise<CardRenderer> {
  if (!existsSync(options.chromiumPath)) {
    throw new CodedError('config_invalid', `Chromium not found at ${options.chromiumPath} (apt-get update && apt-get install -y chromium)`);
  }
  const html = await pageHtml(options.root);
  const browser: Browser = await chromium.launch({ executablePath: options.chromiumPath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page: Page = await browser.newPage({ viewport: { width: 900, height: 700 }, deviceScaleFactor: 1 });
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html);
    return {
      async render(card) {
        const fullWidth = (card.msteams as { width?: string } | undefined)?.width === 'Full';
        const outcome = await page.evaluate(
          ([c, full]) => (globalThis as unknown as { picbotGallery: { render(c: unknown, f: boolean): RenderOutcome } }).picbotGallery.render(c, full),
          [card, fullWidth] as const,
        );
        // Teams' CodeBlock is unknown to the 1.5 renderer, which draws its fallback (teams-rules.ts requires one): that is the point.
        const expected = (e: RenderEvent) => e.event === 'UnknownElementType' && /"CodeBlock"/.test(e.message);
        const problems = outcome.events.filter((e) => !expected(e)).map((e) => `renderer ${e.phase.toLowerCase()}: ${e.event}: ${e.message}`);
        if (!outcome.rendered) problems.push('renderer: the card did not render');
        return { problems, screenshot: async (path) => void (await page.locator('#frame').screenshot({ path })) };
      },
      close: () => browser.close(),
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

async function renderOne(renderer: CardRenderer, sample: Sample, options: GalleryOptions): Promise<CardResult> {
  const { template: name, picture } = sample;
  const problems: string[] = [];
  const data = readJson(join(cardsFolder(), sample.file), 'sample data', problems);
  if (problems.length > 0) return { name: picture, problems, png: null };

  let card: Record<string, unknown>;
  try {
    card = renderCard(name, data as object, { localNote: null });
  } catch (err) {
    return { name: picture, problems: [`templating: ${err instanceof Error ? err.message : String(err)}`], png: null };
  }
  problems.push(...unboundPaths(card).map((p) => `templating: ${p} still holds \${…} after expansion`));
  problems.push(...checkTeamsSupport(card).map((p) => `teams: ${p}`));
  const rendered = await renderer.render(card);
  problems.push(...rendered.problems);
  if (problems.length > 0) return { name: picture, problems, png: null };

  const png = join(options.outDir, `${picture}.png`);
  await rendered.screenshot(png);
  return { name: picture, problems, png };
}

/** Renders every template in cards/; never throws for a bad card, only for a broken setup. */
export async function renderGallery(options: GalleryOptions): Promise<GalleryResult> {
  const { names, samples, orphanData } = listTemplates(cardsFolder());
  const renderer = await openCardRenderer(options);
  mkdirSync(options.outDir, { recursive: true });
  const cards: CardResult[] = orphanData.map((f) => ({ name: f, problems: [`sample data ${f} has no template ${basename(f, '.data.json')}.json`], png: null }));
  try {
    const sampled = new Set(samples.map((s) => s.template));
    for (const name of names.filter((n) => !sampled.has(n))) cards.push({ name, problems: [`template ${name}.json has no sample ${name}.data.json`], png: null });
    for (const sample of samples) cards.push(await renderOne(renderer, sample, options));
  } finally {
    await renderer.close();
  }

  const removed: string[] = [];
  for (const f of readdirSync(options.outDir)) {
    if (f.endsWith('.png') && !samples.some((s) => s.picture === basename(f, '.png'))) {
      rmSync(join(options.outDir, f));
      removed.push(f);
    }
  }
  return { cards, removed };
}
