import { createRoute, z } from '@hono/zod-openapi';
import { ApplicationFailure, Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../api/app.ts';
import { createRouter } from '../../api/router.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { freePort } from '../../src/temporal/dev-server.ts';

/** A small resource with every kind of failure a real one can have. */
function probeRoutes(hooks: { engine?: () => Promise<unknown> } = {}) {
  const app = createRouter();
  app.openapi(createRoute({
    method: 'post',
    path: '/echo',
    request: { body: { content: { 'application/json': { schema: z.object({ name: z.string().min(1) }) } }, required: true } },
    responses: { 200: { description: 'echo', content: { 'application/json': { schema: z.object({ name: z.string(), project: z.string() }) } } } },
  }), (c) => c.json({ name: c.req.valid('json').name, project: c.get('project') }, 200));
  app.get('/whoami', (c) => c.json({ project: c.get('project') }));
  app.get('/caller', (c) => c.json({ project: c.get('project'), caller: c.get('caller') }));
  app.get('/baton-error', () => { throw new BatonError('run_not_paused', 'Run wfr_1 is not paused.', { status: 'completed' }); });
  app.get('/update-rejected', () => {
    throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'invalid_resume_input', message: 'input must be one of approve, reject', details: [{ options: ['approve', 'reject'] }] }));
  });
  app.get('/unknown-failure-type', () => { throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'SomethingElse', message: 'odd' })); });
  app.get('/http-exception', () => { throw new HTTPException(418, { message: 'short and stout' }); });
  app.get('/boom', () => { throw new Error('secret internals at /srv/app.ts:12'); });
  app.get('/engine', async (c) => c.json({ result: await hooks.engine?.() }));
  return app;
}

function makeApp(overrides: Partial<AppDeps> = {}, hooks?: Parameters<typeof probeRoutes>[0]) {
  return createApp({
    apiKeys: new Map(),
    maxBodyBytes: 1024,
    readiness: {},
    routes: [{ path: '/v1', app: probeRoutes(hooks) }, { path: '/api/v1', app: probeRoutes(hooks) }],
    ...overrides,
  });
}

async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; message: string; details?: unknown } };
  return { status: response.status, ...body.error };
}

const post = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

