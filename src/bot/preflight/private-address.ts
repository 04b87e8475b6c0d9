/**
 * Addresses the production server's preflight does not connect to: an Access Edge is reached from
 * the internet, so a loopback, link-local, private or otherwise non-public answer would only turn
 * the server into a probe of its own network (a request's FQDN is chosen by whoever fills in the
 * intake). The DNS resolver itself is configuration (PICBOT_DNS_SERVERS), never refused.
 * Ranges: https://www.iana.org/assignments/iana-ipv4-special-registry and
 * https://www.iana.org/assignments/iana-ipv6-special-registry
 */
import { BlockList, isIP } from 'node:net';

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** Why the server's preflight must not connect to `address` (loopback, link-local, private, …), or null. */
export function nonPublicAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return null;
  let candidate = address;
  let type: 'ipv4' | 'ipv6' = family === 4 ? 'ipv4' : 'ipv6';
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    candidate = mapped[1]!;
    type = 'ipv4';
  }
  return NON_PUBLIC.check(candidate, type) ? `${address} is a loopback, link-local, private or reserved address` : null;
}
