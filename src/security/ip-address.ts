import { isIP } from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Why an address is not a public one; undefined for a public address. */
export type AddressKind = 'loopback' | 'private' | 'link-local' | 'shared (CGNAT)' | 'unspecified' | 'multicast' | 'reserved';

/** Parses an IPv4 or IPv6 literal (no brackets, no zone); undefined when `text` is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 4) return { family, bytes: Uint8Array.from(text.split('.').map(Number)) };
  if (family !== 6) return undefined;
  const bytes = new Uint8Array(16);
  let groups = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    // A trailing dotted quad fills the last 32 bits (::ffff:127.0.0.1).
    bytes.set(parseIp(dotted[1]!)!.bytes, 12);
    groups = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const [head, tail] = groups.split('::') as [string, string | undefined];
  const words = (part: string | undefined) => (part ? part.split(':').filter((word) => word !== '').map((word) => parseInt(word, 16)) : []);
  const front = words(head);
  const back = words(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((word, index) => {
    if (dotted && index >= 6) return;
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return { family: 6, bytes };
}

/** A CIDR range (or one address, with the full prefix length). */
export interface IpRange {
  network: IpAddress;
  prefix: number;
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  if (address.family !== range.network.family) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const take = Math.min(8, range.prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address.bytes[bit / 8]! & mask) !== (range.network.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

const range = (cidr: string): IpRange => {
  const [network, prefix] = cidr.split('/') as [string, string];
  return { network: parseIp(network)!, prefix: Number(prefix) };
};

// IANA special-purpose registries; everything here is unreachable from, or private to, the internet.
const ipv4Ranges: Array<[IpRange, AddressKind]> = [
  [range('0.0.0.0/8'), 'unspecified'],
  [range('10.0.0.0/8'), 'private'],
  [range('100.64.0.0/10'), 'shared (CGNAT)'],
  [range('127.0.0.0/8'), 'loopback'],
  [range('169.254.0.0/16'), 'link-local'],
  [range('172.16.0.0/12'), 'private'],
  [range('192.0.0.0/24'), 'reserved'],
  [range('192.0.2.0/24'), 'reserved'],
  [range('192.88.99.0/24'), 'reserved'],
  [range('192.168.0.0/16'), 'private'],
  [range('198.18.0.0/15'), 'reserved'],
  [range('198.51.100.0/24'), 'reserved'],
  [range('203.0.113.0/24'), 'reserved'],
  [range('224.0.0.0/4'), 'multicast'],
  [range('240.0.0.0/4'), 'reserved'],
];
const ipv6Ranges: Array<[IpRange, AddressKind]> = [
  [range('::/128'), 'unspecified'],
  [range('::1/128'), 'loopback'],
  [range('64:ff9b:1::/48'), 'private'],
  [range('100::/64'), 'reserved'],
  [range('2001::/23'), 'reserved'],
  [range('2001:db8::/32'), 'reserved'],
  [range('fc00::/7'), 'private'],
  [range('fe80::/10'), 'link-local'],
  [range('fec0::/10'), 'private'],
  [range('ff00::/8'), 'multicast'],
];
const globalUnicast = range('2000::/3');
// IPv6 forms that carry an IPv4 address, and where its 4 bytes sit: a request there reaches (or
// is routed by) that IPv4 address, so the IPv4 address decides.
const ipv4Carriers: Array<[IpRange, number]> = [
  [range('::ffff:0:0/96'), 12], // IPv4-mapped
  [range('::/96'), 12], // IPv4-compatible (deprecated)
  [range('64:ff9b::/96'), 12], // NAT64
  [range('2002::/16'), 2], // 6to4
];

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), if any. */
export function embeddedIpv4(address: IpAddress): IpAddress | undefined {
  if (address.family !== 6) return undefined;
  for (const [carrier, offset] of ipv4Carriers) {
    if (inRange(address, carrier)) return { family: 4, bytes: address.bytes.slice(offset, offset + 4) };
  }
  return undefined;
}

/** What kind of non-public address this is, or undefined for a public (globally routable) one. */
export function classifyAddress(address: IpAddress): AddressKind | undefined {
  if (address.family === 4) return ipv4Ranges.find(([r]) => inRange(address, r))?.[1];
  const special = ipv6Ranges.find(([r]) => inRange(address, r))?.[1];
  if (special) return special;
  const ipv4 = embeddedIpv4(address);
  if (ipv4) return classifyAddress(ipv4);
  return inRange(address, globalUnicast) ? undefined : 'reserved';
}
