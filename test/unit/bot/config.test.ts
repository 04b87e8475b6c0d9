import { ConfigError, isLoopbackHost, parseConfig, PRODUCTION_REQUIRED_VARIABLES, VARIABLE_NAMES, type Env } from '../../../src/bot/config';

const APP = '2e1d7c3a-6f1b-4f34-9a8e-4c7a0c1b5d10';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ADMIN = '6c4b1e2a-1f3d-4e5a-9b8c-7d6e5f4a3b21';
const APPROVER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const OTHER_TENANT = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

const production: Env = {
  MicrosoftAppId: APP,
  MicrosoftAppPassword: 'secret-value',
  MicrosoftAppType: 'MultiTenant',
  MicrosoftAppTenantId: TENANT,
  PICBOT_ADMINS: ADMIN,
  PICBOT_APPROVERS: APPROVER,
};

function errorOf(env: Env): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parseConfig accepted the environment');
}

describe('parseConfig defaults', () => {
  it('local mode with nothing set', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      mode: 'local',
      host: '127.0.0.1',
      port: 3978,
      logLevel: 'info',
      admins: [],
      approvers: [],
      dnsServers: [],
      preflightTimeoutMs: 5000,
      approvalsConversation: null,
      approvalTtlHours: 72,
      approvalQuorum: 1,
      discoveryTimeoutSeconds: 120,
      playgroundPort: 56150,
      publicHost: null,
      defaultTargetLabel: null,
      bot: { appId: null, appPassword: null, appTenantId: null, appType: null, openIdMetadataUrl: null },
    });
    expect(c.dbPath).toMatch(/[\\/]data[\\/]picbot\.db$/);
    expect(c.simStatePath).toMatch(/[\\/]data[\\/]lync-sim\.json$/);
  });

  it('production mode binds 0.0.0.0 and keeps the identity', () => {
    const c = parseConfig(production);
    expect(c).toMatchObject({ mode: 'production', host: '0.0.0.0', admins: [ADMIN], approvers: [APPROVER] });
    expect(c.bot).toEqual({ appId: APP, appPassword: 'secret-value', appTenantId: TENANT, appType: 'MultiTenant', openIdMetadataUrl: null });
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ PORT: '', HOST: '  ', MicrosoftAppId: '' }).mode).toBe('local');
  });
});

