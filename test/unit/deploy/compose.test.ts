/**
 * deploy/compose.yaml, read as Docker Compose reads it (YAML with merge keys, `${VAR…}` filled in
 * from deploy/.env.example): the services are there, the proxy balances both picbot instances on
 * their port, every variable the instances get is one picbot reads and production needs, they
 * share one configuration and the same key files, and only the proxy publishes a port, as
 * docs/deploy.md says. No container engine is needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse } from 'yaml';
import { parseConfig, PRODUCTION_REQUIRED_VARIABLES, VARIABLE_NAMES } from '../../../src/bot/config';

const ROOT = resolve(__dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');

/**
 * Variables the scale-out work adds to the configuration and this branch's schema may not list
 * yet: the PostgreSQL connection URL (docs/deploy.md, section 10).
 */
const KNOWN: ReadonlySet<string> = new Set(VARIABLE_NAMES);
/** Scale-out needs these on every instance besides what production mode needs. */
const SCALE_OUT_REQUIRED = ['PICBOT_DATABASE_URL', 'PICBOT_AUDIT_KEY_FILE', 'PICBOT_SIGNING_KEY_FILE'];
const PICBOTS = ['picbot-a', 'picbot-b'] as const;

interface Volume { type?: string; source?: string; target?: string; read_only?: boolean }
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | boolean | null>;
  ports?: unknown[];
  volumes?: (Volume | string)[];
  depends_on?: unknown;
}

const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const sample = parseDotenv(readFileSync(join(DEPLOY, '.env.example')));

/** Fills in `${NAME}`, `${NAME:-default}` and `${NAME:?error}` as docker compose does. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const set = env[name] !== undefined && env[name] !== '';
    if (set) return env[name]!;
    if (op === ':-' || op === '-') return arg ?? '';
    throw new Error(`\${${name}} is not set in deploy/.env.example (${arg ?? 'no message'})`);
  });
}

/** A picbot service's environment as the container gets it (from deploy/.env.example). */
function environmentOf(name: string): Record<string, string> {
  const raw = services[name]!.environment ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v ?? ''), sample)]));
}

function proxyUpstreams(): string[] {
  const caddyfile = readFileSync(join(DEPLOY, 'Caddyfile'), 'utf8');
  const lines = caddyfile.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('reverse_proxy '));
  expect(lines).toHaveLength(1);
  return lines[0]!.replace(/\{$/, '').trim().split(/\s+/).slice(1);
}

it('has postgres 16, two picbot instances built from the repository\'s Dockerfile, and a proxy', () => {
  expect(Object.keys(services).sort()).toEqual(['picbot-a', 'picbot-b', 'postgres', 'proxy']);
  expect(services.postgres!.image).toBe('postgres:16');
  for (const name of PICBOTS) {
    const build = services[name]!.build!;
    expect(existsSync(join(DEPLOY, build.context, build.dockerfile))).toBe(true);
    expect(resolve(DEPLOY, build.context)).toBe(ROOT);
  }
});

it('the proxy balances both picbot services on the port they listen on', () => {
  const upstreams = proxyUpstreams();
  expect(upstreams.map((u) => u.split(':')[0]).sort()).toEqual([...PICBOTS]);
  for (const name of PICBOTS) {
    const port = environmentOf(name).PORT;
    expect(upstreams).toContain(`${name}:${port}`);
    expect(parseConfig(environmentOf(name)).port).toBe(Number(port));
  }
  expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^EXPOSE ${environmentOf('picbot-a').PORT}$`, 'm'));
});

it.each(PICBOTS)('%s gets only variables picbot reads', (name) => {
  const unknown = Object.keys(environmentOf(name)).filter((k) => !KNOWN.has(k));
  expect(unknown).toEqual([]);
});

it.each(PICBOTS)('%s sets every variable production and scale-out require', (name) => {
  const env = environmentOf(name);
  const missing = [...PRODUCTION_REQUIRED_VARIABLES, ...SCALE_OUT_REQUIRED].filter((k) => !env[k]?.trim());
  expect(missing).toEqual([]);
  expect(env.PICBOT_DATABASE_URL).toMatch(/^postgres:\/\/[^@/]+@postgres:5432\/[a-z]+\?sslmode=[a-z-]+$/);
});

it.each(PICBOTS)('%s starts in production mode with /metrics on, from deploy/.env.example', (name) => {
  const env = environmentOf(name);
  const config = parseConfig(env);
  expect(config).toMatchObject({ mode: 'production', host: '0.0.0.0', metrics: true, publicHost: sample.PICBOT_PUBLIC_HOST, databaseUrl: env.PICBOT_DATABASE_URL });
});

it('both instances share one configuration and mount the same key files read-only', () => {
  expect(environmentOf('picbot-b')).toEqual(environmentOf('picbot-a'));
  expect(services['picbot-b']!.volumes).toEqual(services['picbot-a']!.volumes);
  const env = environmentOf('picbot-a');
  const mounts = (services['picbot-a']!.volumes ?? []).filter((v): v is Volume => typeof v === 'object');
  for (const key of [env.PICBOT_AUDIT_KEY_FILE!, env.PICBOT_SIGNING_KEY_FILE!]) {
    const mount = mounts.find((m) => m.target !== undefined && key.startsWith(`${m.target}/`));
    expect(mount).toMatchObject({ source: './secrets', read_only: true });
  }
});

it('only the proxy publishes a port: 443 on every address, as docs/deploy.md says', () => {
  const publishing = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([n]) => n);
  expect(publishing).toEqual(['proxy']);
  expect(services.proxy!.ports).toEqual([{ target: 443, published: 443, protocol: 'tcp' }]);
  const docs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8').replace(/\s+/g, ' ');
  expect(docs).toContain('Only the proxy publishes port 443 (on every address of the host); the instances and the database publish nothing.');
});

it('keeps the secrets out of git and out of the image', () => {
  expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('deploy/secrets/');
  expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('deploy');
});
