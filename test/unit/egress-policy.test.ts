import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressPolicy, EgressRefusedError, parseEgressAllowList, shownUrl, type HostLookup } from '../../src/security/egress-policy.ts';

// DNS answers for the table, so it needs no network; unknown names do not resolve.
const answers: Record<string, string[]> = {
  'example.com': ['93.184.216.34', '2606:2800:220:1::1'],
  localhost: ['127.0.0.1', '::1'],
  'mixed.test': ['93.184.216.34', '10.0.0.5'],
  'metadata.test': ['169.254.169.254'],
  'api.ns.svc.cluster.local': ['10.96.0.10'],
  'svc.cluster.local': ['10.96.0.1'],
  'ollama.lan': ['192.168.1.20'],
};
const tableLookup: HostLookup = async (host) => {
  const found = answers[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const allow = 'BATON_EGRESS_ALLOW';
const refusedWithoutListing: Array<[string, string]> = [
  ['http://127.0.0.1/', `127.0.0.1 is a loopback address; allow it with ${allow}`],
  ['http://127.1.2.3:8080/admin', '127.1.2.3 is a loopback address'],
  ['http://2130706433/', '127.0.0.1 is a loopback address'],
  ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
  ['http://017700000001/', '127.0.0.1 is a loopback address'],
  ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
  ['http://[::1]:7233/', '::1 is a loopback address'],
  ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address'],
  ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', '::ffff:a9fe:a9fe is a link-local address'],
  ['http://[2002:7f00:1::]/', '2002:7f00:1:: is a loopback address'],
  ['http://[64:ff9b::a00:1]/', '64:ff9b::a00:1 is a private address'],
  ['http://10.1.2.3/', '10.1.2.3 is a private address'],
  ['http://172.16.0.1/', '172.16.0.1 is a private address'],
  ['http://172.31.255.255/', '172.31.255.255 is a private address'],
  ['http://192.168.1.1/', '192.168.1.1 is a private address'],
  ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
  ['http://100.64.0.1/', '100.64.0.1 is a shared (CGNAT) address'],
  ['http://0.0.0.0:8233/', '0.0.0.0 is an unspecified address'],
  ['http://224.0.0.1/', '224.0.0.1 is a multicast address'],
  ['http://255.255.255.255/', '255.255.255.255 is a reserved address'],
  ['http://[fd00::1]/', 'fd00::1 is a private address'],
  ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
  ['http://[ff02::1]/', 'ff02::1 is a multicast address'],
  ['http://[::]/', ':: is an unspecified address'],
  ['http://localhost:3000/', `localhost resolves to 127.0.0.1, a loopback address; allow it with ${allow}`],
  ['http://LOCALHOST./', 'localhost resolves to 127.0.0.1, a loopback address'],
  ['http://metadata.test/', 'metadata.test resolves to 169.254.169.254, a link-local address'],
  ['http://mixed.test/', 'mixed.test resolves to 10.0.0.5, a private address'],
  ['http://user:hunter2@example.com/', 'the URL for example.com carries a user name or password'],
  ['http://user@example.com/', 'carries a user name or password'],
  ['ftp://example.com/', 'ftp: URLs are refused; only http and https may leave Baton'],
  ['file:///etc/passwd', 'file: URLs are refused'],
];
const allowedWithoutListing = [
  'https://example.com/', 'http://93.184.216.34/', 'http://[2606:4700::1111]/', 'http://[::ffff:8.8.8.8]/', 'http://172.32.0.1/', 'http://11.0.0.1/',
];
// [allow entries, URL, allowed?]
const listed: Array<[string, string, boolean]> = [
  ['127.0.0.1', 'http://127.0.0.1:9999/', true],
  ['127.0.0.1', 'http://[::ffff:127.0.0.1]/', true],
  ['127.0.0.1', 'http://127.0.0.2/', false],
  ['127.0.0.1', 'http://localhost/', false], // localhost also resolves to ::1, which is not listed
  ['127.0.0.1:80', 'http://127.0.0.1/', true],
  ['127.0.0.1:80', 'https://127.0.0.1/', false],
  ['localhost:11434', 'http://localhost:11434/v1', true],
  ['localhost:11434', 'http://localhost:11435/v1', false],
  ['localhost:11434', 'http://127.0.0.1:11434/v1', false],
  ['ollama.lan', 'http://ollama.lan:11434/', true],
  ['*.svc.cluster.local', 'http://api.ns.svc.cluster.local/', true],
  ['*.svc.cluster.local', 'http://svc.cluster.local/', false],
  ['10.0.0.0/8', 'http://10.20.30.40/', true],
  ['10.0.0.0/8', 'http://mixed.test/', true],
  ['10.0.0.0/8', 'http://172.16.0.1/', false],
  ['fd00::/8', 'http://[fd12::1]/', true],
  ['fd00::/8', 'http://[fe80::1]/', false],
  ['[::1]:8080', 'http://[::1]:8080/', true],
  ['[::1]:8080', 'http://[::1]:8081/', false],
  ['169.254.169.254', 'http://metadata.test/', true],
  [' 10.0.0.0/8 , localhost:11434 ', 'http://localhost:11434/', true],
];

describe('egress policy: which URLs may be called', () => {
  const strict = createEgressPolicy([], { lookup: tableLookup });

  it.each(refusedWithoutListing)('refuses %s: %s', async (url, reason) => {
    const refusal = await strict.check(url).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(EgressRefusedError);
    expect((refusal as Error).message).toContain(reason);
    expect((refusal as Error).message).not.toContain('hunter2');
  });

  it.each(allowedWithoutListing)('lets %s through: a public address', async (url) => {
    await expect(strict.check(url)).resolves.toBeUndefined();
  });

  it.each(listed)('with BATON_EGRESS_ALLOW=%s, %s is allowed: %s', async (entries, url, allowed) => {
    const policy = createEgressPolicy(entries, { lookup: tableLookup });
    if (allowed) await expect(policy.check(url)).resolves.toBeUndefined();
    else await expect(policy.check(url)).rejects.toBeInstanceOf(EgressRefusedError);
  });

  it('adds the operator\'s own destination with allowing(), leaving the policy it came from as it was', async () => {
    const withOllama = strict.allowing(['localhost:11434']);
    await expect(withOllama.check('http://localhost:11434/v1')).resolves.toBeUndefined();
    await expect(strict.check('http://localhost:11434/v1')).rejects.toThrow('localhost resolves to 127.0.0.1');
  });

  it('parses entries and names the one that is wrong', () => {
    expect(parseEgressAllowList('localhost:11434, *.Svc.Local ,10.0.0.0/8,[::1]:8080,,0x7f.1').map((entry) => entry.kind)).toEqual(['host', 'domain', 'range', 'range', 'range']);
    for (const bad of ['http://internal', 'user@host', '10.0.0.0/33', '::1/129', '*.10.0.0.1', 'host:0', 'host:70000', 'a b']) {
      expect(() => parseEgressAllowList(bad)).toThrow(`"${bad}" is not an egress allow entry`);
    }
  });
});

/** A listener on loopback that counts the TCP connections it accepts. */
async function listener(handle: (url: string, host: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    const answer = handle(req.url ?? '/', req.headers.host ?? '');
    res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  });
  server.on('connection', () => { connections += 1; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

describe('egress policy fetch against a real listener', () => {
  let internal: Awaited<ReturnType<typeof listener>>;
  let redirector: Awaited<ReturnType<typeof listener>>;

  beforeAll(async () => {
    internal = await listener((_url, host) => ({ status: 200, body: `internal secret for ${host}` }));
    redirector = await listener(() => ({ status: 302, headers: { location: `http://127.0.0.1:${internal.port}/` }, body: 'moved' }));
  });
  afterAll(async () => {
    for (const { server } of [internal, redirector]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a loopback URL without opening a connection to it', async () => {
    const before = internal.connections();
    const policy = createEgressPolicy();
    await expect(policy.fetch(`http://127.0.0.1:${internal.port}/`)).rejects.toThrow(`127.0.0.1 is a loopback address; allow it with ${allow}`);
    await expect(policy.fetch(`http://2130706433:${internal.port}/`)).rejects.toBeInstanceOf(EgressRefusedError);
    await expect(policy.fetch(`http://localhost:${internal.port}/`)).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(internal.connections()).toBe(before);
  });

  it('refuses a name whose DNS answer points at loopback, without connecting', async () => {
    const before = internal.connections();
    const policy = createEgressPolicy([], { lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    await expect(policy.fetch(`http://innocent.example:${internal.port}/`)).rejects.toThrow('innocent.example resolves to 127.0.0.1, a loopback address');
    expect(internal.connections()).toBe(before);
  });

  it('resolves a name once and connects to the address it checked, so a second DNS answer cannot redirect the socket', async () => {
    const rebinding: string[] = ['127.0.0.1', '10.9.9.9'];
    let lookups = 0;
    const policy = createEgressPolicy('127.0.0.1', {
      lookup: async () => [{ address: rebinding[Math.min(lookups++, 1)]!, family: 4 }],
    });
    const response = await policy.fetch(`http://rebind.test:${internal.port}/`);
    expect(await response.text()).toBe(`internal secret for rebind.test:${internal.port}`);
    expect(lookups).toBe(1);
  });

  it('answers a redirect as the final response and never fetches its target, even an allowed one', async () => {
    const before = internal.connections();
    for (const entries of [`127.0.0.1:${redirector.port}`, '127.0.0.1']) {
      const response = await createEgressPolicy(entries).fetch(`http://127.0.0.1:${redirector.port}/`);
      expect([response.status, response.headers.get('location'), await response.text()]).toEqual([302, `http://127.0.0.1:${internal.port}/`, 'moved']);
    }
    expect(internal.connections()).toBe(before);
  });

  it('refuses a URL with a user name or password before connecting, and does not echo the password', async () => {
    const before = internal.connections();
    const refusal = await createEgressPolicy('127.0.0.1').fetch(`http://admin:hunter2@127.0.0.1:${internal.port}/`).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(EgressRefusedError);
    expect(String((refusal as Error).message)).not.toContain('hunter2');
    expect(internal.connections()).toBe(before);
  });
});

describe('shownUrl', () => {
  it('drops the user name, password, query and fragment a token may ride in, and says a query was there', () => {
    expect(shownUrl('https://bot:hunter2@hooks.example.com/in?token=s3cret#frag')).toBe('https://hooks.example.com/in?…');
    expect(shownUrl('http://10.0.0.1:8080/agent')).toBe('http://10.0.0.1:8080/agent');
    expect(shownUrl('not a url?token=s3cret')).not.toContain('s3cret');
  });
});
