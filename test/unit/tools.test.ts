import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltInToolRegistry } from '../../src/agents/tools/built-in-tools.ts';
import { createHttpRequestTool, isHostAllowed, parseHostAllowList } from '../../src/agents/tools/http-request.ts';
import { jsonPathTool, parseJsonPath, selectJsonPath } from '../../src/agents/tools/json-path.ts';
import { createToolRegistry, ToolError } from '../../src/agents/tools/tool-registry.ts';
import { createEgressPolicy } from '../../src/security/egress-policy.ts';

// The test server listens on loopback, which the egress policy refuses unless listed.
const loopback = createEgressPolicy('127.0.0.1');
const ctx = { agentId: 'agent', runId: 'wfr_1', step: 'step', signal: new AbortController().signal };

describe('tool registry', () => {
  it('turns zod parameters into OpenAI function tools, in the order asked', () => {
    const registry = createToolRegistry()
      .register({ name: 'add', description: 'Adds', parameters: z.object({ a: z.number(), b: z.number().optional() }), run: async ({ a, b }) => a + (b ?? 0) })
      .register({ name: 'shout', description: 'Shouts', parameters: z.object({ text: z.string().describe('what to shout') }), run: async ({ text }) => text.toUpperCase() });
    expect(registry.names()).toEqual(['add', 'shout']);
    expect(registry.toOpenAiTools(['shout', 'add'])).toEqual([
      { type: 'function', function: { name: 'shout', description: 'Shouts', parameters: { type: 'object', properties: { text: { type: 'string', description: 'what to shout' } }, required: ['text'] } } },
      { type: 'function', function: { name: 'add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a'] } } },
    ]);
  });

  it('refuses duplicate and malformed names, and unknown names when building tools', () => {
    const tool = { name: 'x', description: '', parameters: z.object({}), run: async () => null };
    const registry = createToolRegistry().register(tool);
    expect(() => registry.register(tool)).toThrow('tool "x" is already registered');
    expect(() => registry.register({ ...tool, name: 'has space' })).toThrow('must match');
    expect(() => registry.toOpenAiTools(['x', 'nope'])).toThrow('tool "nope" is not registered in this worker (registered: x)');
    expect(registry.get('nope')).toBeUndefined();
  });

  it('holds calculator, http_request and json_path as built-ins, with the allow-list in the description', () => {
    const registry = createBuiltInToolRegistry({ env: { BATON_HTTP_TOOL_ALLOW: 'api.example.com' } });
    expect(registry.names()).toEqual(['calculator', 'http_request', 'json_path']);
    const [http] = registry.toOpenAiTools(['http_request']);
    expect(http?.function.description).toContain('Allowed hosts: api.example.com');
    expect(http?.function.parameters).toMatchObject({ properties: { method: { enum: ['GET', 'POST'] } }, required: ['url'] });
  });
});

describe('json_path', () => {
  it.each([
    ['a.b', ['a', 'b']],
    ['$.items[0].name', ['items', 0, 'name']],
    ['a["key with spaces"][2]', ['a', 'key with spaces', 2]],
    ['$', []],
  ])('parses %s', (path, segments) => {
    expect(parseJsonPath(path)).toEqual(segments);
  });

  it.each(['a..b', 'a[0]b', 'a[-1]', 'a[x]', 'a.'])('rejects the path %j', (path) => {
    expect(() => parseJsonPath(path)).toThrow(ToolError);
  });

  it('selects values and reports missing ones without throwing', async () => {
    const doc = { items: [{ name: 'first', tags: ['x'] }], total: 0, nothing: null };
    expect(selectJsonPath(doc, 'items[0].tags[0]')).toEqual({ found: true, value: 'x' });
    expect(selectJsonPath(doc, 'total')).toEqual({ found: true, value: 0 });
    expect(selectJsonPath(doc, 'nothing')).toEqual({ found: true, value: null });
    expect(selectJsonPath(doc, 'items[1]')).toEqual({ found: false, value: null });
    expect(selectJsonPath(doc, 'total.x')).toEqual({ found: false, value: null });
    expect(selectJsonPath(doc, 'toString')).toEqual({ found: false, value: null });
    await expect(jsonPathTool.run({ json: '{"a":{"b":[1,2]}}', path: 'a.b[1]' }, ctx)).resolves.toEqual({ found: true, value: 2 });
    await expect(jsonPathTool.run({ json: '{oops', path: 'a' }, ctx)).rejects.toThrow('json is not valid JSON');
  });
});