describe('createApp', () => {
  describe('health', () => {
    it('answers /healthz with ok', async () => {
      const response = await makeApp().request('/healthz');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('answers /readyz 503 naming the failed check when there is no engine', async () => {
      const response = await makeApp().request('/readyz');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not_ready', checks: { temporal: { ok: false, detail: 'no Temporal client configured' } } });
    });

    it('answers /readyz 503 when Temporal is unreachable and when the store fails', async () => {
      const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
      try {
        const app = makeApp({ readiness: { temporal: { client: new Client({ connection }), taskQueue: 'q' }, store: async () => { throw new Error('store is down'); }, timeoutMs: 1500 } });
        const response = await app.request('/readyz');
        expect(response.status).toBe(503);
        const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
        expect(body.checks.temporal!.ok).toBe(false);
        expect(body.checks.temporal!.detail).toMatch(/Temporal unreachable|did not answer/);
        expect(body.checks.store).toEqual({ ok: false, detail: 'store is down' });
      } finally {
        await connection.close();
      }
    });
  });

  describe('errors', () => {
    it('answers an unknown route 404 not_found in the error body', async () => {
      expect(await errorOf(await makeApp().request('/nope'))).toEqual({ status: 404, code: 'not_found', message: 'No route for GET /nope.' });
    });

    it('maps a BatonError to its status, code, message and details', async () => {
      expect(await errorOf(await makeApp().request('/v1/baton-error'))).toEqual({ status: 409, code: 'run_not_paused', message: 'Run wfr_1 is not paused.', details: { status: 'completed' } });
    });

    it('maps an ApplicationFailure whose type is a Baton code, found through the cause chain', async () => {
      expect(await errorOf(await makeApp().request('/v1/update-rejected'))).toEqual({
        status: 422, code: 'invalid_resume_input', message: 'input must be one of approve, reject', details: { options: ['approve', 'reject'] },
      });
    });

    it('treats an ApplicationFailure of an unknown type as internal', async () => {
      expect(await errorOf(await makeApp().request('/v1/unknown-failure-type'))).toEqual({ status: 500, code: 'internal', message: 'Internal error.' });
    });

    it('answers anything unexpected 500 internal without a stack or message', async () => {
      const response = await makeApp().request('/v1/boom');
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'Internal error.' } });
      expect(text).not.toContain('secret internals');
    });

    it('keeps the status of an HTTPException in the error body', async () => {
      expect(await errorOf(await makeApp().request('/v1/http-exception'))).toEqual({ status: 418, code: 'invalid_request', message: 'short and stout' });
    });

    it('answers malformed JSON 400 invalid_request', async () => {
      const error = await errorOf(await makeApp().request('/v1/echo', post('{"name":')));
      expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
      expect(error.message).toMatch(/JSON/i);
    });

    it('answers a body that fails its schema 400 invalid_request with the zod issues', async () => {
      const error = await errorOf(await makeApp().request('/v1/echo', post('{"name":""}')));
      expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
      expect(error.details).toEqual([expect.objectContaining({ path: ['name'] })]);
    });

    it('answers a body over BATON_MAX_BODY_BYTES 413 payload_too_large', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(2000) });
      expect(await errorOf(await makeApp().request('/v1/echo', post(big)))).toEqual({ status: 413, code: 'payload_too_large', message: 'The request body is larger than 1024 bytes.' });
      const small = await makeApp().request('/v1/echo', post(JSON.stringify({ name: 'x'.repeat(900) })));
      expect(small.status).toBe(200);
    });

    it('refuses a body by its declared Content-Length, and counts one sent without a length', async () => {
      const small = JSON.stringify({ name: 'x'.repeat(10) });
      const declared = await makeApp().request('/v1/echo', post(small, { 'Content-Length': '2000' }));
      expect(await errorOf(declared)).toMatchObject({ status: 413, code: 'payload_too_large' });
      const chunks = (text: string) => new ReadableStream({ start(controller) { for (const part of text.match(/.{1,100}/gs)!) controller.enqueue(new TextEncoder().encode(part)); controller.close(); } });
      const streamed = (text: string) => makeApp().request('/v1/echo', { method: 'POST', body: chunks(text), headers: { 'Content-Type': 'application/json' }, duplex: 'half' });
      expect(await errorOf(await streamed(JSON.stringify({ name: 'x'.repeat(2000) })))).toMatchObject({ status: 413, code: 'payload_too_large' });
      expect((await streamed(small)).status).toBe(200);
    });

    it('answers 503 engine_unavailable with Retry-After when Temporal cannot be reached', async () => {
      const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
      try {
        const client = new Client({ connection });
        // A deadline as the run service sets one: the client would otherwise retry for ~20 s first.
        const app = makeApp({}, { engine: () => client.withDeadline(Date.now() + 1500, () => client.workflow.getHandle('wfr_nowhere').describe()) });
        const response = await app.request('/v1/engine');
        expect(response.headers.get('Retry-After')).toBe('5');
        const error = await errorOf(response);
        expect([error.status, error.code]).toStrictEqual([503, 'engine_unavailable']);
        expect(error.message).toMatch(/^the workflow engine \(Temporal\) (is not reachable|did not answer in time); retry shortly$/);
      } finally {
        await connection.close();
      }
    });
  });

  describe('auth', () => {
    const keyed = () => makeApp({ apiKeys: new Map([['key-a', 'alpha'], ['key-b', 'beta']]) });

    it('puts every caller in project default when no keys are configured', async () => {
      expect(await (await makeApp().request('/v1/whoami')).json()).toEqual({ project: 'default' });
      expect(await (await makeApp().request('/api/v1/whoami')).json()).toEqual({ project: 'default' });
    });

    it('maps a bearer key to its project on both API trees', async () => {
      expect(await (await keyed().request('/v1/whoami', { headers: { Authorization: 'Bearer key-a' } })).json()).toEqual({ project: 'alpha' });
      expect(await (await keyed().request('/api/v1/whoami', { headers: { Authorization: 'bearer key-b' } })).json()).toEqual({ project: 'beta' });
    });

    it('names the caller by the key\'s label, null for a key without one or when no keys are configured', async () => {
      const labelled = makeApp({ apiKeys: new Map([['key-a', 'alpha'], ['key-b', 'alpha']]), apiKeyLabels: new Map([['key-a', 'ci-bot']]) });
      const callerOf = async (app: ReturnType<typeof makeApp>, path: string, headers: Record<string, string> = {}) => await (await app.request(path, { headers })).json();
      expect(await callerOf(labelled, '/v1/caller', { Authorization: 'Bearer key-a' })).toEqual({ project: 'alpha', caller: { via: 'api', label: 'ci-bot' } });
      expect(await callerOf(labelled, '/api/v1/caller', { Authorization: 'Bearer key-b' })).toEqual({ project: 'alpha', caller: { via: 'api', label: null } });
      expect(await callerOf(keyed(), '/v1/caller', { Authorization: 'Bearer key-a' })).toEqual({ project: 'alpha', caller: { via: 'api', label: null } });
      expect(await callerOf(makeApp(), '/api/v1/caller')).toEqual({ project: 'default', caller: { via: 'api', label: null } });
    });

    it.each([
      ['no header', {}, 'Missing API key: send "Authorization: Bearer <api key>".'],
      ['an unknown key', { Authorization: 'Bearer key-c' }, 'Unknown API key.'],
      ['a key that is a prefix of a real one', { Authorization: 'Bearer key-' }, 'Unknown API key.'],
      ['another scheme', { Authorization: 'Basic a2V5LWE6' }, 'The Authorization header must be "Bearer <api key>".'],
      ['an empty bearer', { Authorization: 'Bearer ' }, 'The Authorization header must be "Bearer <api key>".'],
    ])('answers 401 unauthorized for %s', async (_name, headers, message) => {
      for (const path of ['/v1/whoami', '/api/v1/whoami', '/v1', '/api/v1/echo']) {
        expect(await errorOf(await keyed().request(path, { headers }))).toEqual({ status: 401, code: 'unauthorized', message });
      }
    });

    it('checks the key before reading the body', async () => {
      expect(await errorOf(await keyed().request('/v1/echo', post('{"name":')))).toMatchObject({ status: 401 });
    });

    it('leaves health, docs and the OpenAPI document open', async () => {
      for (const path of ['/healthz', '/docs', '/openapi.json']) {
        expect((await keyed().request(path)).status).toBe(200);
      }
    });
  });

  describe('OpenAPI and docs', () => {
    it('describes mounted routes and health in an OpenAPI 3.1 document', async () => {
      const doc = (await (await makeApp().request('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: unknown } };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/echo', '/api/v1/echo']));
      expect(doc.components.securitySchemes).toMatchObject({ apiKey: { type: 'http', scheme: 'bearer' } });
    });

    it('serves Swagger UI and its assets from local files', async () => {
      const page = await makeApp().request('/docs');
      expect(page.headers.get('Content-Type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('"/openapi.json"');
      for (const asset of html.matchAll(/(?:href|src)="(\/docs\/assets\/[^"]+)"/g)) {
        const response = await makeApp().request(asset[1]!);
        expect(response.status, asset[1]).toBe(200);
        expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
      expect((await makeApp().request('/docs/assets/package.json')).status).toBe(404);
      expect((await makeApp().request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
    });
  });
});
