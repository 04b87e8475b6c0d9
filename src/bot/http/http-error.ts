/**
 * HTTP errors as values with a stable code, and the one JSON error shape every answer uses:
 * `{"error":{"code","message"}}`. A 500 never carries the original message or a stack.
 */
import { CodedError, type ErrorCode } from '../../shared/errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  config_invalid: 500,
  signature_invalid: 400,
  protocol_error: 400,
  timeout: 504,
  upstream_unreachable: 502,
};

// 5xx codes whose message is ours and says what the caller can do (not an internal detail).
const EXPLAINED_5XX: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['upstream_unreachable']);

/** The HTTP status for a coded error (500 for anything that is not the caller's fault). */
export function statusForCode(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export interface JsonErrorBody {
  error: { code: string; message: string };
}

/** Builds the JSON error body. */
export function errorBody(code: string, message: string): JsonErrorBody {
  return { error: { code, message } };
}

/** Throw from a route handler to answer with this status and code (e.g. 401 unauthorized). */
export class HttpError extends CodedError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'HttpError';
  }
}

const RESTIFY_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'bad_request',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * Turns anything a route produced into (status, body). Known client errors keep their message;
 * everything else becomes a bare 500 (the caller logs the original).
 */
export function toHttpAnswer(err: unknown): { status: number; body: JsonErrorBody; internal: boolean } {
  if (err instanceof HttpError) return { status: err.status, body: errorBody(err.code, err.message), internal: err.status >= 500 };
  if (err instanceof CodedError) {
    const status = statusForCode(err.code);
    if (status < 500) return { status, body: errorBody(err.code, err.message), internal: false };
    if (EXPLAINED_5XX.has(err.code)) return { status, body: errorBody(err.code, err.message), internal: true };
    return { status, body: errorBody('internal', 'internal error'), internal: true };
  }
  // restify's own errors (404 route not found, 405 method not allowed, …) carry statusCode.
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = RESTIFY_CODES[statusCode] ?? 'bad_request';
    const message = err instanceof Error ? err.message : 'bad request';
    return { status: statusCode, body: errorBody(code, message), internal: false };
  }
  return { status: 500, body: errorBody('internal', 'internal error'), internal: true };
}
