import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../api/app.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { createDocumentedApp } from '../fixtures/documented-app.ts';

// What schemathesis (npm run fuzz) checks, pinned on the real routes: every status a route answers
// is declared, and a method a path does not serve is a 405. None of these requests reaches the engine.
const key = 'conformance-key';
let store: Store;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  store = await openStore();
  app = createDocumentedApp(store, new Map([[key, 'conformance']]));
});
afterAll(async () => store?.close());

const auth = { Authorization: `Bearer ${key}` };

async function call(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await app.request(path, { method, body: init.body, headers: { ...auth, ...init.headers } });
  const text = await response.text();
  return { status: response.status, allow: response.headers.get('Allow'), json: (text ? JSON.parse(text) : undefined) as { error?: { code: string } } & Record<string, unknown> };
}

interface Operation { operationId?: string; security?: unknown[]; requestBody?: unknown; responses: Record<string, { links?: Record<string, { operationId: string; parameters: Record<string, string> }> }> }
async function openApiOperations(): Promise<Array<[string, Operation]>> {
  const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));
}

describe('methods a path does not serve', () => {
  it.each([
    ['OPTIONS', '/api/v1/agents', 'GET, HEAD, POST'],
    ['PUT', '/api/v1/workflows/wf-anything', 'DELETE, GET, HEAD, PATCH'],
    ['POST', '/v1/workflow-runs', 'GET, HEAD'],
    ['DELETE', '/v1/agents/triage/workflow', 'POST'],
    ['PROPFIND', '/healthz', 'GET, HEAD'],
  ])('answers %s %s with 405 method_not_allowed and Allow: %s', async (method, path, allow) => {
    const answer = await call(method, path);
    expect({ status: answer.status, code: answer.json.error?.code, allow: answer.allow }).toEqual({ status: 405, code: 'method_not_allowed', allow });
  });

  it('still answers 404 for a path no route has, and 401 before 405 without a key', async () => {
    expect((await call('GET', '/api/v1/nothing-here')).status).toBe(404);
    expect((await call('OPTIONS', '/api/v1/agents/x/y')).status).toBe(404);
    const anonymous = await app.request('/api/v1/agents', { method: 'OPTIONS' });
    expect(anonymous.status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('declares the health probes open and every other operation keyed', async () => {
    const operations = await openApiOperations();
    const open = operations.filter(([, op]) => Array.isArray(op.security) && op.security.length === 0).map(([name]) => name);
    expect(open.sort()).toEqual(['GET /healthz', 'GET /readyz']);
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('names every operation once and links created ids to operations that exist, by their parameter names', async () => {
    const operations = await openApiOperations();
    const ids = operations.map(([, op]) => op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(operations.map(([name, op]) => [op.operationId, name]));
    const linked = operations.flatMap(([, op]) => Object.values(op.responses).flatMap((response) => Object.values(response.links ?? {})));
    expect(linked.length).toBeGreaterThanOrEqual(15);
    for (const link of linked) {
      const target = byId.get(link.operationId);
      expect(target, link.operationId).toBeDefined();
      for (const parameter of Object.keys(link.parameters)) expect(target).toContain(`{${parameter}}`);
    }
  });

  it('declares 400, 401, 413 and 415 on every operation that takes a JSON body', async () => {
    const withBody = (await openApiOperations()).filter(([, op]) => op.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(9);
    const missing = withBody.flatMap(([name, op]) => ['400', '401', '413', '415'].filter((status) => !(status in op.responses)).map((status) => `${name} ${status}`));
    expect(missing).toEqual([]);
  });

  it('declares a 409 (not 422) for running a workflow that has no steps, and answers it', async () => {
    const run = (await openApiOperations()).find(([name]) => name === 'POST /api/v1/workflows/{id}/run')![1];
    expect(Object.keys(run.responses)).toContain('409');
    expect(Object.keys(run.responses)).not.toContain('422');
    const empty = await store.definitions.create('conformance', { name: 'Empty', pauseTimeout: 'never' });
    const answer = await call('POST', `/api/v1/workflows/${empty.id}/run`, { body: '{"input":"go"}', headers: { 'Content-Type': 'application/json' } });
    expect({ status: answer.status, code: answer.json.error?.code }).toEqual({ status: 409, code: 'workflow_has_no_steps' });
  });
});

describe('a required JSON body', () => {
  it('refuses a PATCH with no body at all instead of applying it as an empty patch', async () => {
    const definition = await store.definitions.create('conformance', { name: 'Keep me', pauseTimeout: 'never' });
    const before = await store.definitions.get('conformance', definition.id);
    const answer = await call('PATCH', `/api/v1/workflows/${definition.id}`);
    expect({ status: answer.status, code: answer.json.error?.code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(await store.definitions.get('conformance', definition.id)).toEqual(before);
    // An explicit empty patch is still a valid request.
    expect((await call('PATCH', `/api/v1/workflows/${definition.id}`, { body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(200);
  });
});
