/**
 * `npm run package`: writes appPackage/picbot.zip, the Teams app package to upload, from manifest/
 * and two environment variables (MicrosoftAppId, PICBOT_PUBLIC_HOST; `.env` is honoured). It
 * refuses, naming the variable, when either is missing, and refuses an invalid manifest or icon.
 * The environment is read through src/bot/config.ts's readEnvironment (the one process.env reader);
 * only these two values are checked, because packaging needs no secret.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readEnvironment } from '../bot/config';
import { buildAppPackage } from './app-package/build-package';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const root = process.cwd();
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const env = readEnvironment(root);
  try {
    const pkg = await buildAppPackage({
      manifestDir: join(root, 'manifest'),
      env: { MicrosoftAppId: env.MicrosoftAppId, PICBOT_PUBLIC_HOST: env.PICBOT_PUBLIC_HOST },
      version,
    });
    const outDir = join(root, 'appPackage');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'picbot.zip');
    writeFileSync(out, pkg.zip);
    const bots = pkg.manifest.bots as { botId: string }[];
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok: true, path: out, bytes: pkg.zip.length, entries: pkg.entries, botId: bots[0]?.botId, validDomains: pkg.manifest.validDomains })}\n`);
    } else {
      process.stdout.write(`wrote ${relative(root, out)} (${pkg.zip.length} bytes: ${pkg.entries.join(', ')}) for bot ${bots[0]?.botId}\n`);
    }
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    process.stderr.write(`picbot package: ${message}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
