// Temporal goes away after the API started: every v1 call answers 503 engine_unavailable with
// Retry-After within seconds, never a hang or a 500 with a stack. The API's client is built as in
// production (connectClient) and reaches the dev server through a TCP proxy the test then closes.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { leadRouterExample } from '../../src/examples/index.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { connectClient } from '../../src/temporal/connection.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { startV1Api, type V1Api } from './v1-stack.ts';

let proxy: Server;
const sockets = new Set<Socket>();
let client: Client;
let store: Store;
let api: V1Api;

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
  client = await connectClient({ address: `127.0.0.1:${(proxy.address() as AddressInfo).port}`, namespace: inject('temporalNamespace'), tls: false });
  const runs = new RunService({ client, taskQueue: 'v1-unavailable', defaultPauseTimeout: '1h' });
  store = await openStore();
  await store.definitions.upsertExample('default', leadRouterExample);
  api = await startV1Api({ runs, store, apiKeys: new Map() });
  // The engine was there at start (the list answers), then goes away: no listener, no connections.
  expect((await fetch(`${api.url}/v1/workflow-runs`)).status).toBe(200);
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
});
afterAll(async () => {
  await api?.close();
  await store?.close();
  await client?.connection.close();
});

const requests: Array<[string, string, unknown?]> = [
  ['POST', '/v1/agents/lead-router/workflow', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } }],
  ['POST', '/v1/workflow-runs/wfr_01ABC/resume', { input: { resume: { step: 'approval', input: 'approve' } } }],
  ['GET', '/v1/workflow-runs/wfr_01ABC', undefined],
  ['GET', '/v1/workflow-runs', undefined],
  ['DELETE', '/v1/workflow-runs/wfr_01ABC', undefined],
];

it.each(requests)('%s %s answers 503 engine_unavailable with Retry-After within seconds', async (method, path, body) => {
  const response = await fetch(`${api.url}${path}`, {
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
