// Temporal unreachable: every v1 call answers 503 engine_unavailable with Retry-After, never a 500
// with a stack. The client points at a closed port with the bounded gRPC retry an API needs
// (three attempts, well under a second) so each request answers within seconds.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { leadRouterExample } from '../../src/examples/index.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { freePort } from '../../src/temporal/dev-server.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { startV1Api, type V1Api } from './v1-stack.ts';

let connection: Connection;
let store: Store;
let api: V1Api;

beforeAll(async () => {
  // Nothing listens on a port freePort just handed out; lazy, as when Temporal goes away after start.
  connection = Connection.lazy({
    address: `127.0.0.1:${await freePort()}`,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))],
  });
  const runs = new RunService({ client: new Client({ connection }), taskQueue: 'nowhere', defaultPauseTimeout: '1h' });
  store = await openStore();
  await store.definitions.upsertExample('default', leadRouterExample);
  api = await startV1Api({ runs, store, apiKeys: new Map() });
});
afterAll(async () => {
  await api?.close();
  await store?.close();
  await connection?.close();
});

const requests: Array<[string, string, unknown]> = [
  ['POST', '/v1/agents/lead-router/workflow', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } }],
  ['POST', '/v1/workflow-runs/wfr_01ABC/resume', { input: { resume: { step: 'approval', input: 'approve' } } }],
  ['GET', '/v1/workflow-runs/wfr_01ABC', undefined],
  ['GET', '/v1/workflow-runs', undefined],
  ['DELETE', '/v1/workflow-runs/wfr_01ABC', undefined],
];

it.each(requests)('%s %s answers 503 engine_unavailable with Retry-After within seconds', async (method, path, body) => {
  const startedAt = Date.now();
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const elapsedMs = Date.now() - startedAt;
  const json = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: json.error.code }).toStrictEqual({ status: 503, code: 'engine_unavailable' });
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(JSON.stringify(json)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(elapsedMs).toBeLessThan(5_000);
});
