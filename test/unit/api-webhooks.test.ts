import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createWebhookRoutes, documentWebhookEvents, webhookDeliveryPageSchema, webhookPageSchema } from '../../api/routes/webhooks.ts';
import { errorBodySchema } from '../../src/domain/errors.ts';
import { webhookCreatedSchema, webhookSchema } from '../../src/domain/webhook.ts';
import { createEgressPolicy, type HostLookup } from '../../src/security/egress-policy.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';

// The webhook endpoints through the real app: API keys name the project, the body limit and the
// JSON guard apply, and the egress policy decides which URLs may be stored. DNS answers come from
// a table so the test needs no network; unknown names do not resolve.
const answers: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'other.example.com': ['93.184.216.35'],
  'intranet.example.com': ['10.0.0.5'],
  'partner.lan': ['192.168.1.20'],
};
const tableLookup: HostLookup = async (host) => {
  if (host === 'slow.example.com') return new Promise(() => {});
  const found = answers[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: 4 }));
};

const maxBodyBytes = 4096;
let store: Store;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  store = await openStore();
  app = createApp({
    apiKeys: new Map([['key-a', 'alpha'], ['key-b', 'beta'], ['key-c', 'gamma']]),
    maxBodyBytes,
    readiness: {},
    routes: [{
      path: '/api/v1',
      app: createWebhookRoutes({ store, egress: createEgressPolicy(['partner.lan'], { lookup: tableLookup }), resolveTimeoutMs: 200 }),
      document: documentWebhookEvents,
    }],
  });
});
afterAll(async () => store?.close());

