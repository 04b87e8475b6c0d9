import pino from 'pino';

/** The logger facade: JSON lines on stderr (stdout is kept for command output). */
export type Logger = pino.Logger;

const REDACT = [
  'token', 'runnerToken', 'enrollmentToken', 'password', 'authorization', 'secret',
  '*.token', '*.runnerToken', '*.enrollmentToken', '*.password', '*.authorization', '*.secret',
  'headers.authorization', 'req.headers.authorization',
];

/** Makes a logger writing to stderr (fd 2) at the given level; secrets are redacted by key. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'picbot',
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and quiet CLIs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Strips control characters from user-supplied text before it reaches a log line. */
export function cleanForLog(text: string, max = 200): string {
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
