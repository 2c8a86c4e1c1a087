import type { AddressInfo } from 'node:net';
import os from 'node:os';

/** Where the API listens, as the banner shows it. */
export interface BoundAddress {
  /** A URL that reaches the API from this machine. */
  url: string;
  /** The address and port the socket is bound to, and who can reach it. */
  listening: string;
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * Describes the address the server actually bound: a wildcard address says it listens on every
 * interface (reachable from other machines), with a loopback URL for this one and, when the
 * machine has one, an address others can use.
 */
export function describeBoundAddress(bound: AddressInfo, interfaces = os.networkInterfaces()): BoundAddress {
  const { address, port } = bound;
  const endpoint = `${hostInUrl(address)}:${port}`;
  if (address === '0.0.0.0' || address === '::') {
    const local = address === '::' ? '[::1]' : '127.0.0.1';
    const external = Object.values(interfaces).flat().find((entry) => entry && !entry.internal && entry.family === 'IPv4');
    const remote = external ? `; from other machines e.g. http://${external.address}:${port}` : '';
    return { url: `http://${local}:${port}`, listening: `${endpoint}, all interfaces${remote}` };
  }
  const loopback = address === '::1' || address.startsWith('127.');
  return { url: `http://${endpoint}`, listening: loopback ? `${endpoint}, this machine only` : endpoint };
}
