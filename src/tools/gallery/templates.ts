/**
 * The card templates in a folder: <name>.json beside its sample <name>.data.json, and optional
 * further samples <name>--<variant>.data.json for other states of the same card (the approval
 * card as a final report, say). Each sample becomes one picture, named like the sample.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

export interface Sample {
  /** The template's name (cards/<template>.json). */
  template: string;
  /** The sample file (cards/<file>). */
  file: string;
  /** The picture's name: the template's, or <template>--<variant>. */
  picture: string;
}

/** Template names (sorted), every sample of each, and sample files that have no template. */
export function listTemplates(cardsDir: string): { names: string[]; samples: Sample[]; orphanData: string[] } {
  const files = existsSync(cardsDir) ? readdirSync(cardsDir) : [];
  const names = files.filter((f) => f.endsWith('.json') && !f.endsWith('.data.json')).map((f) => basename(f, '.json')).sort();
  const samples: Sample[] = [];
  const orphanData: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.data.json')).sort()) {
    const picture = basename(file, '.data.json');
    const template = picture.split('--')[0]!;
    if (names.includes(template)) samples.push({ template, file, picture });
    else orphanData.push(file);
  }
  return { names, samples, orphanData };
}