interface Answer { status: number; json: unknown }
async function call(method: string, path: string, options: { key?: string; body?: unknown; raw?: string; contentType?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? 'key-a'}` };
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined && options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await app.request(`/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

function errorOf(answer: Answer): { status: number; code: string; message: string } {
  const { error } = errorBodySchema.parse(answer.json);
  return { status: answer.status, code: error.code, message: error.message };
}

async function listed(key = 'key-a') {
  return webhookPageSchema.parse((await call('GET', '/webhooks?size=100', { key })).json);
}

describe('webhook CRUD', () => {
  it('creates a webhook for every event, shows the secret only in the create answer, then reads, patches, lists and deletes it', async () => {
    const created = await call('POST', '/webhooks', { key: 'key-c', body: { url: 'https://hooks.example.com/baton' } });
    expect(created.status).toBe(201);
    const hook = webhookCreatedSchema.parse(created.json);
    expect(hook).toMatchObject({ url: 'https://hooks.example.com/baton', events: ['run.paused', 'run.completed', 'run.failed', 'run.cancelled', 'run.answered', 'run.reminder'] });
    expect(hook.id).toMatch(/^whk_[0-9A-Z]{26}$/);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const read = await call('GET', `/webhooks/${hook.id}`, { key: 'key-c' });
    expect(read).toEqual({ status: 200, json: { id: hook.id, url: hook.url, events: hook.events, createdAt: hook.createdAt, updatedAt: hook.updatedAt } });
    expect(JSON.stringify(read.json)).not.toContain(hook.secret);

    const patched = await call('PATCH', `/webhooks/${hook.id}`, { key: 'key-c', body: { url: 'https://other.example.com/x', events: ['run.failed', 'run.paused', 'run.failed'] } });
    expect(patched.status).toBe(200);
    // Duplicates collapse; the documented order is kept.
    expect(webhookSchema.parse(patched.json)).toMatchObject({ id: hook.id, url: 'https://other.example.com/x', events: ['run.paused', 'run.failed'], createdAt: hook.createdAt });
    expect((await call('PATCH', `/webhooks/${hook.id}`, { key: 'key-c', body: {} })).json).toEqual(patched.json);

    const second = webhookCreatedSchema.parse((await call('POST', '/webhooks', { key: 'key-c', body: { url: 'http://partner.lan:8080/hook', events: ['run.completed'] } })).json);
    expect(second.secret).not.toBe(hook.secret);
    const page = await listed('key-c');
    expect(page).toEqual({ content: [patched.json, { id: second.id, url: second.url, events: ['run.completed'], createdAt: second.createdAt, updatedAt: second.updatedAt }], totalElements: 2, totalPages: 1 });
    expect(webhookPageSchema.parse((await call('GET', '/webhooks?page=1&size=1', { key: 'key-c' })).json)).toEqual({ content: [page.content[1]], totalElements: 2, totalPages: 2 });

    expect(webhookDeliveryPageSchema.parse((await call('GET', `/webhooks/${hook.id}/deliveries`, { key: 'key-c' })).json)).toEqual({ content: [], totalElements: 0, totalPages: 0 });

    expect((await call('DELETE', `/webhooks/${hook.id}`, { key: 'key-c' })).status).toBe(204);
    expect(errorOf(await call('GET', `/webhooks/${hook.id}`, { key: 'key-c' }))).toMatchObject({ status: 404, code: 'webhook_not_found' });
    expect(errorOf(await call('DELETE', `/webhooks/${hook.id}`, { key: 'key-c' }))).toMatchObject({ status: 404, code: 'webhook_not_found' });
    expect((await listed('key-c')).content.map((w) => w.id)).toEqual([second.id]);
  });

  it('keeps projects apart: another project\'s webhook is 404 on every route and absent from its list', async () => {
    const hook = webhookCreatedSchema.parse((await call('POST', '/webhooks', { key: 'key-a', body: { url: 'https://hooks.example.com/a' } })).json);
    for (const [method, path, body] of [
      ['GET', `/webhooks/${hook.id}`, undefined],
      ['PATCH', `/webhooks/${hook.id}`, { url: 'https://hooks.example.com/stolen' }],
      ['DELETE', `/webhooks/${hook.id}`, undefined],
      ['GET', `/webhooks/${hook.id}/deliveries`, undefined],
    ] as const) {
      expect([method, errorOf(await call(method, path, { key: 'key-b', body }))]).toMatchObject([method, { status: 404, code: 'webhook_not_found' }]);
    }
    expect((await listed('key-b')).content.map((w) => w.id)).not.toContain(hook.id);
    expect((await call('GET', `/webhooks/${hook.id}`, { key: 'key-a' })).json).toMatchObject({ url: 'https://hooks.example.com/a' });
  });

  it('answers 404 for ids that name no webhook, whatever their form', async () => {
    for (const id of ['whk_01JZ8W4T7Q1E5R3Y6U9I0O2P4A', 'nope', 'wfr_1', 'x'.repeat(200)]) {
      expect(errorOf(await call('GET', `/webhooks/${id}`))).toMatchObject({ status: 404, code: 'webhook_not_found' });
      expect(errorOf(await call('PATCH', `/webhooks/${id}`, { body: { events: ['run.paused'] } }))).toMatchObject({ status: 404, code: 'webhook_not_found' });
      expect(errorOf(await call('GET', `/webhooks/${id}/deliveries`))).toMatchObject({ status: 404, code: 'webhook_not_found' });
    }
    expect(errorOf(await call('GET', `/webhooks/${'x'.repeat(201)}`))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('requires the API key', async () => {
    const response = await app.request('/api/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://hooks.example.com/' }) });
    expect(response.status).toBe(401);
  });

  it('documents every route, the created answer\'s links and the event receivers get', async () => {
    const doc = await (await app.request('/openapi.json')).json() as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, { links?: object }> }>>;
      webhooks: Record<string, { post: { operationId: string; requestBody: unknown } }>;
      components: { schemas: Record<string, unknown> };
    };
    const operations = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/v1/')).map(([, methods]) => methods).flatMap((methods) => Object.values(methods).map((op) => op.operationId)).sort();
    expect(operations).toEqual(['createWebhook', 'deleteWebhook', 'getWebhook', 'listWebhookDeliveries', 'listWebhooks', 'updateWebhook']);
    expect(Object.keys(doc.paths['/api/v1/webhooks']!.post!.responses).sort()).toEqual(['201', '400', '401', '413', '415', '422']);
    expect(Object.keys(doc.paths['/api/v1/webhooks/{id}']!.patch!.responses).sort()).toEqual(['200', '400', '401', '404', '413', '415', '422']);
    expect(Object.keys(doc.paths['/api/v1/webhooks']!.post!.responses['201']!.links ?? {})).toEqual(['GetWebhook', 'UpdateWebhook', 'DeleteWebhook', 'ListDeliveries']);
    expect(doc.webhooks.runEvent?.post.operationId).toBe('runEvent');
    expect(doc.webhooks.runEvent?.post.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookEvent' } } } });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Webhook', 'WebhookCreated', 'WebhookCreate', 'WebhookPatch', 'WebhookPage', 'WebhookDelivery', 'WebhookDeliveryPage', 'WebhookEvent', 'WebhookEventRun']));
  });
});

