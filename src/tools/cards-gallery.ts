/**
 * `npm run cards`: renders every cards/*.json template with its *.data.json sample into
 * docs/cards/<name>.png (see gallery/gallery.ts) and exits 1 when any card has a problem.
 * Options: --out DIR, --chromium PATH (default /usr/bin/chromium), --json.
 */
import { join, relative, resolve } from 'node:path';
import { renderGallery } from './gallery/gallery';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const root = process.cwd();
  const json = argv.includes('--json');
  const started = process.hrtime.bigint();
  const result = await renderGallery({
    root,
    outDir: resolve(option(argv, '--out') ?? join(root, 'docs', 'cards')),
    chromiumPath: option(argv, '--chromium') ?? '/usr/bin/chromium',
  });
  const failed = result.cards.filter((c) => c.problems.length > 0);
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, ms, ...result })}\n`);
  } else {
    for (const c of result.cards) {
      if (c.png) process.stdout.write(`ok    ${c.name} → ${relative(root, c.png)}\n`);
      else process.stdout.write(`FAIL  ${c.name}\n${c.problems.map((p) => `        ${p}\n`).join('')}`);
    }
    for (const f of result.removed) process.stdout.write(`gone  ${f} (no template any more)\n`);
    if (result.cards.length === 0) process.stdout.write('no card templates found\n');
    process.stdout.write(`${result.cards.length - failed.length} passed, ${failed.length} failed (${ms} ms)\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`picbot cards: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
