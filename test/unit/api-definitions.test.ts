import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import type { AppEnv } from '../../api/env.ts';
import { handleError } from '../../api/middleware/error-handler.ts';
import { createWorkflowDefinitionRoutes } from '../../api/routes/workflow-definitions.ts';
import { definitionPageSchema, definitionResponseSchema, stepListSchema } from '../../api/routes/agent-manager-schemas.ts';
import { errorBodySchema } from '../../src/domain/errors.ts';
import { stepSchema } from '../../src/domain/step.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';

// api/app.ts without auth: the caller's project from a header, and the app's own onError, so these
// tests exercise the routes exactly as mounted under /api/v1.
function testApp(store: Store) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('project', c.req.header('x-project') ?? 'default');
    await next();
  });
  const functionAgents = new Set(['web_agent', 'procurator_assistant']);
  app.route('/api/v1', createWorkflowDefinitionRoutes({
    store,
    agentExists: async (project, agentId) => functionAgents.has(agentId) || (await store.agents.find(project, agentId)) !== null,
  }));
  // A run route registered after ours, to show GET /workflows/{id} does not shadow it.
  app.get('/api/v1/workflows/runs/:runId', (c) => c.json({ runRoute: c.req.param('runId') }));
  app.onError(handleError);
  return app;
}

let store: Store;
let app: ReturnType<typeof testApp>;
beforeAll(async () => {
  store = await openStore();
  app = testApp(store);
});
afterAll(async () => store?.close());

const project = () => `p-${randomBytes(5).toString('hex')}`;