describe('parseConfig values', () => {
  it.each([
    { env: { PORT: '0' }, want: { port: 0 } },
    { env: { PORT: '8080' }, want: { port: 8080 } },
    { env: { HOST: 'localhost' }, want: { host: 'localhost' } },
    { env: { HOST: '127.0.0.2' }, want: { host: '127.0.0.2' } },
    { env: { HOST: '::1' }, want: { host: '::1' } },
    { env: { PICBOT_LOG_LEVEL: 'debug' }, want: { logLevel: 'debug' } },
    { env: { PICBOT_ADMINS: ` ${ADMIN.toUpperCase()} , ${APPROVER},` }, want: { admins: [ADMIN, APPROVER] } },
    { env: { PICBOT_DNS_SERVERS: '10.0.0.53, 127.0.0.1:5353,[::1]:53,fd00::1' }, want: { dnsServers: [{ host: '10.0.0.53', port: 53 }, { host: '127.0.0.1', port: 5353 }, { host: '::1', port: 53 }, { host: 'fd00::1', port: 53 }] } },
    { env: { PICBOT_PREFLIGHT_TIMEOUT_MS: '1500' }, want: { preflightTimeoutMs: 1500 } },
    { env: { PICBOT_APPROVALS_CONVERSATION: '19:abc@thread.tacv2' }, want: { approvalsConversation: '19:abc@thread.tacv2' } },
    { env: { PICBOT_APPROVAL_TTL_HOURS: '24' }, want: { approvalTtlHours: 24 } },
    { env: { PICBOT_APPROVAL_QUORUM: '2' }, want: { approvalQuorum: 2 } },
    { env: { PICBOT_DISCOVERY_TIMEOUT_SECONDS: '30' }, want: { discoveryTimeoutSeconds: 30 } },
    { env: {}, want: { driftIntervalMinutes: 60 } },
    { env: { PICBOT_DRIFT_INTERVAL_MINUTES: '0' }, want: { driftIntervalMinutes: 0 } },
    { env: { PICBOT_DRIFT_INTERVAL_MINUTES: '15' }, want: { driftIntervalMinutes: 15 } },
    { env: {}, want: { leaseSeconds: 60 } },
    { env: { PICBOT_LEASE_SECONDS: '6' }, want: { leaseSeconds: 6 } },
    { env: { PICBOT_LEASE_SECONDS: '600' }, want: { leaseSeconds: 600 } },
    { env: { PICBOT_PLAYGROUND_PORT: '56151' }, want: { playgroundPort: 56151 } },
    { env: { PICBOT_PUBLIC_HOST: 'picbot.contoso.com' }, want: { publicHost: 'picbot.contoso.com' } },
    { env: { ...production, HOST: '10.1.2.3' }, want: { host: '10.1.2.3' } },
    { env: { ...production, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppPassword: undefined }, want: { bot: expect.objectContaining({ appType: 'UserAssignedMSI', appPassword: null }) } },
    { env: { ToBotFromChannelOpenIdMetadataUrl: 'http://127.0.0.1:9999/v1/.well-known/openidconfiguration' }, want: { bot: expect.objectContaining({ openIdMetadataUrl: 'http://127.0.0.1:9999/v1/.well-known/openidconfiguration' }) } },
    { env: { ...production, ToBotFromChannelOpenIdMetadataUrl: 'https://127.0.0.1:9999/v1/.well-known/openidconfiguration' }, want: { bot: expect.objectContaining({ openIdMetadataUrl: 'https://127.0.0.1:9999/v1/.well-known/openidconfiguration' }) } },
    { env: production, want: { channels: ['msteams'], tenants: [TENANT] } },
    { env: { ...production, PICBOT_CHANNELS: 'msteams, WebChat', PICBOT_TENANTS: `${OTHER_TENANT.toUpperCase()},${TENANT}` }, want: { channels: ['msteams', 'webchat'], tenants: [TENANT, OTHER_TENANT] } },
    { env: {}, want: { channels: null, tenants: null } },
    { env: { PICBOT_CHANNELS: 'msteams', PICBOT_TENANTS: TENANT }, want: { channels: ['msteams'], tenants: [TENANT] } },
    {
      env: { ...production, PICBOT_ADMINS: `${ADMIN}, ${OTHER_TENANT}:${APPROVER.toUpperCase()}` },
      want: { admins: [ADMIN, APPROVER], roleEntries: expect.objectContaining({ admins: [{ tenantId: null, objectId: ADMIN }, { tenantId: OTHER_TENANT, objectId: APPROVER }] }) },
    },
    { env: { PICBOT_PREFLIGHT_ALLOW_PRIVATE: '1' }, want: { preflightAllowPrivate: true } },
    { env: {}, want: { preflightAllowPrivate: false } },
  ])('$env', ({ env, want }) => {
    expect(parseConfig(env as Env)).toMatchObject(want);
  });

  it('keeps the audit and signing key files beside the database unless their variables say otherwise', () => {
    const c = parseConfig({ PICBOT_DB: 'x/y.db' });
    expect(c.auditKeyFile).toEqual({ path: expect.stringMatching(/x[\\/]audit\.key$/), defaulted: true });
    expect(c.signingKeyFile).toEqual({ path: expect.stringMatching(/x[\\/]signing\.key$/), defaulted: true });
    const set = parseConfig({ PICBOT_DB: 'x/y.db', PICBOT_AUDIT_KEY_FILE: 'k/a.key', PICBOT_SIGNING_KEY_FILE: 'k/s.key' });
    expect(set.auditKeyFile).toEqual({ path: expect.stringMatching(/k[\\/]a\.key$/), defaulted: false });
    expect(set.signingKeyFile).toEqual({ path: expect.stringMatching(/k[\\/]s\.key$/), defaulted: false });
  });

  it('keeps PICBOT_DEFAULT_TARGET (the runner label the target card offers)', () => {
    expect(parseConfig({ PICBOT_DEFAULT_TARGET: ' lync-sim ' }).defaultTargetLabel).toBe('lync-sim');
  });

  it('resolves PICBOT_DB and PICBOT_SIM_STATE to absolute paths', () => {
    const c = parseConfig({ PICBOT_DB: 'x/y.db', PICBOT_SIM_STATE: 'x/sim.json' });
    expect(c.dbPath).toMatch(/^(\/|[A-Za-z]:\\).*x[\\/]y\.db$/);
    expect(c.simStatePath).toMatch(/x[\\/]sim\.json$/);
  });
});

