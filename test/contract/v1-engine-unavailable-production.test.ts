// Temporal goes away after the API started: every v1 call that needs it answers 503
// engine_unavailable with Retry-After within seconds, never a hang or a 500 with a stack; the run
// list reads the store and keeps answering. The API is `baton api` as
// composed in production, reaching the dev server through a TCP proxy the test then closes.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { startBatonStack, type BatonStack } from '../integration/baton-stack.ts';

let proxy: Server;
const sockets = new Set<Socket>();
let stack: BatonStack;

beforeAll(async () => {
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  proxy = createServer((inbound) => {
    const outbound = connect(Number(port), host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  // No API keys: every caller is project `default`, where the runtime published the lead-router example.
  stack = await startBatonStack({ name: 'v1-unavailable', roles: 'api', env: { TEMPORAL_ADDRESS: `127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
  // The engine was there at start, then goes away: no listener, no connections.
  expect((await fetch(`${stack.url}/v1/workflow-runs/wfr_01ABC`)).status).toBe(404);
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
});
afterAll(async () => stack?.close());

const requests: Array<[string, string, unknown?]> = [
  ['POST', '/v1/agents/lead-router/workflow', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } }],
  ['POST', '/v1/workflow-runs/wfr_01ABC/resume', { input: { resume: { step: 'approval', input: 'approve' } } }],
  ['GET', '/v1/workflow-runs/wfr_01ABC', undefined],
  ['DELETE', '/v1/workflow-runs/wfr_01ABC', undefined],
];

it.each(requests)('%s %s answers 503 engine_unavailable with Retry-After within seconds', async (method, path, body) => {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    // The bound on "within seconds": a hang aborts the fetch and fails the test.
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: json.error.code }).toStrictEqual({ status: 503, code: 'engine_unavailable' });
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(JSON.stringify(json)).not.toMatch(/\bat .*\.(ts|js):\d+/);
});

it('GET /v1/workflow-runs still answers from the run read model', async () => {
  const response = await fetch(`${stack.url}/v1/workflow-runs`, { signal: AbortSignal.timeout(30_000) });
  expect({ status: response.status, body: await response.json() }).toStrictEqual({ status: 200, body: { data: [], next_cursor: null } });
});
