// The exfiltration attempts a security review found, repeated against the composed runtime (API,
// worker, PostgreSQL store, real dev server) and a real listener on 127.0.0.1 standing in for the
// attacker: a project may read only the worker variables BATON_PROJECT_SECRETS grants it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { dropSchema, postgresUrl, uniqueSchema } from './store-backends.ts';

const keys = { 'proj-a': 'key-a', 'proj-b': 'key-b' } as const;
type Project = keyof typeof keys;
// Values the worker's environment holds; none of them may reach the listener unless granted.
const workerEnv = {
  BATON_API_KEYS: 'key-a:proj-a,key-b:proj-b',
  DATABASE_URL: postgresUrl,
  OPENAI_API_KEY: 'sk-operator-default-key',
  PARTNER_TOKEN: 'partner-token-of-a',
  UNGRANTED_TOKEN: 'ungranted-token-value',
};
const secretValues = Object.values(workerEnv);

interface Received { url: string; headers: IncomingHttpHeaders; body: string }
let received: Received[] = [];
let connections = 0;
let listener: Server;
let listenerUrl: string;
let runtime: Runtime;
let store: Store;
let home: string;
let schema: string;
let api: string;

async function call<T>(who: Project, method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${api}${url}`, {
    method,
    headers: { authorization: `Bearer ${keys[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** A one-step workflow of `who` calling `agentId`, run to its end. */
async function runAgent(who: Project, agentId: string): Promise<AgentManagerRunDetail> {
  const workflow = (await call<Definition>(who, 'POST', '/api/v1/workflows', { name: `Run ${agentId}` })).json;
  expect((await call(who, 'POST', `/api/v1/workflows/${workflow.id}/steps`, { agentId, action: 'Do it' })).status).toBe(200);
  const started = await call<RunAccepted>(who, 'POST', `/api/v1/workflows/${workflow.id}/run`, { input: 'hello' });
  expect(started.status).toBe(202);
  let run: AgentManagerRunDetail | undefined;
  await expect.poll(async () => {
    run = (await call<AgentManagerRunDetail>(who, 'GET', `/api/v1/workflows/runs/${started.json.runId}`)).json;
    return run.status;
  }, { timeout: 30_000, interval: 200 }).not.toBe('RUNNING');
  return run!;
}

function expectNoSecretSent(): void {
  const wire = JSON.stringify(received);
  for (const value of secretValues.filter((v) => v !== workerEnv.PARTNER_TOKEN && v !== workerEnv.OPENAI_API_KEY)) expect(wire).not.toContain(value);
}

beforeAll(async () => {
  listener = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      if (req.url?.endsWith('/chat/completions')) {
        const model = (JSON.parse(body) as { model: string }).model;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          id: 'chatcmpl-listener', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'fine', refusal: null }, finish_reason: 'stop', logprobs: null }],
        }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
  });
  listener.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

  home = await mkdtemp(path.join(os.tmpdir(), 'baton-secrets-'));
  schema = uniqueSchema();
  // The runtime reads secrets from the environment its config is loaded from: the worker's.
  const config = loadConfig({
    ...workerEnv,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_HOME: home,
    PORT: '0',
    HOST: '127.0.0.1',
    BATON_TASK_QUEUE: `project-secrets-${Date.now()}`,
    DATABASE_URL: postgresUrl,
    BATON_DATABASE_SCHEMA: schema,
    BATON_API_KEYS: workerEnv.BATON_API_KEYS,
    BATON_PROJECT_SECRETS: 'proj-a:PARTNER_TOKEN,proj-a:OPENAI_API_KEY',
    // Loopback is where this test's listener is; the egress policy must not be what refuses.
    BATON_EGRESS_ALLOW: '127.0.0.1',
  });
  runtime = await createRuntime(config, { role: 'all' });
  api = runtime.urls.api!;
  // A second connection to the same schema writes rows the way agents stored before grants were.
  store = await openStore({ databaseUrl: postgresUrl, schema });
}, 120_000);