async function call(method: string, path: string, options: { project: string; body?: unknown; raw?: string; contentType?: string }) {
  const headers: Record<string, string> = { 'x-project': options.project };
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const response = await app.request(`/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as unknown };
}

describe('Agent Manager workflow definitions', () => {
  it('runs the specification\'s three-step content pipeline: create, add steps, read, list', async () => {
    const p = project();
    const created = await call('POST', '/workflows', {
      project: p,
      body: { name: 'Tech News Briefing', description: 'Searches for tech news, summarizes it, and drafts a newsletter section.' },
    });
    expect(created.status).toBe(200);
    const definition = definitionResponseSchema.strict().parse(created.json);
    // The Agent Manager specification: a paused run of these workflows does not time out unless the definition says so.
    expect(definition).toMatchObject({ name: 'Tech News Briefing', description: 'Searches for tech news, summarizes it, and drafts a newsletter section.', steps: [], version: 1, pauseTimeout: 'never' });
    expect(definition.id).toMatch(/^wf-/);
    const id = definition.id;

    const steps = [
      { agentId: 'web_agent', action: 'Search for the latest news about artificial intelligence in healthcare', stepOrder: 1 },
      { agentId: 'procurator_assistant', action: 'Summarize the search results into 3 bullet points', stepOrder: 2 },
      { agentId: 'procurator_assistant', action: 'Turn these bullet points into a 2-paragraph newsletter section', stepOrder: 3 },
    ];
    for (const step of steps) {
      const added = await call('POST', `/workflows/${id}/steps`, { project: p, body: step });
      expect(added.status).toBe(200);
      expect(stepSchema.parse(added.json)).toMatchObject({ ...step, type: 'agent', name: `step-${step.stepOrder}` });
    }
    const listed = await call('GET', `/workflows/${id}/steps`, { project: p });
    expect(stepListSchema.parse(listed.json).map((s) => (s.type === 'agent' ? s.action : s.message))).toEqual(steps.map((s) => s.action));

    const got = await call('GET', `/workflows/${id}`, { project: p });
    const read = definitionResponseSchema.parse(got.json);
    expect(read).toMatchObject({ id, version: 4 });
    expect(read.steps).toHaveLength(3);

    const page = await call('GET', '/workflows?page=0&size=20', { project: p });
    expect(page.status).toBe(200);
    const listedPage = definitionPageSchema.parse(page.json);
    expect(listedPage).toMatchObject({ totalElements: 1, totalPages: 1 });
    expect(listedPage.content.map((d) => d.id)).toEqual([id]);
  });

  it('keeps a pause timeout the caller gives', async () => {
    const created = await call('POST', '/workflows', { project: project(), body: { name: 'Timed', pauseTimeout: '2h' } });
    expect(definitionResponseSchema.parse(created.json).pauseTimeout).toBe('2h');
  });

  it('patches, clones, removes a step and deletes', async () => {
    const p = project();
    const { id } = definitionResponseSchema.parse((await call('POST', '/workflows', { project: p, body: { name: 'Briefing', description: 'd' } })).json);
    const first = stepSchema.parse((await call('POST', `/workflows/${id}/steps`, { project: p, body: { agentId: 'web_agent', action: 'Search' } })).json);
    await call('POST', `/workflows/${id}/steps`, { project: p, body: { type: 'approval', message: 'Publish?', options: ['approve', 'reject'] } });

    const patched = await call('PATCH', `/workflows/${id}`, { project: p, body: { name: 'Renamed' } });
    expect(patched.json).toMatchObject({ name: 'Renamed', description: 'd' });

    const cloned = await call('POST', `/workflows/${id}/clone`, { project: p });
    expect(cloned.status).toBe(200);
    const clone = definitionResponseSchema.parse(cloned.json);
    expect(clone).toMatchObject({ name: 'Renamed (Copy)', description: 'd' });
    expect(clone.id).not.toBe(id);
    expect(clone.steps.map((s) => s.type)).toEqual(['agent', 'approval']);

    const removed = await call('DELETE', `/workflows/${id}/steps/${first.id}`, { project: p });
    expect(removed.status).toBe(204);
    expect((await call('GET', `/workflows/${id}/steps`, { project: p })).json).toMatchObject([{ type: 'approval', stepOrder: 1 }]);

    expect((await call('DELETE', `/workflows/${id}`, { project: p })).status).toBe(204);
    expect((await call('GET', `/workflows/${id}`, { project: p })).status).toBe(404);
    expect((await call('GET', `/workflows/${clone.id}`, { project: p })).status).toBe(200);
  });

  it('documents every definition route in OpenAPI from the domain schemas', () => {
    const routes = createWorkflowDefinitionRoutes({ store });
    const doc = routes.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual(['/workflows', '/workflows/{id}', '/workflows/{id}/clone', '/workflows/{id}/steps', '/workflows/{id}/steps/{stepId}']);
    expect(Object.keys(doc.paths?.['/workflows/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(JSON.stringify(doc.paths?.['/workflows/{id}/steps']?.post)).toContain('agentId');
  });

  it('leaves GET /workflows/runs/{runId} to the run routes', async () => {
    const routed = await call('GET', '/workflows/runs/wfr_01', { project: project() });
    expect(routed).toEqual({ status: 200, json: { runRoute: 'wfr_01' } });
  });
});

describe('Agent Manager workflow definitions: bad input changes nothing', () => {
  const big = 'x'.repeat(20_001);
  type Case = [label: string, method: string, path: (ids: { id: string; stepId: string; foreign: string }) => string, body: { body?: unknown; raw?: string; contentType?: string }, status: number, code: string];
  const cases: Case[] = [
    ['malformed JSON on create', 'POST', () => '/workflows', { raw: '{"name":' }, 400, 'invalid_request'],
    ['a non-JSON content type', 'POST', () => '/workflows', { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }, 415, 'invalid_request'],
    ['a missing name', 'POST', () => '/workflows', { body: { description: 'no name' } }, 400, 'invalid_request'],
    ['a name of the wrong type', 'POST', () => '/workflows', { body: { name: 42 } }, 400, 'invalid_request'],
    ['an empty name', 'POST', () => '/workflows', { body: { name: '' } }, 400, 'invalid_request'],
    ['an oversize name', 'POST', () => '/workflows', { body: { name: 'n'.repeat(201) } }, 400, 'invalid_request'],
    ['an oversize description', 'POST', () => '/workflows', { body: { name: 'ok', description: 'd'.repeat(2001) } }, 400, 'invalid_request'],
    ['an agent slug that is not a slug', 'POST', () => '/workflows', { body: { name: 'ok', agent: 'Not A Slug' } }, 400, 'invalid_request'],
    ['a bad pause timeout', 'POST', () => '/workflows', { body: { name: 'ok', pauseTimeout: 'soon' } }, 400, 'invalid_request'],
    ['a published agent slug taken', 'POST', () => '/workflows', { body: { name: 'ok', agent: 'taken' } }, 409, 'conflict'],
    ['a page below zero', 'GET', () => '/workflows?page=-1', {}, 400, 'invalid_request'],
    ['a page size over 100', 'GET', () => '/workflows?size=101', {}, 400, 'invalid_request'],
    ['an unknown workflow', 'GET', () => '/workflows/wf-nope', {}, 404, 'workflow_not_found'],
    ['an id of the wrong form', 'GET', () => '/workflows/runs', {}, 404, 'workflow_not_found'],
    ['another project\'s workflow', 'GET', ({ foreign }) => `/workflows/${foreign}`, {}, 404, 'workflow_not_found'],
    ['patching another project\'s workflow', 'PATCH', ({ foreign }) => `/workflows/${foreign}`, { body: { name: 'mine now' } }, 404, 'workflow_not_found'],
    ['deleting another project\'s workflow', 'DELETE', ({ foreign }) => `/workflows/${foreign}`, {}, 404, 'workflow_not_found'],
    ['cloning another project\'s workflow', 'POST', ({ foreign }) => `/workflows/${foreign}/clone`, {}, 404, 'workflow_not_found'],
    ['listing another project\'s steps', 'GET', ({ foreign }) => `/workflows/${foreign}/steps`, {}, 404, 'workflow_not_found'],
    ['patching with a name of the wrong type', 'PATCH', ({ id }) => `/workflows/${id}`, { body: { name: ['x'] } }, 400, 'invalid_request'],
    ['patching with malformed JSON', 'PATCH', ({ id }) => `/workflows/${id}`, { raw: '{' }, 400, 'invalid_request'],
    ['patching with no body at all', 'PATCH', ({ id }) => `/workflows/${id}`, {}, 400, 'invalid_request'],
    ['patching an unknown workflow', 'PATCH', () => '/workflows/wf-nope', { body: { name: 'x' } }, 404, 'workflow_not_found'],
    ['deleting an unknown workflow', 'DELETE', () => '/workflows/wf-nope', {}, 404, 'workflow_not_found'],
    ['cloning an unknown workflow', 'POST', () => '/workflows/wf-nope/clone', {}, 404, 'workflow_not_found'],
    ['a step without agentId', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { action: 'Search' } }, 400, 'invalid_request'],
    ['a step without action', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent' } }, 400, 'invalid_request'],
    ['a step with an empty action', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent', action: '' } }, 400, 'invalid_request'],
    ['a step with an oversize action', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent', action: big } }, 400, 'invalid_request'],
    ['a stepOrder of zero', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent', action: 'a', stepOrder: 0 } }, 400, 'invalid_request'],
    ['a stepOrder as text', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent', action: 'a', stepOrder: '2' } }, 400, 'invalid_request'],
    ['an unknown step type', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { type: 'script', agentId: 'web_agent', action: 'a' } }, 400, 'invalid_request'],
    ['an approval step without options', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { type: 'approval', message: 'ok?' } }, 400, 'invalid_request'],
    ['a step without a body', 'POST', ({ id }) => `/workflows/${id}/steps`, {}, 400, 'invalid_request'],
    ['a step for an unknown agent', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'ghost', action: 'a' } }, 404, 'agent_not_found'],
    ['a step whose name is taken', 'POST', ({ id }) => `/workflows/${id}/steps`, { body: { agentId: 'web_agent', action: 'a', name: 'step-1' } }, 409, 'conflict'],
    ['a step for an unknown workflow', 'POST', () => '/workflows/wf-nope/steps', { body: { agentId: 'web_agent', action: 'a' } }, 404, 'workflow_not_found'],
    ['a step on another project\'s workflow', 'POST', ({ foreign }) => `/workflows/${foreign}/steps`, { body: { agentId: 'web_agent', action: 'a' } }, 404, 'workflow_not_found'],
    ['removing an unknown step', 'DELETE', ({ id }) => `/workflows/${id}/steps/st-nope`, {}, 404, 'step_not_found'],
    ['removing a step of another workflow', 'DELETE', ({ foreign, stepId }) => `/workflows/${foreign}/steps/${stepId}`, {}, 404, 'workflow_not_found'],
    ['an oversize path id', 'GET', () => `/workflows/wf-${'a'.repeat(300)}`, {}, 400, 'invalid_request'],
  ];

  it.each(cases)('answers %s with the documented error', async (_label, method, path, body, status, code) => {
    const p = project();
    const other = project();
    const mine = definitionResponseSchema.parse((await call('POST', '/workflows', { project: p, body: { name: 'mine', agent: 'taken' } })).json);
    const step = stepSchema.parse((await call('POST', `/workflows/${mine.id}/steps`, { project: p, body: { agentId: 'web_agent', action: 'Search' } })).json);
    const foreign = definitionResponseSchema.parse((await call('POST', '/workflows', { project: other, body: { name: 'theirs' } })).json);
    const before = [await store.definitions.list(p, { page: 0, size: 100 }), await store.definitions.list(other, { page: 0, size: 100 })];

    const answer = await call(method, path({ id: mine.id, stepId: step.id, foreign: foreign.id }), { project: p, ...body });
    expect(answer.status).toBe(status);
    expect(errorBodySchema.parse(answer.json).error.code).toBe(code);

    expect([await store.definitions.list(p, { page: 0, size: 100 }), await store.definitions.list(other, { page: 0, size: 100 })]).toEqual(before);
  });
});

describe('Agent Manager workflow definitions through the real app', () => {
  function realApp() {
    return createApp({
      apiKeys: new Map([['key-a', 'team-a'], ['key-b', 'team-b']]),
      maxBodyBytes: 4096,
      readiness: {},
      routes: [{ path: '/api/v1', app: createWorkflowDefinitionRoutes({ store }) }],
    });
  }
  const send = (app: ReturnType<typeof realApp>, key: string, method: string, path: string, body?: string) =>
    app.request(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body !== undefined && { body }) });

  it('scopes definitions by API key and answers malformed, oversize and unauthenticated requests with the error body', async () => {
    const app = realApp();
    const created = await send(app, 'key-a', 'POST', '/workflows', JSON.stringify({ name: 'team a only' }));
    expect(created.status).toBe(200);
    const { id } = definitionResponseSchema.parse(await created.json());

    expect((await send(app, 'key-a', 'GET', `/workflows/${id}`)).status).toBe(200);
    const foreign = await send(app, 'key-b', 'GET', `/workflows/${id}`);
    expect([foreign.status, errorBodySchema.parse(await foreign.json()).error.code]).toEqual([404, 'workflow_not_found']);
    const stolen = await send(app, 'key-b', 'DELETE', `/workflows/${id}`);
    expect(stolen.status).toBe(404);

    const malformed = await send(app, 'key-a', 'POST', '/workflows', '{"name":');
    expect([malformed.status, errorBodySchema.parse(await malformed.json()).error.code]).toEqual([400, 'invalid_request']);
    const oversize = await send(app, 'key-a', 'POST', '/workflows', JSON.stringify({ name: 'x', description: 'd'.repeat(5000) }));
    expect([oversize.status, errorBodySchema.parse(await oversize.json()).error.code]).toEqual([413, 'payload_too_large']);
    const anonymous = await app.request('/api/v1/workflows');
    expect(anonymous.status).toBe(401);

    expect((await store.definitions.list('team-a', { page: 0, size: 100 })).content.map((d) => d.id)).toEqual([id]);
    expect((await store.definitions.list('team-b', { page: 0, size: 100 })).totalElements).toBe(0);
  });
});
