import { serverPreflightOptions } from '../../../../src/bot/handlers/preflight';
import { nonPublicAddress } from '../../../../src/bot/preflight/private-address';

describe('nonPublicAddress', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.10', true], ['10.0.0.1', true], ['172.16.0.1', true], ['172.31.255.255', true], ['192.168.1.1', true],
    ['169.254.169.254', true], ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['::1', true], ['::', true],
    ['fd00::1', true], ['fc00::1', true], ['fe80::1', true], ['::ffff:10.0.0.1', true], ['::ffff:127.0.0.1', true],
    ['172.32.0.1', false], ['8.8.8.8', false], ['52.112.0.1', false], ['2603:1027::1', false], ['::ffff:52.112.0.1', false], ['203.0.113.7', false],
  ])('%s → %s', (address, refused) => {
    expect(nonPublicAddress(address) !== null).toBe(refused);
  });
});

describe('the server\'s preflight options', () => {
  const base = { dnsServers: [], preflightTimeoutMs: 5000 };
  it.each([
    { config: { ...base, mode: 'production' as const, preflightAllowPrivate: false }, refuse: true },
    { config: { ...base, mode: 'production' as const, preflightAllowPrivate: true }, refuse: false },
    { config: { ...base, mode: 'local' as const, preflightAllowPrivate: false }, refuse: false },
  ])('$config.mode with PICBOT_PREFLIGHT_ALLOW_PRIVATE=$config.preflightAllowPrivate refuses private addresses: $refuse', ({ config, refuse }) => {
    expect(serverPreflightOptions(config).refusePrivateAddresses).toBe(refuse);
  });
});