describe('webhook bad input changes nothing', () => {
  const unchanged = async (work: () => Promise<void>) => {
    const before = await listed();
    await work();
    expect(await listed()).toEqual(before);
  };

  it.each([
    ['malformed JSON', { raw: '{"url": "https://hooks.example.com/"' }],
    ['no body', {}],
    ['a JSON array', { body: [] }],
    ['no url', { body: { events: ['run.paused'] } }],
    ['a url of the wrong type', { body: { url: 42 } }],
    ['a url that is not a URL', { body: { url: 'hooks.example.com/baton' } }],
    ['an ftp url', { body: { url: 'ftp://hooks.example.com/baton' } }],
    ['a file url', { body: { url: 'file:///etc/passwd' } }],
    ['a javascript url', { body: { url: 'javascript:alert(1)' } }],
    ['a url longer than 2048', { body: { url: `https://hooks.example.com/${'a'.repeat(2048)}` } }],
    ['events not a list', { body: { url: 'https://hooks.example.com/', events: 'run.paused' } }],
    ['an empty events list', { body: { url: 'https://hooks.example.com/', events: [] } }],
    ['an unknown event', { body: { url: 'https://hooks.example.com/', events: ['run.started'] } }],
    ['an unknown field', { body: { url: 'https://hooks.example.com/', secret: 'mine' } }],
    ['a NUL character', { raw: '{"url": "https://hooks.example.com/\\u0000"}' }],
  ])('POST with %s is 400 invalid_request', async (_what, request) => {
    await unchanged(async () => {
      expect(errorOf(await call('POST', '/webhooks', request))).toMatchObject({ status: 400, code: 'invalid_request' });
    });
  });

  it('POST sent as text/plain is 415 and stores nothing', async () => {
    await unchanged(async () => {
      expect(errorOf(await call('POST', '/webhooks', { raw: JSON.stringify({ url: 'https://hooks.example.com/' }), contentType: 'text/plain' }))).toMatchObject({ status: 415, code: 'invalid_request' });
    });
  });

  it('POST with a body over the limit is 413 payload_too_large', async () => {
    await unchanged(async () => {
      const body = { url: 'https://hooks.example.com/', events: Array.from({ length: 400 }, () => 'run.paused') };
      expect(JSON.stringify(body).length).toBeGreaterThan(maxBodyBytes);
      expect(errorOf(await call('POST', '/webhooks', { body }))).toMatchObject({ status: 413, code: 'payload_too_large' });
    });
  });

  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address; allow it with BATON_EGRESS_ALLOW/],
    ['http://169.254.169.254/latest/meta-data/', /link-local address/],
    ['https://intranet.example.com/hook', /intranet\.example\.com resolves to 10\.0\.0\.5, a private address/],
    ['http://[::1]:3000/', /::1 is a loopback address/],
    ['https://user:pw@hooks.example.com/', /carries a user name or password/],
    ['https://nowhere.example.com/', /nowhere\.example\.com does not resolve \(ENOTFOUND\)/],
    ['https://slow.example.com/', /slow\.example\.com did not resolve within 200 ms/],
  ])('POST with %s, which the egress policy refuses, is 422 egress_refused', async (url, message) => {
    await unchanged(async () => {
      const refused = errorOf(await call('POST', '/webhooks', { body: { url } }));
      expect(refused).toMatchObject({ status: 422, code: 'egress_refused' });
      expect(refused.message).toMatch(message);
    });
  });

  it('PATCH refuses bad input with 400, a refused URL with 422 and an oversize body with 413, and the webhook stays as it was', async () => {
    const hook = webhookCreatedSchema.parse((await call('POST', '/webhooks', { body: { url: 'https://hooks.example.com/p', events: ['run.paused'] } })).json);
    const { secret: _secret, ...stored } = hook;
    for (const [request, status, code] of [
      [{ raw: '{"url":' }, 400, 'invalid_request'],
      [{}, 400, 'invalid_request'],
      [{ body: { url: 'ftp://hooks.example.com/' } }, 400, 'invalid_request'],
      [{ body: { events: [] } }, 400, 'invalid_request'],
      [{ body: { events: ['run.paused', 'nope'] } }, 400, 'invalid_request'],
      [{ body: { url: null } }, 400, 'invalid_request'],
      [{ body: { secret: 'rotate-me' } }, 400, 'invalid_request'],
      [{ body: { url: 'http://10.1.2.3/' } }, 422, 'egress_refused'],
      [{ body: { url: 'http://127.0.0.1:1/', events: ['run.failed'] } }, 422, 'egress_refused'],
      [{ body: { url: `https://hooks.example.com/${'a'.repeat(maxBodyBytes)}` } }, 413, 'payload_too_large'],
    ] as const) {
      expect([request, errorOf(await call('PATCH', `/webhooks/${hook.id}`, request))]).toMatchObject([request, { status, code }]);
    }
    expect((await call('GET', `/webhooks/${hook.id}`)).json).toEqual(stored);
  });

  it.each([
    ['a negative page', '?page=-1'],
    ['a size over 100', '?size=101'],
    ['a size of 0', '?size=0'],
    ['a page that is not a number', '?page=abc'],
  ])('GET lists with %s are 400', async (_what, query) => {
    expect(errorOf(await call('GET', `/webhooks${query}`))).toMatchObject({ status: 400, code: 'invalid_request' });
    const hook = webhookCreatedSchema.parse((await call('POST', '/webhooks', { body: { url: 'https://hooks.example.com/q' } })).json);
    expect(errorOf(await call('GET', `/webhooks/${hook.id}/deliveries${query}`))).toMatchObject({ status: 400, code: 'invalid_request' });
  });
});
