/**
 * Defaulting net.Server.listen's host to 127.0.0.1 (see loopback-preload.ts, which installs it
 * with `node -r`). Kept apart from the preload so tests can import the pure part without
 * patching their own process.
 */
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

const isPort = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v));

/**
 * The arguments of a listen call with the host defaulted to 127.0.0.1. Explicit hosts, pipe
 * paths and handles are left as they are. Node reads a number after the port as the backlog
 * only when no host string comes first, so inserting the host keeps the backlog's meaning.
 */
export function withLoopbackHost(args: readonly unknown[]): unknown[] {
  const [first, second] = args;
  // listen() and listen(callback): a random port on every interface otherwise.
  if (args.length === 0 || typeof first === 'function' || first === undefined || first === null) {
    return [0, LOOPBACK, ...args.slice(first === undefined || first === null ? 1 : 0)];
  }
  if (isPort(first)) return typeof second === 'string' ? [...args] : [first, LOOPBACK, ...args.slice(1)];
  if (typeof first === 'object') {
    const options = first as Record<string, unknown>;
    // A handle ({ _handle } / { fd }) or a server object is already bound to something.
    if ('_handle' in options || 'fd' in options || options instanceof net.Server || options instanceof net.Socket) return [...args];
    if (options.host !== undefined || options.path !== undefined) return [...args];
    return [{ ...options, host: LOOPBACK }, ...args.slice(1)];
  }
  return [...args]; // a pipe name
}

/** Patches net.Server.prototype.listen once (http, https and express servers inherit it). */
export function installLoopbackDefault(): void {
  const proto = net.Server.prototype as net.Server & { __picbotLoopback?: boolean };
  if (proto.__picbotLoopback) return;
  const original = proto.listen;
  proto.listen = function listen(this: net.Server, ...args: unknown[]) {
    return (original as (...a: unknown[]) => net.Server).apply(this, withLoopbackHost(args));
  } as typeof proto.listen;
  Object.defineProperty(proto, '__picbotLoopback', { value: true });
}

