#!/usr/bin/env node
'use strict';
/**
 * `npm start`'s prestart: builds dist/ with tsc (incremental) only when a source or build
 * setting is newer than the last build (dist/.tsbuildinfo), so a start after no change skips the
 * compiler altogether. Plain JavaScript, because it runs before anything is compiled.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.tsbuildinfo');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** The newest modification time (ms) under `path`, a file or a directory. */
function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  // A directory's own mtime changes when a file is added, removed or renamed in it.
  let latest = info.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

function stale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return inputs.some((input) => existsSync(join(root, input)) && newest(join(root, input)) > built);
}

if (stale()) {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  process.exitCode = r.status === null ? 1 : r.status;
  // tsc leaves the stamp alone when only timestamps changed; mark this build as the latest.
  if (r.status === 0 && existsSync(stamp)) {
    const now = new Date();
    utimesSync(stamp, now, now);
  }
}
