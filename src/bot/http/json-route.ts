/**
 * The route helper every JSON endpoint uses (messages, runner gateway): reads the body
 * (415/413/400), parses it with a zod schema (400 naming the path of the first bad field), calls
 * the handler and sends its answer. A throw becomes a JSON error; nothing escapes to restify.
 */
import type { Request, RequestHandler, Response } from 'restify';
import type { z } from 'zod';
import { HttpError } from './http-error';
import { MAX_BODY_BYTES, readJsonBody } from './json-body';

/** What a handler answers: a status, an optional JSON body and headers. */
export interface HttpReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface JsonRequest<T> {
  body: T;
  req: Request;
  /** Route parameters (`/jobs/:id` → `params.id`). */
  params: Record<string, string>;
  /** The raw `Authorization` header, or '' when absent. */
  authorization: string;
}

/** Formats a zod error as `path.to.field: message` for the 400 answer. */
export function describeZodError(error: z.ZodError, root = 'body'): string {
  const issue = error.issues[0];
  if (!issue) return `${root}: invalid`;
  const path = [root, ...issue.path.map(String)].join('.');
  return `${path}: ${issue.message}`;
}

/** Sends an HttpReply (JSON when there is a body). */
export function sendReply(res: Response, reply: HttpReply): void {
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.body === undefined) {
    res.status(reply.status);
    res.end();
    return;
  }
  const data = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

/**
 * A restify handler for a JSON body route: `server.post(path, jsonRoute(Schema, async ({body}) => …))`.
 * Options: `maxBytes` (default 256 KiB), `before` runs ahead of body reading (e.g. a cheap
 * Authorization check, so a big unauthenticated body is not read).
 */
export function jsonRoute<S extends z.ZodType>(
  schema: S,
  handler: (input: JsonRequest<z.output<S>>) => Promise<HttpReply>,
  options: { maxBytes?: number; before?: (req: Request) => Promise<void> } = {},
): RequestHandler {
  return async (req: Request, res: Response) => {
    if (options.before) await options.before(req);
    const raw = await readJsonBody(req, res, options.maxBytes ?? MAX_BODY_BYTES);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, 'bad_request', describeZodError(parsed.error));
    const reply = await handler({
      body: parsed.data,
      req,
      params: (req.params ?? {}) as Record<string, string>,
      authorization: req.headers.authorization ?? '',
    });
    sendReply(res, reply);
  };
}

/** A restify handler for a route without a body (GET, or a POST that takes none). */
export function plainRoute(handler: (input: { req: Request; params: Record<string, string>; authorization: string }) => Promise<HttpReply>): RequestHandler {
  return async (req: Request, res: Response) => {
    const reply = await handler({ req, params: (req.params ?? {}) as Record<string, string>, authorization: req.headers.authorization ?? '' });
    sendReply(res, reply);
  };
}
