/** Stable error codes: logs, HTTP answers and tests key off these, never off message text. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'config_invalid'
  | 'store_failed'
  | 'signature_invalid'
  | 'protocol_error'
  | 'shell_failed'
  | 'timeout'
  | 'upstream_unreachable'
  | 'internal';

/** An error that carries a stable code and says what we were doing when it happened. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CodedError';
  }
}

/** Wraps anything thrown into a CodedError, keeping the original as the cause. */
export function asCodedError(err: unknown, code: ErrorCode = 'internal', doing?: string): CodedError {
  if (err instanceof CodedError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(code, doing ? `${doing}: ${message}` : message, { cause: err });
}