describe('PRODUCTION_REQUIRED_VARIABLES', () => {
  it('is what the sample production environment sets', () => {
    expect([...PRODUCTION_REQUIRED_VARIABLES].sort()).toEqual(Object.keys(production).sort());
  });

  it.each(PRODUCTION_REQUIRED_VARIABLES.filter((name) => name !== 'MicrosoftAppId'))('production without %s does not start, naming it', (name) => {
    const env = { ...production };
    delete env[name];
    expect(errorOf(env).variable).toBe(name);
  });
});

describe('PICBOT_METRICS', () => {
  it.each([
    { what: 'loopback bind (local default)', env: {}, want: true },
    { what: 'loopback bind, turned off', env: { PICBOT_METRICS: '0' }, want: false },
    { what: 'production on 0.0.0.0', env: production, want: false },
    { what: 'production on 0.0.0.0, turned on', env: { ...production, PICBOT_METRICS: '1' }, want: true },
    { what: 'production on 127.0.0.1', env: { ...production, HOST: '127.0.0.1' }, want: true },
    { what: 'production on [::1]', env: { ...production, HOST: '::1' }, want: true },
    { what: 'production on a private address', env: { ...production, HOST: '10.1.2.3' }, want: false },
  ])('$what → /metrics $want', ({ env, want }) => {
    expect(parseConfig(env).metrics).toBe(want);
  });

  it('says what a bad value should be', () => {
    expect(errorOf({ PICBOT_METRICS: 'on' }).message).toBe('PICBOT_METRICS: must be 1 or 0');
  });
});

