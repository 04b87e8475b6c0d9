/**
 * With PostgreSQL the key files are shared by every instance and never generated: a server
 * pointed at a key file that is not there stops, naming the variable, and creates nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSchema } from '../engines';
import { freePort } from '../integration/demo-process';
import { serverProcess, type ServerProcess } from '../integration/server-process';
import { sharedKeys } from './pg-helpers';

jest.setTimeout(60_000);

let dir: string;
let schema: Awaited<ReturnType<typeof freshSchema>>;
let server: ServerProcess | null = null;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-keys-'));
  schema = await freshSchema();
});
afterEach(async () => {
  await server?.close();
  server = null;
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
});

it.each(['PICBOT_AUDIT_KEY_FILE', 'PICBOT_SIGNING_KEY_FILE'])('a missing %s stops the server, named, and no key is made', async (variable) => {
  const { env } = sharedKeys(dir);
  const missing = join(dir, 'mounted', 'not-there.key');
  server = await serverProcess({ dir, port: await freePort(), env: { ...env, [variable]: missing }, databaseUrl: schema.url });
  await expect(server.start()).rejects.toThrow(new RegExp(`${variable}`));
  expect(existsSync(missing)).toBe(false);
});
