/**
 * The SHA-256 of the lync-ops.ps1 this release ships, read from the file itself at start (never
 * a constant that could drift from the script). Every signed job envelope carries it, and a
 * runner whose copy differs refuses the job (see src/runner/envelope-guard.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CodedError } from '../../shared/errors';

// Both src/bot/runner-gateway and dist/bot/runner-gateway sit three levels below the package root;
// the script itself is kept in src/ (the Dockerfile copies it into the image).
export const SHIPPED_LYNC_OPS_SCRIPT = resolve(__dirname, '..', '..', '..', 'src', 'runner', 'scripts', 'lync-ops.ps1');

/** SHA-256 (hex) of the shipped lync-ops.ps1; throws (the server does not start) when it cannot be read. */
export function shippedScriptSha256(path: string = SHIPPED_LYNC_OPS_SCRIPT): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (err) {
    throw new CodedError('internal', `reading ${path} to sign its hash into runner jobs: ${(err as Error).message} (the release is incomplete)`, { cause: err });
  }
}
