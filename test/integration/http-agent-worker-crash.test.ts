// A `baton worker` process SIGKILLed while an http agent's request is in flight: the server
// notices the silent worker by its missed heartbeats, the step's activity is retried on a new
// worker process and the run completes with the answer to the repeated request (at-least-once).
// Everything but the agent's receiver is the product: API, store, workers, workflow.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';
import { startWorkerProcess, type WorkerProcess } from '../fixtures/baton-worker-process.ts';
import { postgresUrl } from './store-backends.ts';
import { jsonCaller } from '../fixtures/json-call.ts';

const schema = `http_crash_${Date.now()}`;
let env: NodeJS.ProcessEnv;
let home: string;
let api: Runtime;
let receiver: Server;
let receiverUrl: string;
const workers: WorkerProcess[] = [];
// Every request the agent's receiver got, in order; the first is never answered.
const received: Array<{ runId: string; step: string; response: ServerResponse }> = [];

function receive(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
  req.on('end', () => {
    const context = JSON.parse(body) as { runId: string; step: string };
    received.push({ runId: context.runId, step: context.step, response: res });
    // The first request is held open until its worker dies; any later one is answered at once.
    if (received.length > 1) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ answer: received.length }));
  });
}

const call = jsonCaller(() => api.urls.api!);

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-http-crash-'));
  receiver = createServer(receive);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/agent`;
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_TASK_QUEUE: `http-crash-${Date.now()}`,
    DATABASE_URL: postgresUrl,
    BATON_DATABASE_SCHEMA: schema,
    BATON_HOME: home,
    PORT: '0',
    // The agent's receiver is on loopback, which the egress policy refuses unless allowed.
    BATON_EGRESS_ALLOW: '127.0.0.1',
  };
  for (const name of ['BATON_API_KEYS', 'HOST']) delete env[name];
  api = await createRuntime(loadConfig(env), { role: 'api' });
}, 120_000);

afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await api?.close();
  await new Promise((resolve) => {
    receiver?.close(resolve);
    receiver?.closeAllConnections();
  });
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  await rm(home, { recursive: true, force: true });
});

it('retries an http agent step on a new worker process after the worker holding its request was killed, and completes with the second answer', async () => {
  const first = await startWorkerProcess(env);
  workers.push(first);
  expect((await call('POST', '/api/v1/agents', { id: 'slow-receiver', kind: 'http', config: { url: receiverUrl } })).status).toBe(200);
  const workflow = (await call<Definition>('POST', '/api/v1/workflows', { name: 'Crash mid-request' })).json;
  expect((await call('POST', `/api/v1/workflows/${workflow.id}/steps`, { name: 'ask', agentId: 'slow-receiver', action: 'Answer slowly' })).status).toBe(200);
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflow.id}/run`, { input: 'question' });
  expect(started.status).toBe(202);
  const { runId } = started.json;

  // The first worker's activity is in flight: its request is held open at the receiver.
  await expect.poll(() => received.length, { timeout: 60_000, interval: 100 }).toBe(1);
  await first.kill();
  expect(received).toHaveLength(1);
  const second = await startWorkerProcess(env);
  workers.push(second);

  const snapshot = await api.client.workflow.getHandle<typeof agentRun>(runId).result();
  expect([snapshot.status, snapshot.result]).toEqual(['completed', { answer: 2 }]);
  // At least once: the same step's request reached the receiver again.
  expect(received.map(({ runId: id, step }) => [id, step])).toEqual([[runId, 'ask'], [runId, 'ask']]);
  const detail = (await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json;
  expect([detail.status, detail.result]).toEqual(['COMPLETED', { answer: 2 }]);

  // The history shows why: attempt 1 timed out on its heartbeat, attempt 2 ran on the new process.
  const events = (await api.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  const startedEvent = events.find((event) => event.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
  expect(startedEvent.attempt).toBe(2);
  expect(startedEvent.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  expect(startedEvent.identity).toMatch(new RegExp(`^${second.child.pid}@`));
}, 180_000);
