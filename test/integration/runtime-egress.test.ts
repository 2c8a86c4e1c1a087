// The composed runtime (what `baton start` runs) against agents a tenant stores over the API and
// aims at an internal service on loopback: the egress policy refuses each call before any
// connection, and the run says why.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';
import { jsonCaller } from '../fixtures/json-call.ts';

let runtime: Runtime;
let home: string;
let api: string;
let fake: OpenAiFake;

/** A loopback listener that counts every TCP connection it accepts. */
interface Listener { server: Server; port: number; connections: number }
async function listen(answer: (res: import('node:http').ServerResponse) => void): Promise<Listener> {
  const listener: Listener = { server: createServer((_req, res) => answer(res)), port: 0, connections: 0 };
  listener.server.on('connection', () => { listener.connections += 1; });
  await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
  listener.port = (listener.server.address() as AddressInfo).port;
  return listener;
}
// Stands in for the Temporal UI or any internal service a tenant should not reach.
let internal: Listener;
// An allowed host whose answer redirects to the internal one.
let redirector: Listener;

const call = jsonCaller(() => api);

/** Stores the agent, a one-step workflow using it, runs it and waits until the run settles. */
async function runAgent(agent: { id: string; kind: string; config: unknown }): Promise<AgentManagerRunDetail> {
  expect((await call('POST', '/api/v1/agents', agent)).status).toBe(200);
  const workflow = (await call<Definition>('POST', '/api/v1/workflows', { name: `Uses ${agent.id}` })).json;
  expect((await call('POST', `/api/v1/workflows/${workflow.id}/steps`, { name: 'reach', agentId: agent.id, action: 'Reach out' })).status).toBe(200);
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflow.id}/run`, { input: 'go' });
  expect(started.status).toBe(202);
  let run: AgentManagerRunDetail | undefined;
  await expect.poll(async () => {
    run = (await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${started.json.runId}`)).json;
    return run.status;
  }, { timeout: 30_000, interval: 200 }).not.toBe('RUNNING');
  return run!;
}

beforeAll(async () => {
  internal = await listen((res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secrets'));
  redirector = await listen((res) => res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/internal` }).end());
  fake = await startOpenAiFake((request) => {
    const last = request.body.messages.at(-1);
    if (last?.role === 'tool') return { content: `Saw: ${last.content}` };
    return { toolCalls: [{ name: 'http_request', arguments: { method: 'GET', url: `http://127.0.0.1:${internal.port}/internal` } }] };
  });
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-egress-'));
  const config = loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_HOME: home,
    PORT: '0',
    BATON_TASK_QUEUE: `runtime-egress-${Date.now()}`,
    // The operator's model endpoint is on loopback (like Ollama) and is not listed: it is theirs.
    OPENAI_BASE_URL: fake.baseUrl,
    // The tool's own list admits the internal host, so only the egress policy stands in the way.
    BATON_HTTP_TOOL_ALLOW: '127.0.0.1',
    BATON_EGRESS_ALLOW: `127.0.0.1:${redirector.port}`,
  });
  runtime = await createRuntime(config, { role: 'all' });
  api = runtime.urls.api!;
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await fake?.close();
  for (const listener of [internal, redirector]) {
    listener?.server.closeAllConnections();
    await new Promise((resolve) => listener?.server.close(resolve));
  }
  await rm(home, { recursive: true, force: true });
});

describe('egress from the composed runtime', () => {
  it('fails an http agent aimed at a loopback service with egress_refused naming the host, and the service sees no connection', async () => {
    const url = `http://127.0.0.1:${internal.port}/internal`;
    const run = await runAgent({ id: 'ssrf-http', kind: 'http', config: { url } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({
      code: 'egress_refused',
      step: 'reach',
      message: `http agent "ssrf-http" (POST ${url}) was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`,
    });
    expect(internal.connections).toBe(0);
  });

  it('refuses an http agent whose host name resolves to loopback', async () => {
    const run = await runAgent({ id: 'ssrf-localhost', kind: 'http', config: { url: `http://localhost:${internal.port}/internal` } });
    expect([run.status, run.error?.code]).toEqual(['FAILED', 'egress_refused']);
    expect(run.error?.message).toMatch(/was refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; allow it with BATON_EGRESS_ALLOW$/);
    expect(internal.connections).toBe(0);
  });

  it('fails an llm agent whose own baseUrl is a loopback service with egress_refused, without connecting', async () => {
    const baseUrl = `http://127.0.0.1:${internal.port}/v1`;
    const run = await runAgent({ id: 'ssrf-llm', kind: 'llm', config: { model: 'any', baseUrl } });
    expect([run.status, run.error?.code]).toEqual(['FAILED', 'egress_refused']);
    expect(run.error?.message).toBe(`model endpoint ${baseUrl} (llm agent "ssrf-llm", model "any") was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`);
    expect(internal.connections).toBe(0);
  });

  it('tells the model that http_request to a loopback service was refused, while the operator\'s OPENAI_BASE_URL on loopback works', async () => {
    const callsBefore = fake.calls;
    const run = await runAgent({ id: 'fetcher', kind: 'llm', config: { model: 'fake-model', tools: [{ name: 'http_request' }] } });
    expect(run.status).toBe('COMPLETED');
    expect(run.result).toBe(`Saw: http_request failed: GET http://127.0.0.1:${internal.port}/internal was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`);
    expect(fake.calls - callsBefore).toBe(2);
    expect(internal.connections).toBe(0);
  });

  it('does not follow a redirect from an allowed host to an internal one: the step fails with the 3xx', async () => {
    const run = await runAgent({ id: 'redirected', kind: 'http', config: { url: `http://127.0.0.1:${redirector.port}/` } });
    expect([run.status, run.error?.code]).toEqual(['FAILED', 'step_failed']);
    expect(run.error?.message).toContain(`answered 302 Found (a redirect to http://127.0.0.1:${internal.port}/internal, which Baton does not follow)`);
    expect(redirector.connections).toBeGreaterThan(0);
    expect(internal.connections).toBe(0);
  });
});
