/**
 * Reads a JSON request body with a size limit, before any route logic runs:
 * not JSON → 415, over the limit → 413 (without buffering more than the limit), malformed → 400.
 * restify's own bodyReader buffers everything and inflates gzip without a limit, hence this.
 */
import type { Request, Response } from 'restify';
import { HttpError } from './http-error';

/** 256 KiB, the limit on every JSON body. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Past this many bytes of an oversized body we stop draining and close the connection. */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads and parses the body; rejects with an HttpError the error listener turns into JSON. */
export function readJsonBody(req: Request, res: Response, maxBytes: number = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!isJsonContentType(req.headers['content-type'])) {
      reject(new HttpError(415, 'unsupported_media_type', 'request body must be application/json'));
      drain(req, res);
      return;
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      reject(new HttpError(415, 'unsupported_media_type', `content encoding ${encoding} is not supported`));
      drain(req, res);
      return;
    }
    const tooLarge = () => new HttpError(413, 'payload_too_large', `request body exceeds ${maxBytes} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(tooLarge());
      drain(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        drain(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, 'bad_request', `reading request body: ${err.message}`));
    });
    req.once('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new HttpError(400, 'bad_request', `malformed JSON: ${jsonErrorWithoutInput((err as Error).message)}`));
      }
    });
  });
}

/**
 * Discards the rest of a rejected body so the client can read our answer instead of seeing a
 * reset while it is still writing; a client that keeps sending past DRAIN_LIMIT_BYTES is cut off.
 */
function drain(req: Request, res: Response): void {
  let drained = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) {
      res.setHeader('connection', 'close');
      req.destroy();
    }
  });
  req.resume();
}

/**
 * JSON.parse's message without the stretch of input V8 quotes in some of them
 * (`Unexpected token 'p', "pbr_9f…" is not valid JSON`): a body may be a bare token, and this
 * message goes into the answer and the logs.
 */
export function jsonErrorWithoutInput(message: string): string {
  // V8 shortens long input with "..." before and/or after the quoted stretch.
  const cut = message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
  return cut.includes('"') ? 'not valid JSON' : cut;
}