describe('parseConfig refuses, naming the variable in one line', () => {
  it.each([
    { env: { PORT: 'abc' }, variable: 'PORT' },
    { env: { PORT: '70000' }, variable: 'PORT' },
    { env: { PORT: '-1' }, variable: 'PORT' },
    { env: { PORT: '80.5' }, variable: 'PORT' },
    { env: { HOST: 'not a host!' }, variable: 'HOST' },
    { env: { HOST: '0.0.0.0' }, variable: 'HOST' },
    { env: { HOST: '10.1.2.3' }, variable: 'HOST' },
    { env: { HOST: 'picbot.contoso.com' }, variable: 'HOST' },
    { env: { HOST: '::' }, variable: 'HOST' },
    { env: { PICBOT_LOG_LEVEL: 'loud' }, variable: 'PICBOT_LOG_LEVEL' },
    { env: { PICBOT_METRICS: 'yes' }, variable: 'PICBOT_METRICS' },
    { env: { PICBOT_ADMINS: 'dana@contoso.com' }, variable: 'PICBOT_ADMINS' },
    { env: { PICBOT_APPROVERS: `${APPROVER},nope` }, variable: 'PICBOT_APPROVERS' },
    { env: { PICBOT_DNS_SERVERS: 'dns.contoso.com' }, variable: 'PICBOT_DNS_SERVERS' },
    { env: { PICBOT_DNS_SERVERS: '10.0.0.1:99999' }, variable: 'PICBOT_DNS_SERVERS' },
    { env: { PICBOT_DNS_SERVERS: '10.0.0.1:0' }, variable: 'PICBOT_DNS_SERVERS' },
    { env: { PICBOT_DNS_SERVERS: '[10.0.0.1]:53' }, variable: 'PICBOT_DNS_SERVERS' },
    { env: { PICBOT_PREFLIGHT_TIMEOUT_MS: '5s' }, variable: 'PICBOT_PREFLIGHT_TIMEOUT_MS' },
    { env: { PICBOT_PREFLIGHT_TIMEOUT_MS: '10' }, variable: 'PICBOT_PREFLIGHT_TIMEOUT_MS' },
    { env: { PICBOT_APPROVAL_TTL_HOURS: '0' }, variable: 'PICBOT_APPROVAL_TTL_HOURS' },
    { env: { PICBOT_APPROVAL_QUORUM: '0' }, variable: 'PICBOT_APPROVAL_QUORUM' },
    { env: { PICBOT_APPROVAL_QUORUM: 'two' }, variable: 'PICBOT_APPROVAL_QUORUM' },
    { env: { PICBOT_DISCOVERY_TIMEOUT_SECONDS: '1' }, variable: 'PICBOT_DISCOVERY_TIMEOUT_SECONDS' },
    { env: { PICBOT_DRIFT_INTERVAL_MINUTES: '-5' }, variable: 'PICBOT_DRIFT_INTERVAL_MINUTES' },
    { env: { PICBOT_DRIFT_INTERVAL_MINUTES: 'hourly' }, variable: 'PICBOT_DRIFT_INTERVAL_MINUTES' },
    { env: { PICBOT_DRIFT_INTERVAL_MINUTES: '20000' }, variable: 'PICBOT_DRIFT_INTERVAL_MINUTES' },
    { env: { PICBOT_LEASE_SECONDS: '4' }, variable: 'PICBOT_LEASE_SECONDS' },
    { env: { PICBOT_LEASE_SECONDS: '601' }, variable: 'PICBOT_LEASE_SECONDS' },
    { env: { PICBOT_LEASE_SECONDS: '60s' }, variable: 'PICBOT_LEASE_SECONDS' },
    { env: { PICBOT_PLAYGROUND_PORT: '0' }, variable: 'PICBOT_PLAYGROUND_PORT' },
    { env: { PICBOT_PUBLIC_HOST: 'https://picbot.contoso.com' }, variable: 'PICBOT_PUBLIC_HOST' },
    { env: { PICBOT_DEFAULT_TARGET: 'pool eu' }, variable: 'PICBOT_DEFAULT_TARGET' },
    { env: { PICBOT_DEFAULT_TARGET: '-sim' }, variable: 'PICBOT_DEFAULT_TARGET' },
    { env: { ToBotFromChannelOpenIdMetadataUrl: 'not a url' }, variable: 'ToBotFromChannelOpenIdMetadataUrl' },
    { env: { ...production, ToBotFromChannelOpenIdMetadataUrl: 'http://127.0.0.1:9999/v1/.well-known/openidconfiguration' }, variable: 'ToBotFromChannelOpenIdMetadataUrl' },
    { env: { ...production, ToBotFromChannelOpenIdMetadataUrl: 'http://login.botframework.com/v1/.well-known/openidconfiguration' }, variable: 'ToBotFromChannelOpenIdMetadataUrl' },
    { env: { PICBOT_CHANNELS: 'ms teams' }, variable: 'PICBOT_CHANNELS' },
    { env: { PICBOT_CHANNELS: ' , ' }, variable: 'PICBOT_CHANNELS' },
    { env: { PICBOT_TENANTS: 'contoso.com' }, variable: 'PICBOT_TENANTS' },
    { env: { PICBOT_ADMINS: `contoso:${ADMIN}` }, variable: 'PICBOT_ADMINS' },
    { env: { PICBOT_PREFLIGHT_ALLOW_PRIVATE: 'yes' }, variable: 'PICBOT_PREFLIGHT_ALLOW_PRIVATE' },
    { env: { MicrosoftAppId: 'my-bot' }, variable: 'MicrosoftAppId' },
    { env: { ...production, MicrosoftAppTenantId: 'contoso.com' }, variable: 'MicrosoftAppTenantId' },
    { env: { ...production, MicrosoftAppType: 'Multitenant' }, variable: 'MicrosoftAppType' },
    { env: { ...production, MicrosoftAppType: undefined }, variable: 'MicrosoftAppType' },
    { env: { ...production, MicrosoftAppPassword: undefined }, variable: 'MicrosoftAppPassword' },
    { env: { ...production, MicrosoftAppType: 'SingleTenant', MicrosoftAppPassword: undefined }, variable: 'MicrosoftAppPassword' },
    { env: { ...production, MicrosoftAppTenantId: undefined }, variable: 'MicrosoftAppTenantId' },
    { env: { ...production, PICBOT_ADMINS: undefined }, variable: 'PICBOT_ADMINS' },
    { env: { ...production, PICBOT_ADMINS: ' , ' }, variable: 'PICBOT_ADMINS' },
    { env: { ...production, PICBOT_APPROVERS: undefined }, variable: 'PICBOT_APPROVERS' },
  ])('$variable ← $env', ({ env, variable }) => {
    const err = errorOf(env as Env);
    expect(err.variable).toBe(variable);
    expect(err.code).toBe('config_invalid');
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('never puts the password in the message', () => {
    const err = errorOf({ ...production, MicrosoftAppTenantId: 'nope' });
    expect(err.message).not.toContain('secret-value');
  });

  it('names the loopback rule for HOST in local mode', () => {
    expect(errorOf({ HOST: '0.0.0.0' }).message).toMatch(/loopback/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['localhost.contoso.com', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});

it('lists every variable the README documents', () => {
  expect(VARIABLE_NAMES).toEqual(expect.arrayContaining(['HOST', 'PORT', 'PICBOT_DB', 'PICBOT_SIM_STATE', 'ToBotFromChannelOpenIdMetadataUrl']));
});

describe('PICBOT_DATABASE_URL (several instances on PostgreSQL)', () => {
  const keys = { PICBOT_AUDIT_KEY_FILE: '/run/secrets/audit.key', PICBOT_SIGNING_KEY_FILE: '/run/secrets/signing.key' };
  const url = 'postgres://picbot:s3cret-pw@db.example.com:5432/picbot?sslmode=require';

  it('selects PostgreSQL; unset keeps the SQLite file', () => {
    expect(parseConfig({ PICBOT_DATABASE_URL: url, ...keys }).databaseUrl).toBe(url);
    expect(parseConfig({}).databaseUrl).toBeNull();
  });

  it('requires both key files, named, and never generates them', () => {
    expect(errorOf({ PICBOT_DATABASE_URL: url }).message).toMatch(/^PICBOT_AUDIT_KEY_FILE: required when PICBOT_DATABASE_URL is set/);
    expect(errorOf({ PICBOT_DATABASE_URL: url, PICBOT_AUDIT_KEY_FILE: keys.PICBOT_AUDIT_KEY_FILE }).message).toMatch(/^PICBOT_SIGNING_KEY_FILE: required when PICBOT_DATABASE_URL is set/);
  });

  it.each(['mysql://u:s3cret-pw@h/db', 'not a url s3cret-pw', 'postgres:///nohost-s3cret-pw'])('refuses %s, naming the variable and never repeating the value', (bad) => {
    const err = errorOf({ PICBOT_DATABASE_URL: bad, ...keys });
    expect(err.variable).toBe('PICBOT_DATABASE_URL');
    expect(err.message).toMatch(/postgres:\/\/ or postgresql:\/\//);
    expect(err.message).not.toMatch(/s3cret-pw/);
  });
});
