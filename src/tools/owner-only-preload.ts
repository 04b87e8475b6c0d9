/**
 * A `node -r` preload that makes every file a third-party program creates readable by its owner
 * only (umask 077). `npm start` runs Microsoft 365 Agents Playground through it: the Playground
 * writes its log (every chat activity) itself, replacing the file it is given, so a mode set
 * beforehand does not last.
 *
 *   node -r ./dist/tools/owner-only-preload.js node_modules/@microsoft/m365agentsplayground/cli.js …
 */
process.umask(0o077);
