import net from 'node:net';
import { LOOPBACK, withLoopbackHost } from '../../../src/tools/loopback-host';

/** The argument rewrite of the loopback preload (the real bind is checked in test/integration/loopback-preload.test.ts). */
describe('withLoopbackHost', () => {
  const cb = () => undefined;
  it.each([
    { name: 'listen()', args: [], want: [0, LOOPBACK] },
    { name: 'listen(cb)', args: [cb], want: [0, LOOPBACK, cb] },
    { name: 'listen(undefined, cb)', args: [undefined, cb], want: [0, LOOPBACK, cb] },
    { name: 'listen(port)', args: [56150], want: [56150, LOOPBACK] },
    { name: 'listen("port")', args: ['56150'], want: ['56150', LOOPBACK] },
    { name: 'listen(port, cb)', args: [56150, cb], want: [56150, LOOPBACK, cb] },
    { name: 'listen(port, backlog, cb)', args: [56150, 511, cb], want: [56150, LOOPBACK, 511, cb] },
    { name: 'listen(port, host, cb) keeps the host', args: [56150, '0.0.0.0', cb], want: [56150, '0.0.0.0', cb] },
    { name: 'listen(port, "::", cb) keeps the host', args: [56150, '::', cb], want: [56150, '::', cb] },
    { name: 'listen({port})', args: [{ port: 1 }, cb], want: [{ port: 1, host: LOOPBACK }, cb] },
    { name: 'listen({}) ', args: [{}], want: [{ host: LOOPBACK }] },
    { name: 'listen({port, host}) keeps the host', args: [{ port: 1, host: '::1' }], want: [{ port: 1, host: '::1' }] },
    { name: 'listen({path}) is a socket file', args: [{ path: '/tmp/x.sock' }], want: [{ path: '/tmp/x.sock' }] },
    { name: 'listen(pipe name)', args: ['/tmp/x.sock', cb], want: ['/tmp/x.sock', cb] },
    { name: 'listen({fd})', args: [{ fd: 3 }], want: [{ fd: 3 }] },
  ])('$name', ({ args, want }) => {
    expect(withLoopbackHost(args)).toEqual(want);
  });

  it('leaves a handle object as it is (the same object)', () => {
    const handle = { _handle: {} };
    expect(withLoopbackHost([handle])[0]).toBe(handle);
  });

  it('does not change the caller\'s options object', () => {
    const options = { port: 0 };
    withLoopbackHost([options]);
    expect(options).toEqual({ port: 0 });
  });

  it('does not patch this process when imported', () => {
    expect((net.Server.prototype as { __picbotLoopback?: boolean }).__picbotLoopback).toBeUndefined();
  });
});
