/**
 * No secret in any log: the real server (`picbot serve`) and the real runner process, both at
 * trace level, go through a chat-issued enrollment token, enrollment, long polls with the runner
 * token and a signed discovery job against the simulator. Afterwards neither process's stdout or
 * stderr holds the enrollment token, the runner token or the server's Ed25519 private key.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../../src/bot/stores/db';
import { sqliteSql } from '../../src/bot/stores/sql';
import { createDraftStore } from '../../src/bot/stores/drafts';
import { createRequestStore } from '../../src/bot/stores/requests';
import { VERBS } from '../../src/bot/verbs';
import { allText } from './card-query';
import { cardOf, startFakeConnector, type ConnectorCall, type FakeConnector } from '../fakes/connector';
import { requestFixture } from '../fixtures/load';
import { killRunners, spawnRunner, type RunnerProcess } from './runner-helpers';
import { writeState } from './sim-helpers';
import { DANA, invoke, message, personalChat } from './teams-activities';

const BIN = resolve(__dirname, '../../bin/picbot.js');
const requestId = 'req_0123456789abcdef';

let dir: string;
let connector: FakeConnector;
let server: { proc: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exited: Promise<number | null> } | null = null;
let runner: RunnerProcess | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'picbot-secrets-'));
  connector = await startFakeConnector();
});
afterEach(async () => {
  await killRunners();
  if (server && server.proc.exitCode === null) {
    server.proc.kill('SIGKILL');
    await server.exited;
  }
  await connector.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `picbot serve` at trace level; resolves with its URL once it listens. */
async function startServe(dbPath: string): Promise<string> {
  const proc = spawn(process.execPath, [BIN, 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: '0', PICBOT_DB: dbPath, PICBOT_LOG_LEVEL: 'trace' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((done) => proc.on('close', done));
  server = { proc, stdout: () => out, stderr: () => err, exited };
  return new Promise<string>((done, fail) => {
    proc.stderr.on('data', () => {
      const line = err.split('\n').find((l) => l.includes('"picbot listening"'));
      if (line) done((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => fail(new Error(`picbot serve exited ${code} before listening: ${err}`)));
  });
}

async function post(url: string, activity: unknown): Promise<number> {
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  await res.text();
  return res.status;
}

// What the card shows (its markdown escapes undone), as an admin would copy it.
const cardText = (call: ConnectorCall) => allText(cardOf(call));
const chat = personalChat(DANA);

it('trace logs of server and runner hold no enrollment token, runner token or private key', async () => {
  const dbPath = join(dir, 'data', 'picbot.db');
  const url = await startServe(dbPath);

  // An admin asks for an enrollment token in chat: it reaches the card, and nothing else.
  expect(await post(url, message(connector.serviceUrl, chat, DANA, 'runner token pool-eu'))).toBe(200);
  const tokenCard = await connector.waitFor((c) => /pbe_[A-Za-z0-9_-]{20,}/.test(cardText(c)));
  const enrollmentToken = /pbe_[A-Za-z0-9_-]{20,}/.exec(cardText(tokenCard))![0];

  // Dana's finished intake at the review (written to the server's file, as the intake would).
  const db = sqliteSql(openDatabase(dbPath), dbPath);
  const at = new Date().toISOString();
  const owner = { ownerId: DANA.aadObjectId.toLowerCase(), ownerName: DANA.name };
  const request = requestFixture('user');
  await createDraftStore(db).create({ id: requestId, ...owner, targetLabel: 'pool-eu', position: 'review', data: request, createdAt: at, updatedAt: at });
  await createRequestStore(db).save({ id: requestId, ...owner, request, status: 'draft', submittedOn: null, activeOn: null, createdAt: at, updatedAt: at });
  await db.close();
  // The keys live in files beside the database, not in it.
  const privateKeyPem = readFileSync(join(dir, 'data', 'signing.key'), 'utf8');
  const auditKey = readFileSync(join(dir, 'data', 'audit.key'), 'utf8').trim();

  // The runner enrolls at trace level and a discovery job runs end to end.
  const config = join(dir, 'runner.json');
  runner = spawnRunner(['--server', url, '--enroll', enrollmentToken, '--labels', 'pool-eu', '--shell', 'sim', '--sim-state', writeState(dir),
    '--config', config, '--name', 'fe01', '--log-level', 'trace'], { cwd: dir });
  await runner.waitForLog(/waiting for jobs/);
  const runnerToken = (JSON.parse(readFileSync(config, 'utf8')) as { runnerToken: string }).runnerToken;
  expect(await post(url, invoke(connector.serviceUrl, chat, DANA, VERBS.requestDiscover, { requestId }, 'msg-review'))).toBe(200);
  await connector.waitFor((c) => c.kind === 'update' && /Current state of pool-eu/.test(cardText(c)));

  // Refusals carrying the real secrets, which the server logs (debug, trace): a used enrollment
  // token, and malformed bodies holding the runner token (V8's JSON.parse quotes its input).
  const gateway = (path: string, body: string) => fetch(`${url}/api/runner/v1/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${runnerToken}` }, body,
  }).then((r) => r.status);
  expect(await gateway('enroll', JSON.stringify({ enrollmentToken, name: 'fe02', labels: ['pool-eu'] }))).toBe(401);
  expect(await gateway('enroll', enrollmentToken)).toBe(400);
  expect(await gateway('jobs/lease', runnerToken)).toBe(400);
  expect(await gateway('jobs/lease', `{"waitSeconds":0,"token":"${runnerToken}"`)).toBe(400);

  runner.kill('SIGTERM');
  expect(await runner.exited).toBe(0);
  server!.proc.kill('SIGTERM');
  expect(await server!.exited).toBe(0);

  const outputs = {
    'server stdout': server!.stdout(),
    'server stderr': server!.stderr(),
    'runner stdout': runner.stdout(),
    'runner stderr': runner.stderr(),
  };
  // The logs did run at trace level and saw the traffic (so an empty log cannot pass).
  const levels = (text: string) => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: number }).level);
  expect(Math.min(...levels(outputs['server stderr']))).toBeLessThanOrEqual(20);
  expect(Math.min(...levels(outputs['runner stderr']))).toBeLessThanOrEqual(20);
  expect(outputs['runner stderr']).toMatch(/"jobId":"job_/);

  const keyBody = privateKeyPem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
  // Whole tokens, and every 6-character stretch of their random part: V8's JSON.parse error,
  // for one, quotes just the first 10 characters of its input (pbr_ and 6 more).
  const pieces = (name: string, token: string) => {
    const random = token.replace(/^[a-z]+_/, '');
    const windows = Array.from({ length: random.length - 5 }, (_, at) => [`${name} characters ${at}-${at + 5}`, random.slice(at, at + 6)]);
    return Object.fromEntries([[name, token], ...windows]);
  };
  const secrets: Record<string, string> = {
    ...pieces('enrollment token', enrollmentToken),
    ...pieces('runner token', runnerToken),
    'private key PEM header': 'PRIVATE KEY',
    ...Object.fromEntries(Array.from({ length: auditKey.length - 11 }, (_, at) => [`audit key characters ${at}-${at + 11}`, auditKey.slice(at, at + 12)])),
    ...Object.fromEntries(keyBody.map((line, i) => [`private key line ${i + 1}`, line])),
  };
  const found = Object.entries(outputs).flatMap(([where, text]) =>
    Object.entries(secrets).filter(([, secret]) => text.includes(secret)).map(([what]) => `${what} in ${where}`));
  expect(found).toEqual([]);
});
