import { join, resolve } from 'node:path';
import { defaultConfigPath, parseRunnerArgs, parseServerUrl, UsageError } from '../../../src/runner/args';

describe('parseRunnerArgs', () => {
  it('parses a first start', () => {
    expect(parseRunnerArgs(['--server', 'https://picbot.contoso.com/', '--enroll', 'pbe_x', '--labels', 'Pool-EU, pool-us', '--shell', 'powershell', '--fe', 'fe01.contoso.com', '--name', 'mgmt01', '--op-timeout', '90', '--shell-grace', '2.5'])).toEqual({
      server: 'https://picbot.contoso.com',
      enroll: 'pbe_x',
      enrollFrom: 'flag',
      labels: ['pool-eu', 'pool-us'],
      shell: 'powershell',
      simState: null,
      frontEnd: 'fe01.contoso.com',
      name: 'mgmt01',
      config: defaultConfigPath(),
      opTimeoutMs: 90_000,
      graceMs: 2_500,
      logLevel: 'info',
    });
  });

  it('parses a later start with defaults', () => {
    expect(parseRunnerArgs(['--config', 'x/runner.json', '--sim-state', 's.json'])).toMatchObject({
      server: null, enroll: null, labels: null, shell: null, config: resolve('x/runner.json'), simState: resolve('s.json'), opTimeoutMs: 300_000, graceMs: 10_000,
    });
  });

  it.each([
    { args: ['--enroll', '-'], env: {}, want: { enroll: '-', enrollFrom: 'stdin' } },
    { args: [], env: { PICBOT_ENROLL_TOKEN: ' pbe_env ' }, want: { enroll: 'pbe_env', enrollFrom: 'env' } },
    { args: ['--enroll', 'pbe_flag'], env: { PICBOT_ENROLL_TOKEN: 'pbe_env' }, want: { enroll: 'pbe_flag', enrollFrom: 'flag' } },
    { args: [], env: {}, want: { enroll: null, enrollFrom: null } },
  ])('takes the enrollment token from $want.enrollFrom', ({ args, env, want }) => {
    const first = ['--server', 'https://x', '--labels', 'a', '--shell', 'sim'];
    expect(parseRunnerArgs([...first, ...args], env)).toMatchObject(want);
  });

  it('answers help', () => {
    expect(parseRunnerArgs(['-h'])).toBe('help');
  });

  it.each([
    { args: ['--enroll', ''], want: /the token is empty/ },
    { args: ['--enroll', 't', '--server', 'https://x', '--labels', 'a'], want: /--enroll needs --shell/ },
    { args: ['--labels', ','], want: /at least one label/ },
    { args: ['--shell-grace', '0'], want: /more than 0/ },
    { args: ['--op-timeout', '100000'], want: /at most 86400/ },
    { args: ['--log-level', 'loud'], want: /expected one of/ },
    { args: ['--name', ' '], want: /1 to 128 characters/ },
    { args: ['--server'], want: /argument missing/ },
  ])('refuses $args', ({ args, want }) => {
    expect(() => parseRunnerArgs(args)).toThrow(UsageError);
    expect(() => parseRunnerArgs(args)).toThrow(want);
  });

  it.each([
    { url: 'https://bot.contoso.com/', want: 'https://bot.contoso.com' },
    { url: 'http://127.0.0.1:3978', want: 'http://127.0.0.1:3978' },
    { url: 'http://127.8.9.10:3978/', want: 'http://127.8.9.10:3978' },
    { url: 'http://127.1:3978', want: 'http://127.0.0.1:3978' },
    { url: 'http://localhost:3978', want: 'http://localhost:3978' },
    { url: 'http://LocalHost:3978', want: 'http://localhost:3978' },
    { url: 'http://[::1]:3978', want: 'http://[::1]:3978' },
    { url: 'https://10.0.0.5:3978', want: 'https://10.0.0.5:3978' },
    { url: 'https://bot.contoso.com/picbot/', want: 'https://bot.contoso.com/picbot' },
  ])('takes $url as $want', ({ url, want }) => {
    expect(parseServerUrl(url)).toBe(want);
  });

  it.each(['bot.contoso.com', 'ftp://x', 'https://x/?a=1', 'https://u:p@x/'])('refuses the server URL %s', (url) => {
    expect(() => parseServerUrl(url)).toThrow(UsageError);
  });

  it.each([
    'http://picbot.contoso.com',
    'http://10.0.0.5:3978',
    'http://0.0.0.0:3978',
    'http://127.0.0.1.nip.io:3978',
    'http://127.evil.example:3978',
    'http://localhost.contoso.com',
    'http://[::ffff:10.0.0.5]:3978',
    'http://[::2]:3978',
  ])('refuses plain http to another machine: %s', (url) => {
    expect(() => parseServerUrl(url)).toThrow(UsageError);
    expect(() => parseServerUrl(url)).toThrow(/plain http:\/\/ is allowed only to this machine \(127\.0\.0\.1, ::1 or localhost\).*Use https:\/\//);
  });

  it('keeps the Windows credentials in the user profile', () => {
    expect(defaultConfigPath('win32', { LOCALAPPDATA: 'C:\\Users\\svc\\AppData\\Local' })).toBe(join('C:\\Users\\svc\\AppData\\Local', 'picbot', 'runner.json'));
    expect(defaultConfigPath('linux', {})).toBe(resolve('data', 'runner.json'));
  });
});
