/**
 * Regenerates manifest/color.png and manifest/outline.png from the shapes in app-package/icons.ts:
 * `npm run build && node dist/tools/make-icons.js`. The PNGs are committed; packaging only reads them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawColorIcon, drawOutlineIcon } from './app-package/icons';

const dir = join(process.cwd(), 'manifest');
writeFileSync(join(dir, 'color.png'), drawColorIcon());
writeFileSync(join(dir, 'outline.png'), drawOutlineIcon());
process.stdout.write(`wrote ${join(dir, 'color.png')} and ${join(dir, 'outline.png')}\n`);
