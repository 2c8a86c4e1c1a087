// A real `baton worker` process SIGKILLed while an llm agent's run waits between model calls:
// a new worker process finishes the run, and the model call made before the crash is not repeated
// (counted at the OpenAI-compatible fake). Everything else is the product: API, store, workflow.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';
import { startWorkerProcess, type WorkerProcess } from '../fixtures/baton-worker-process.ts';
import { postgresUrl } from './store-backends.ts';
import { jsonCaller } from '../fixtures/json-call.ts';

const schema = `llm_crash_${Date.now()}`;
let env: NodeJS.ProcessEnv;
let home: string;
let fake: OpenAiFake;
let api: Runtime;
const workers: WorkerProcess[] = [];

/** `baton worker` as a child process, resolved once it polls. */
async function startWorker(): Promise<WorkerProcess> {
  const worker = await startWorkerProcess(env);
  workers.push(worker);
  return worker;
}

const call = jsonCaller(() => api.urls.api!);

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-llm-crash-'));
  fake = await startOpenAiFake((request) => {
    const last = request.body.messages.at(-1);
    return last?.role === 'tool' ? { content: `Answer: ${last.content}` } : { toolCalls: [{ name: 'calculator', arguments: { expression: '6*7' } }] };
  });
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_TASK_QUEUE: `llm-crash-${Date.now()}`,
    DATABASE_URL: postgresUrl,
    BATON_DATABASE_SCHEMA: schema,
    BATON_HOME: home,
    PORT: '0',
    // The fake model endpoint listens on loopback, which the egress policy refuses unless listed.
    BATON_EGRESS_ALLOW: '127.0.0.1',
  };
  for (const name of ['BATON_API_KEYS', 'HOST', 'OPENAI_BASE_URL']) delete env[name];
  api = await createRuntime(loadConfig(env), { role: 'api' });
}, 120_000);

afterAll(async () => {
  for (const worker of workers) await worker.kill();
  await api?.close();
  await fake?.close();
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  await rm(home, { recursive: true, force: true });
});

it('finishes an llm run on a new worker process after the first was killed, without repeating the completed model call', async () => {
  const first = await startWorker();
  expect((await call('POST', '/api/v1/agents', { id: 'calc-bot', kind: 'llm', config: { model: 'fake', baseUrl: fake.baseUrl, tools: [{ name: 'calculator', requiresApproval: true }] } })).status).toBe(200);
  const workflow = (await call<Definition>('POST', '/api/v1/workflows', { name: 'Calc', agent: 'calc' })).json;
  await call('POST', `/api/v1/workflows/${workflow.id}/steps`, { name: 'compute', agentId: 'calc-bot', action: 'What is 6 times 7?' });

  const paused = (await call<V1Run>('POST', '/v1/agents/calc/workflow', { input: { task: 'multiply' } })).json;
  expect(paused.output).toMatchObject({ status: 'paused', pendingAction: { type: 'tool_approval', tool: { name: 'calculator' } } });
  expect(fake.calls).toBe(1);

  await first.kill();
  await startWorker();

  const done = await call<V1Run>('POST', `/v1/workflow-runs/${paused.run_id}/resume`, { input: { resume: { step: 'compute', input: 'approve' } } });
  expect(done.json.output).toMatchObject({ status: 'completed', result: 'Answer: {"expression":"6*7","result":42}' });
  // One call before the crash, one after the approval: the new worker took the first from history.
  expect(fake.calls).toBe(2);
  expect(fake.requests.map((request) => request.body.messages.at(-1)?.role)).toEqual(['user', 'tool']);
}, 120_000);
