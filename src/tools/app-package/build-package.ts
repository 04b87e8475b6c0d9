/**
 * Builds the Teams app package (a zip of manifest.json and its two icons) from manifest/:
 * fill the template, validate it offline, check the icons, zip. Any problem stops the build with
 * every reason listed, so a broken package is never written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipFile } from 'yazl';
import { CodedError } from '../../shared/errors';
import { checkIcon } from './icons';
import { checkManifestEnv, fillManifest, validateManifest } from './manifest';

export interface PackageInput {
  /** The folder with manifest.json (the template), color.png and outline.png. */
  manifestDir: string;
  env: { MicrosoftAppId?: string; PICBOT_PUBLIC_HOST?: string };
  version: string;
}

export interface AppPackage {
  zip: Buffer;
  manifest: Record<string, unknown>;
  /** The file names inside the zip, in order. */
  entries: string[];
}

// A fixed timestamp makes the same inputs give the same zip bytes.
const ZIP_TIME = new Date(Date.UTC(2024, 0, 1));

function zipFiles(files: { name: string; data: Buffer }[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const f of files) zip.addBuffer(f.data, f.name, { mtime: ZIP_TIME, mode: 0o100644 });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** The icon paths a manifest names; they must be plain file names inside the manifest folder. */
function iconNames(manifest: Record<string, unknown>): { color: string; outline: string } {
  const icons = manifest.icons as { color?: unknown; outline?: unknown } | undefined;
  const names = { color: icons?.color, outline: icons?.outline };
  for (const [kind, name] of Object.entries(names)) {
    if (typeof name !== 'string' || !/^[\w.-]+\.png$/i.test(name)) {
      throw new CodedError('bad_request', `manifest icons.${kind} must be a .png file name beside manifest.json (got ${JSON.stringify(name)})`);
    }
  }
  return names as { color: string; outline: string };
}

/** Fills, validates and zips the app package; throws CodedError listing every problem found. */
export async function buildAppPackage(input: PackageInput): Promise<AppPackage> {
  const { appId, publicHost } = checkManifestEnv(input.env);
  const template = readFileSync(join(input.manifestDir, 'manifest.json'), 'utf8');
  const manifest = fillManifest(template, { appId, publicHost, version: input.version }) as Record<string, unknown>;
  const problems = (await validateManifest(manifest)).map((e) => `manifest.json: ${e}`);

  const names = iconNames(manifest);
  const icons: { name: string; data: Buffer }[] = [];
  for (const kind of ['color', 'outline'] as const) {
    const file = join(input.manifestDir, names[kind]);
    if (!existsSync(file)) {
      problems.push(`${kind} icon ${names[kind]} is missing from ${input.manifestDir}`);
      continue;
    }
    const data = readFileSync(file);
    problems.push(...checkIcon(kind, data));
    icons.push({ name: names[kind], data });
  }
  if (problems.length > 0) {
    throw new CodedError('bad_request', `the Teams app package is not valid:\n  ${problems.join('\n  ')}`);
  }

  const files = [{ name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) }, ...icons];
  return { zip: await zipFiles(files), manifest, entries: files.map((f) => f.name) };
}
