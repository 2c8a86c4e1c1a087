import { embeddedIpv4, inRange, parseIp, type IpAddress, type IpRange } from './ip-address.ts';

export const egressAllowEnv = 'BATON_EGRESS_ALLOW';

/** One BATON_EGRESS_ALLOW entry: a host name (or `*.` suffix) or an address range, with an optional port. */
export type EgressAllowEntry =
  | { kind: 'host'; host: string; port?: number }
  | { kind: 'domain'; suffix: string; port?: number }
  | { kind: 'range'; range: IpRange; port?: number };

export class EgressAllowListError extends Error {
  constructor(entry: string, why: string) {
    super(`"${entry}" is not an egress allow entry: ${why}`);
    this.name = 'EgressAllowListError';
  }
}

const entryShape = 'a host, host:port, *.domain, an IP address, [IPv6]:port or a CIDR such as 10.0.0.0/8';

/**
 * Parses BATON_EGRESS_ALLOW: comma-separated host names (`localhost`, `api.internal:8080`),
 * subdomain wildcards (`*.svc.cluster.local`), IP addresses (`127.0.0.1`, `::1`, `[::1]:8080`)
 * and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Throws EgressAllowListError naming a bad entry.
 */
export function parseEgressAllowList(value: string | readonly string[] | undefined): EgressAllowEntry[] {
  const entries = typeof value === 'string' || value === undefined ? (value ?? '').split(',') : value;
  return entries.map((entry) => entry.trim()).filter((entry) => entry.length > 0).map(parseEntry);
}

function parseEntry(entry: string): EgressAllowEntry {
  const cidr = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const network = parseIp(cidr[1]!);
    const prefix = Number(cidr[2]);
    if (!network) throw new EgressAllowListError(entry, 'the part before / is not an IP address');
    if (prefix > network.bytes.length * 8) throw new EgressAllowListError(entry, `an IPv${network.family} prefix is at most ${network.bytes.length * 8} bits`);
    return { kind: 'range', range: { network, prefix } };
  }
  const bare = parseIp(entry);
  if (bare) return { kind: 'range', range: { network: bare, prefix: bare.bytes.length * 8 } };
  const wildcard = entry.startsWith('*.');
  const rest = wildcard ? entry.slice(2) : entry;
  const parts = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(rest);
  if (!parts || /[/@?#\\\s*%]/.test(parts[1]!)) throw new EgressAllowListError(entry, entryShape);
  const port = parts[2] === undefined ? undefined : Number(parts[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new EgressAllowListError(entry, 'a port from 1 to 65535');
  let url: URL;
  try {
    // The URL parser normalises the host exactly as it will for a request: case, IDN, 0x7f.1.
    url = new URL(`http://${parts[1]!}`);
  } catch {
    throw new EgressAllowListError(entry, entryShape);
  }
  const host = hostOf(url);
  const literal = parseIp(host);
  if (literal) {
    if (wildcard) throw new EgressAllowListError(entry, '*. goes before a domain name, not an address');
    return { kind: 'range', range: { network: literal, prefix: literal.bytes.length * 8 }, ...(port === undefined ? {} : { port }) };
  }
  return wildcard ? { kind: 'domain', suffix: `.${host}`, ...(port === undefined ? {} : { port }) } : { kind: 'host', host, ...(port === undefined ? {} : { port }) };
}

/** A URL's host without IPv6 brackets or a trailing dot, as allow entries hold it. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** The port a URL connects to, defaults included. */
export function portOf(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/** The allow entry for exactly a URL's host and port (`localhost:11434`, `[::1]:8080`). */
export function destinationEntry(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${portOf(parsed)}`;
}

const portMatches = (entry: EgressAllowEntry, port: number) => entry.port === undefined || entry.port === port;

/** True when a host-name entry lists `host` (already normalised by hostOf) on `port`. */
export function allowsName(entries: readonly EgressAllowEntry[], host: string, port: number): boolean {
  return entries.some((entry) => portMatches(entry, port) && (
    (entry.kind === 'host' && entry.host === host) || (entry.kind === 'domain' && host.endsWith(entry.suffix))));
}

/** True when an address entry or range lists `address` on `port`; an IPv4-mapped address matches its IPv4 entry. */
export function allowsAddress(entries: readonly EgressAllowEntry[], address: IpAddress, port: number): boolean {
  const forms = [address, ...(address.family === 6 && inRange(address, mappedRange) ? [embeddedIpv4(address)!] : [])];
  return entries.some((entry) => entry.kind === 'range' && portMatches(entry, port) && forms.some((form) => inRange(form, entry.range)));
}

const mappedRange: IpRange = { network: parseIp('::ffff:0:0')!, prefix: 96 };
