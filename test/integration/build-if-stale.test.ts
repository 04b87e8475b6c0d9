/**
 * scripts/build-if-stale.js (npm start's prestart) on a small project of its own: it compiles when
 * there is no build or a source changed, and skips the compiler when nothing changed since.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-build-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(ROOT, 'scripts/build-if-stale.js'), join(dir, 'scripts/build-if-stale.js'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, types: [] } }));
  writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: { rootDir: 'src', outDir: 'dist', incremental: true, tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['src'],
  }));
  writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 1;\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const build = () => spawnSync(process.execPath, [join(dir, 'scripts/build-if-stale.js')], { cwd: dir, encoding: 'utf8' });
const out = () => join(dir, 'dist/a.js');
/** Moves a file's timestamps into the past, so "newer than the build" is unambiguous. */
const age = (path: string) => utimesSync(path, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));

it('builds when there is no build yet', () => {
  expect(build().status).toBe(0);
  expect(readFileSync(out(), 'utf8')).toContain('exports.a = 1');
});

it('skips the compiler when nothing changed since the last build', () => {
  for (const f of ['src/a.ts', 'src', 'tsconfig.json', 'tsconfig.build.json']) age(join(dir, f));
  expect(build().status).toBe(0);
  // Were tsc to run again it would write a.js back; a skipped build leaves it missing.
  rmSync(out());
  expect(build().status).toBe(0);
  expect(existsSync(out())).toBe(false);
});

it('builds again when a source changed', () => {
  expect(build().status).toBe(0);
  age(join(dir, 'dist/.tsbuildinfo'));
  writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = 2;\n');
  expect(build().status).toBe(0);
  expect(readFileSync(out(), 'utf8')).toContain('exports.a = 2');
});

it('fails (non-zero) when the sources do not compile', () => {
  writeFileSync(join(dir, 'src/a.ts'), 'export const a: number = "two";\n');
  const r = build();
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/TS2322/);
});
