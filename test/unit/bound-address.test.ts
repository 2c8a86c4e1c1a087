import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeBoundAddress } from '../../src/cli/bound-address.ts';

const lan: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [{ address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:42:0a:01:02:03', internal: false, cidr: '10.1.2.3/24' }],
};

describe('describeBoundAddress', () => {
  it('says a wildcard IPv4 bind listens on all interfaces, with a loopback URL and one for other machines', () => {
    expect(describeBoundAddress({ address: '0.0.0.0', family: 'IPv4', port: 3000 }, lan)).toStrictEqual({
      url: 'http://127.0.0.1:3000',
      listening: '0.0.0.0:3000, all interfaces; from other machines e.g. http://10.1.2.3:3000',
    });
  });

  it('brackets IPv6 and reaches a wildcard IPv6 bind through ::1', () => {
    expect(describeBoundAddress({ address: '::', family: 'IPv6', port: 8080 }, {})).toStrictEqual({ url: 'http://[::1]:8080', listening: '[::]:8080, all interfaces' });
    expect(describeBoundAddress({ address: '::1', family: 'IPv6', port: 8080 }, {})).toStrictEqual({ url: 'http://[::1]:8080', listening: '[::1]:8080, this machine only' });
  });

  it('shows a loopback or a specific address as bound', () => {
    expect(describeBoundAddress({ address: '127.0.0.1', family: 'IPv4', port: 3000 }, lan)).toStrictEqual({ url: 'http://127.0.0.1:3000', listening: '127.0.0.1:3000, this machine only' });
    expect(describeBoundAddress({ address: '10.1.2.3', family: 'IPv4', port: 3000 }, lan)).toStrictEqual({ url: 'http://10.1.2.3:3000', listening: '10.1.2.3:3000' });
  });
});
