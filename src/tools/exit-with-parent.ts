/**
 * A `node -r` preload for the demo's child processes: the parent (`npm start`) hands the child
 * one end of a pipe as fd PICBOT_PARENT_FD; when that pipe closes — the parent exited, however
 * it died, even by SIGKILL — the child gets SIGTERM and stops as it would on Ctrl-C. So a crashed
 * `npm start` leaves no runner or Playground behind holding its ports.
 */
import net from 'node:net';

export const PARENT_FD_ENV = 'PICBOT_PARENT_FD';

/** Watches the parent pipe named by the environment; returns whether there was one. */
export function exitWithParent(env: NodeJS.ProcessEnv = process.env): boolean {
  const fd = Number(env[PARENT_FD_ENV]);
  if (!Number.isInteger(fd) || fd <= 2) return false;
  // Not for grandchildren (the runner's shell hosts): they are stopped by their own parent.
  delete env[PARENT_FD_ENV];
  let pipe: net.Socket;
  try {
    pipe = new net.Socket({ fd, readable: true, writable: false });
  } catch {
    return false;
  }
  pipe.on('data', () => undefined);
  pipe.on('error', () => undefined);
  pipe.once('close', () => process.kill(process.pid, 'SIGTERM'));
  // The watch alone must not keep the process running.
  pipe.unref();
  return true;
}

exitWithParent();
