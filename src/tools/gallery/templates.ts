/** The card templates in a folder: <name>.json beside its sample <name>.data.json. */
import { existsSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

/** Template names (sorted) and sample files that have no template. */
export function listTemplates(cardsDir: string): { names: string[]; orphanData: string[] } {
  const files = existsSync(cardsDir) ? readdirSync(cardsDir) : [];
  const names = files.filter((f) => f.endsWith('.json') && !f.endsWith('.data.json')).map((f) => basename(f, '.json')).sort();
  const orphanData = files.filter((f) => f.endsWith('.data.json') && !names.includes(basename(f, '.data.json'))).sort();
  return { names, orphanData };
}
