import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The preload in a real Node process: servers that name no host bind 127.0.0.1, servers that
 * name one keep it. dist/ is built by `pretest`.
 */
const PRELOAD = join(__dirname, '../../dist/tools/loopback-preload.js');

function addressesUnderPreload(script: string): unknown {
  const r = spawnSync(process.execPath, ['-r', PRELOAD, '-e', script], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('loopback preload (node -r)', () => {
  it.each([
    { name: 'net listen(0)', listen: 'net.createServer().listen(0, done)', want: '127.0.0.1' },
    { name: 'net listen()', listen: 'net.createServer().listen(done)', want: '127.0.0.1' },
    { name: 'http listen({port: 0})', listen: 'http.createServer().listen({ port: 0 }, done)', want: '127.0.0.1' },
    { name: 'http listen(0, "::1") keeps its host', listen: 'http.createServer().listen(0, "::1", done)', want: '::1' },
  ])('$name binds $want', ({ listen, want }) => {
    const script = `
      const net = require('node:net'); const http = require('node:http');
      let s; function done() { process.stdout.write(JSON.stringify(s.address().address)); s.close(); }
      s = ${listen};`;
    expect(addressesUnderPreload(script)).toBe(want);
  });

  it('without the preload the same call binds every address (what the preload prevents)', () => {
    const r = spawnSync(process.execPath, ['-e', `
      const s = require('node:net').createServer().listen(0, () => { process.stdout.write(JSON.stringify(s.address().address)); s.close(); });`], { encoding: 'utf8', timeout: 20000 });
    expect(['::', '0.0.0.0']).toContain(JSON.parse(r.stdout));
  });
});
