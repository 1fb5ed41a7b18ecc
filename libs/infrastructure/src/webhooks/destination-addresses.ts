import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must never reach unless WEBHOOK_ALLOW_PRIVATE=true: this host and its neighbours, the cloud
 * metadata services (169.254.169.254 and fd00:ec2::254 lie in the link-local and unique-local ranges), and what
 * is not a unicast destination at all.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of any IPv4 address
  ['2002::', 16], // 6to4 of any IPv4 address
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6');

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export function isPrivateAddress(address: string): boolean {
  const mapped = V4_MAPPED.exec(address);
  if (mapped) return BLOCKED.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ResolvedDestination {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The operator's choices a destination is checked against: WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE. */
export interface DestinationPolicy {
  readonly allowHttp: boolean;
  readonly allowPrivate: boolean;
}

/**
 * The address to connect to for a URL, or why there is none. The scheme is checked again (an endpoint registered
 * while http was allowed is not called over http once it is not), then every address the name resolves to (a name
 * with one public and one private address is refused), and the caller connects to the one checked here, so a DNS
 * answer that changes between check and connect cannot redirect the request.
 */
export async function resolveDestination(
  url: string,
  policy: DestinationPolicy,
): Promise<ResolvedDestination | { readonly refusal: string }> {
  const target = new URL(url);
  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(target.protocol))
    return { refusal: policy.allowHttp ? 'must use https or http' : 'must use https' };
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await lookup(host, { all: true, verbatim: true });
  } catch {
    return { refusal: `host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { refusal: `host ${host} does not resolve` };
  if (!policy.allowPrivate && addresses.some((a) => isPrivateAddress(a.address)))
    return { refusal: 'must not point to a loopback, private, link-local or metadata address' };
  const [first] = addresses;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