afterAll(async () => {
  await store?.close();
  await runtime?.close();
  await new Promise((resolve) => listener?.close(resolve));
  if (schema) await dropSchema(schema);
  if (home) await rm(home, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  connections = 0;
});

describe('project secrets through the composed runtime', () => {
  it('refuses, with 422 naming the variable, an agent of project B reading Baton\'s configuration or an ungranted variable, and stores and sends nothing', async () => {
    const attempts = [
      { id: 'steal-keys', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'BATON_API_KEYS' } },
      { id: 'steal-db', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'DATABASE_URL' } },
      { id: 'steal-other', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'UNGRANTED_TOKEN' } },
      { id: 'steal-partner', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'PARTNER_TOKEN' } },
      { id: 'steal-default', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'OPENAI_API_KEY' } },
      { id: 'steal-hmac', kind: 'http', config: { url: `${listenerUrl}/hook`, secretEnv: 'BATON_API_KEYS' } },
      { id: 'steal-header', kind: 'http', config: { url: `${listenerUrl}/hook`, headers: { Authorization: { secretEnv: 'DATABASE_URL', prefix: 'Bearer ' } } } },
    ] as const;
    for (const agent of attempts) {
      const variable = agent.kind === 'llm' ? agent.config.apiKeyEnv : 'secretEnv' in agent.config ? agent.config.secretEnv : agent.config.headers.Authorization.secretEnv;
      const answer = await call<{ error: { code: string; message: string } }>('proj-b', 'POST', '/api/v1/agents', agent);
      expect([answer.status, answer.json.error.code]).toEqual([422, 'secret_not_granted']);
      expect(answer.json.error.message).toContain(variable);
      expect(JSON.stringify(answer.json)).not.toMatch(/partner-token-of-a|key-a:proj-a|ungranted-token-value|sk-operator/);
      expect((await call('proj-b', 'GET', `/api/v1/agents/${agent.id}`)).status).toBe(404);
    }
    // A PATCH cannot smuggle the reference in either.
    expect((await call('proj-b', 'POST', '/api/v1/agents', { id: 'innocent', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1` } })).status).toBe(200);
    const patched = await call<{ error: { code: string; message: string } }>('proj-b', 'PATCH', '/api/v1/agents/innocent', { config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'BATON_API_KEYS' } });
    expect([patched.status, patched.json.error.code]).toEqual([422, 'secret_not_granted']);
    expect((await call<{ config: unknown }>('proj-b', 'GET', '/api/v1/agents/innocent')).json.config).toEqual({ model: 'm', baseUrl: `${listenerUrl}/v1` });
    expect(connections).toBe(0);
  });

  it('fails a run of an agent stored before grants existed with secret_not_granted, naming the variable, and sends nothing', async () => {
    await store.agents.create('proj-b', { id: 'legacy-llm', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'BATON_API_KEYS' } });
    await store.agents.create('proj-b', { id: 'legacy-db', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1`, apiKeyEnv: 'DATABASE_URL' } });
    await store.agents.create('proj-b', { id: 'legacy-partner', kind: 'http', config: { url: `${listenerUrl}/hook`, secretEnv: 'PARTNER_TOKEN' } });
    await store.agents.create('proj-b', { id: 'legacy-header', kind: 'http', config: { url: `${listenerUrl}/hook`, headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'UNGRANTED_TOKEN', prefix: 'Bearer ' } } } });
    const cases = [
      ['legacy-llm', 'BATON_API_KEYS', 'is Baton\'s own configuration'],
      ['legacy-db', 'DATABASE_URL', 'is Baton\'s own configuration'],
      ['legacy-partner', 'PARTNER_TOKEN', 'is not granted to project "proj-b"'],
      ['legacy-header', 'UNGRANTED_TOKEN', 'is not granted to project "proj-b"'],
    ] as const;
    for (const [agentId, variable, why] of cases) {
      const run = await runAgent('proj-b', agentId);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatchObject({ code: 'secret_not_granted', step: expect.any(String) as unknown });
      expect(run.error?.message).toContain(`agent "${agentId}": ${variable} ${why}`);
      for (const value of secretValues) expect(run.error?.message).not.toContain(value);
    }
    expect(connections).toBe(0);
  });

  it('never sends OPENAI_API_KEY to an llm agent\'s own baseUrl unless its project is granted it', async () => {
    for (const who of ['proj-a', 'proj-b'] as const) {
      expect((await call(who, 'POST', '/api/v1/agents', { id: 'own-endpoint', kind: 'llm', config: { model: 'm', baseUrl: `${listenerUrl}/v1` } })).status).toBe(200);
    }
    const ungranted = await runAgent('proj-b', 'own-endpoint');
    expect([ungranted.status, ungranted.result]).toEqual(['COMPLETED', 'fine']);
    expect(received.map((request) => request.headers.authorization)).toEqual(['Bearer baton-no-key']);
    expectNoSecretSent();
    expect(JSON.stringify(received)).not.toContain(workerEnv.OPENAI_API_KEY);

    received = [];
    const granted = await runAgent('proj-a', 'own-endpoint');
    expect(granted.status).toBe('COMPLETED');
    expect(received.map((request) => request.headers.authorization)).toEqual([`Bearer ${workerEnv.OPENAI_API_KEY}`]);
  });

  it('sends a granted secret for its project through a header reference, shows only the variable name, and refuses it to another project', async () => {
    const agent = { id: 'partner-hook', kind: 'http', config: { url: `${listenerUrl}/hook`, headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } };
    const created = await call('proj-a', 'POST', '/api/v1/agents', agent);
    expect(created.status).toBe(200);
    const shown = await call('proj-a', 'GET', '/api/v1/agents/partner-hook');
    expect(shown.json).toEqual({ ...agent, description: null });
    expect(JSON.stringify([created.json, shown.json])).not.toContain(workerEnv.PARTNER_TOKEN);

    const run = await runAgent('proj-a', 'partner-hook');
    expect([run.status, run.result]).toEqual(['COMPLETED', { ok: true }]);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers).toMatchObject({ authorization: `Bearer ${workerEnv.PARTNER_TOKEN}`, 'x-team': 'ops' });
    expectNoSecretSent();

    const refused = await call<{ error: { code: string; message: string } }>('proj-b', 'POST', '/api/v1/agents', agent);
    expect([refused.status, refused.json.error.code]).toEqual([422, 'secret_not_granted']);
    expect(refused.json.error.message).toBe('config.headers.Authorization.secretEnv: PARTNER_TOKEN is not granted to project "proj-b"; the operator grants it with BATON_PROJECT_SECRETS=proj-b:PARTNER_TOKEN');
  });

  it('refuses a plain-text credential header with 422 telling to use a reference', async () => {
    const answer = await call<{ error: { code: string; message: string } }>('proj-a', 'POST', '/api/v1/agents', { id: 'plain', kind: 'http', config: { url: `${listenerUrl}/hook`, headers: { 'X-Api-Key': 'abc123' } } });
    expect([answer.status, answer.json.error.code]).toEqual([422, 'unprocessable']);
    expect(answer.json.error.message).toContain('config.headers.X-Api-Key');
    expect(answer.json.error.message).toContain('secretEnv');
    expect((await call('proj-a', 'GET', '/api/v1/agents/plain')).status).toBe(404);
  });
});