describe('http_request', () => {
  let server: Server;
  let origin: string;
  const seen: { method: string; url: string; body: string; contentType: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, contentType: req.headers['content-type'] });
        if (req.url === '/big') return res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(500));
        if (req.url === '/redirect') return res.writeHead(302, { location: 'http://evil.example/' }).end();
        if (req.url === '/missing') return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body, method: req.method }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('parses the allow-list and matches hosts, ports and subdomain wildcards', () => {
    const allow = parseHostAllowList(' localhost, API.example.com ,*.internal.test,127.0.0.1:8080,, ');
    expect(allow).toEqual(['localhost', 'api.example.com', '*.internal.test', '127.0.0.1:8080']);
    expect(isHostAllowed(new URL('http://localhost:3000/x'), allow)).toBe(true);
    expect(isHostAllowed(new URL('https://api.example.com/v1'), allow)).toBe(true);
    expect(isHostAllowed(new URL('https://a.b.internal.test/'), allow)).toBe(true);
    expect(isHostAllowed(new URL('https://internal.test/'), allow)).toBe(false);
    expect(isHostAllowed(new URL('http://127.0.0.1:8080/'), allow)).toBe(true);
    expect(isHostAllowed(new URL('http://127.0.0.1:8081/'), allow)).toBe(false);
    expect(isHostAllowed(new URL('https://api.example.com.evil.net/'), allow)).toBe(false);
    expect(isHostAllowed(new URL('http://example.com/'), allow)).toBe(false);
    expect(parseHostAllowList(undefined)).toEqual([]);
  });

  it('GETs and POSTs JSON to an allowed host', async () => {
    const tool = createHttpRequestTool({ allowList: ['127.0.0.1'], egress: loopback });
    await expect(tool.run({ method: 'GET', url: `${origin}/get` }, ctx)).resolves.toEqual({
      status: 200, contentType: 'application/json', body: '{"echo":"","method":"GET"}', truncated: false,
    });
    const posted = await tool.run({ method: 'POST', url: `${origin}/post`, body: { a: 1 } }, ctx);
    expect(posted).toMatchObject({ status: 200, body: '{"echo":"{\\"a\\":1}","method":"POST"}' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/post', contentType: 'application/json' });
    await expect(tool.run({ method: 'GET', url: `${origin}/missing` }, ctx)).resolves.toMatchObject({ status: 404, body: '{"error":"no"}' });
  });

  it('truncates long bodies and does not follow redirects off the allow-list', async () => {
    const tool = createHttpRequestTool({ allowList: ['127.0.0.1'], egress: loopback, maxResponseChars: 100 });
    await expect(tool.run({ method: 'GET', url: `${origin}/big` }, ctx)).resolves.toEqual({ status: 200, contentType: 'text/plain', body: 'x'.repeat(100), truncated: true });
    await expect(tool.run({ method: 'GET', url: `${origin}/redirect` }, ctx)).resolves.toMatchObject({ status: 302, location: 'http://evil.example/' });
  });

  it('refuses hosts off the allow-list, other schemes and bad URLs without sending anything', async () => {
    const before = seen.length;
    const tool = createHttpRequestTool({ allowList: ['localhost'] });
    await expect(tool.run({ method: 'GET', url: `${origin}/get` }, ctx)).rejects.toThrow(/host "127\.0\.0\.1:\d+" is not allowed; allowed hosts \(BATON_HTTP_TOOL_ALLOW\): localhost/);
    await expect(createHttpRequestTool({ allowList: [] }).run({ method: 'GET', url: `${origin}/` }, ctx)).rejects.toThrow('allowed hosts (BATON_HTTP_TOOL_ALLOW): none');
    await expect(tool.run({ method: 'GET', url: 'file:///etc/passwd' }, ctx)).rejects.toThrow('only http and https URLs are allowed, not file:');
    await expect(tool.run({ method: 'GET', url: '/relative' }, ctx)).rejects.toThrow('is not an absolute URL');
    await expect(createHttpRequestTool({ allowList: ['127.0.0.1'], egress: loopback }).run({ method: 'GET', url: `${origin}/`, body: 'x' }, ctx)).rejects.toThrow('GET request cannot have a body');
    expect(seen.length).toBe(before);
  });

  it('refuses, as a ToolError, a host on BATON_HTTP_TOOL_ALLOW that the egress policy does not allow, sending nothing', async () => {
    const before = seen.length;
    const tool = createHttpRequestTool({ allowList: ['127.0.0.1'] });
    const refusal = await tool.run({ method: 'GET', url: `${origin}/get` }, ctx).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ToolError);
    expect((refusal as Error).message).toBe(`GET ${origin}/get was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`);
    const fromEnv = createBuiltInToolRegistry({ env: { BATON_HTTP_TOOL_ALLOW: '127.0.0.1' } }).get('http_request')!;
    await expect(fromEnv.run({ method: 'GET', url: `${origin}/get` }, ctx)).rejects.toThrow('127.0.0.1 is a loopback address');
    expect(seen.length).toBe(before);
  });

  it('reports an unreachable or slow host to the model as a ToolError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const tool = createHttpRequestTool({ allowList: ['127.0.0.1'], egress: loopback });
    await expect(tool.run({ method: 'GET', url: `http://127.0.0.1:${deadPort}/` }, ctx)).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/ failed: .*ECONNREFUSED/);

    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
    await expect(createHttpRequestTool({ allowList: ['127.0.0.1'], egress: loopback, timeoutMs: 100 }).run({ method: 'GET', url: slowUrl }, ctx)).rejects.toThrow('timed out after 100 ms');
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  });
});
