import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { signBatonRequest } from '../../src/security/request-signature.ts';
import { BatonApiError, createClient, verifyWebhookSignature, type V1ListRunsQuery, type WebhookEvent } from '../../src/sdk/index.ts';

// A real HTTP server that records each request and answers what the test queued: the SDK's
// contract is HTTP, so it is tested over a socket rather than with a stubbed fetch.
interface Recorded { method: string; url: string; headers: IncomingMessage['headers']; body: string }
interface Reply { status: number; body: string; headers?: Record<string, string> }

let server: Server;
let baseUrl: string;
const requests: Recorded[] = [];
let replies: Reply[] = [];

const run = { output: { status: 'paused', steps: [], result: null, pendingAction: null }, run_id: 'wfr_1' };
const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body: JSON.stringify(body), headers });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift() ?? json(200, run);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());
beforeEach(() => {
  requests.length = 0;
  replies = [];
});

describe('createClient', () => {
  it('starts a workflow with the documented body, the idempotency key, waitMs and the bearer key', async () => {
    const client = createClient({ baseUrl: `${baseUrl}/`, apiKey: 'secret-1' });
    const input = { task: 'Route this lead', state: { leadId: 'lead-123' } };
    expect(await client.agents.workflow('lead-router', { input, idempotencyKey: 'k-1', waitMs: 500 })).toStrictEqual(run);
    const [sent] = requests;
    expect(sent).toMatchObject({ method: 'POST', url: '/v1/agents/lead-router/workflow?waitMs=500' });
    expect(JSON.parse(sent!.body)).toStrictEqual({ input });
    expect(sent!.headers).toMatchObject({ authorization: 'Bearer secret-1', 'idempotency-key': 'k-1', 'content-type': 'application/json' });
  });

  it('sends no authorization or idempotency header when none is given', async () => {
    await createClient({ baseUrl }).agents.workflow('lead-router', { input: { task: 't' } });
    expect(requests[0]!.url).toBe('/v1/agents/lead-router/workflow');
    expect(requests[0]!.headers).not.toHaveProperty('authorization');
    expect(requests[0]!.headers).not.toHaveProperty('idempotency-key');
  });

  it('addresses runs by escaped id for resume, get and delete', async () => {
    const client = createClient({ baseUrl });
    await client.workflowRuns.resume('wfr_a/b', { input: { resume: { step: 'approval', input: 'approve' } } });
    await client.workflowRuns.get('wfr_1');
    await client.workflowRuns.delete('wfr_1');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toStrictEqual([
      'POST /v1/workflow-runs/wfr_a%2Fb/resume',
      'GET /v1/workflow-runs/wfr_1',
      'DELETE /v1/workflow-runs/wfr_1',
    ]);
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({ input: { resume: { step: 'approval', input: 'approve' } } });
    expect(requests[1]!.body).toBe('');
    expect(requests[0]!.headers).not.toHaveProperty('idempotency-key');
  });

  it('sends a resume\'s idempotency key as the Idempotency-Key header', async () => {
    const client = createClient({ baseUrl });
    await client.workflowRuns.resume('wfr_1', { input: { resume: { step: 'approval', input: 'approve' } }, idempotencyKey: 'approve-1' });
    expect(requests[0]!.headers).toMatchObject({ 'idempotency-key': 'approve-1' });
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({ input: { resume: { step: 'approval', input: 'approve' } } });
  });

  it('lists with only the filters given', async () => {
    const page = { data: [], next_cursor: null };
    replies = [json(200, page), json(200, page)];
    const client = createClient({ baseUrl });
    expect(await client.workflowRuns.list()).toStrictEqual(page);
    await client.workflowRuns.list({ status: 'paused', agent: 'lead-router', limit: 5, cursor: 'c 1' });
    expect(requests.map((r) => r.url)).toStrictEqual([
      '/v1/workflow-runs',
      '/v1/workflow-runs?status=paused&agent=lead-router&limit=5&cursor=c+1',
    ]);
  });

  it('rejects with a BatonApiError carrying the code, status, details and Retry-After', async () => {
    const details = { allowed: ['approve', 'reject'] };
    replies = [
      json(422, { error: { code: 'invalid_resume_input', message: 'not an option', details } }),
      json(503, { error: { code: 'engine_unavailable', message: 'Temporal is unreachable' } }, { 'retry-after': '5' }),
    ];
    const client = createClient({ baseUrl });
    const rejected = await client.workflowRuns.resume('wfr_1', { input: { resume: { step: 'approval', input: 'maybe' } } }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(BatonApiError);
    expect(rejected).toMatchObject({ code: 'invalid_resume_input', status: 422, message: 'not an option', details, retryAfter: null });
    await expect(client.workflowRuns.get('wfr_1')).rejects.toMatchObject({ code: 'engine_unavailable', status: 503, retryAfter: 5 });
  });

  it('reports a body that is not a Baton error as http_error with its status', async () => {
    replies = [{ status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } }];
    await expect(createClient({ baseUrl }).workflowRuns.get('wfr_1')).rejects.toMatchObject({
      name: 'BatonApiError', code: 'http_error', status: 502, message: 'HTTP 502: <html>Bad gateway</html>',
    });
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const client = createClient({ baseUrl, fetch: (url, init) => (seen.push(url as string), fetch(url, init)) });
    await client.workflowRuns.get('wfr_1');
    expect(seen).toStrictEqual([`${baseUrl}/v1/workflow-runs/wfr_1`]);
  });
});

describe('client.webhooks', () => {
  it('calls the Agent Manager API\'s webhook routes with escaped ids, bodies and page options', async () => {
    const hook = { id: 'whk_1', url: 'https://hooks.example.com/', events: ['run.paused'], createdAt: 't', updatedAt: 't' };
    const page = { content: [], totalElements: 0, totalPages: 0 };
    replies = [json(201, { ...hook, secret: 'whsec_x' }), json(200, page), json(200, hook), json(200, hook), { status: 204, body: '' }, json(200, page)];
    const client = createClient({ baseUrl, apiKey: 'k' });
    expect(await client.webhooks.create({ url: hook.url, events: ['run.paused'] })).toStrictEqual({ ...hook, secret: 'whsec_x' });
    expect(await client.webhooks.list({ page: 1, size: 5 })).toStrictEqual(page);
    expect(await client.webhooks.get('whk_a/b')).toStrictEqual(hook);
    expect(await client.webhooks.update('whk_1', { events: ['run.failed'] })).toStrictEqual(hook);
    expect(await client.webhooks.delete('whk_1')).toBeUndefined();
    expect(await client.webhooks.deliveries('whk_1', { size: 50 })).toStrictEqual(page);
    expect(requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toStrictEqual([
      'POST /api/v1/webhooks {"url":"https://hooks.example.com/","events":["run.paused"]}',
      'GET /api/v1/webhooks?page=1&size=5 ',
      'GET /api/v1/webhooks/whk_a%2Fb ',
      'PATCH /api/v1/webhooks/whk_1 {"events":["run.failed"]}',
      'DELETE /api/v1/webhooks/whk_1 ',
      'GET /api/v1/webhooks/whk_1/deliveries?size=50 ',
    ]);
    expect(requests[0]!.headers).toMatchObject({ authorization: 'Bearer k', 'content-type': 'application/json' });
  });

  it('rejects a refused webhook URL with the documented code', async () => {
    replies = [json(422, { error: { code: 'egress_refused', message: 'Baton may not send to this URL', details: { host: '10.0.0.1' } } })];
    await expect(createClient({ baseUrl }).webhooks.create({ url: 'http://10.0.0.1/' })).rejects.toMatchObject({ code: 'egress_refused', status: 422, details: { host: '10.0.0.1' } });
  });
});

describe('verifyWebhookSignature', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1","type":"run.paused"}';
  const now = 1_767_000_000_000;
  const timestamp = String(now / 1000);
  const signature = signBatonRequest(secret, timestamp, body);

  it('accepts Node\'s req.headers, a fetch Headers and mixed-case keys', () => {
    expect(verifyWebhookSignature(secret, { 'x-baton-timestamp': timestamp, 'x-baton-signature': signature }, body, { nowMs: now })).toBe(true);
    expect(verifyWebhookSignature(secret, new Headers({ 'X-Baton-Timestamp': timestamp, 'X-Baton-Signature': signature }), body, { nowMs: now })).toBe(true);
    expect(verifyWebhookSignature(secret, { 'X-Baton-Timestamp': [timestamp], 'X-Baton-Signature': signature }, body, { nowMs: now })).toBe(true);
  });

  it('refuses another secret, a changed body, a missing header and an old timestamp', () => {
    const headers = { 'x-baton-timestamp': timestamp, 'x-baton-signature': signature };
    expect(verifyWebhookSignature('whsec_other', headers, body, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature(secret, headers, body.replace('paused', 'completed'), { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature(secret, { 'x-baton-signature': signature }, body, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature(secret, { 'x-baton-timestamp': timestamp }, body, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature(secret, headers, body, { nowMs: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, headers, body, { nowMs: now + 301_000, toleranceSeconds: 600 })).toBe(true);
  });

  it('types the event body receivers parse', () => {
    expectTypeOf<WebhookEvent['type']>().toEqualTypeOf<'run.paused' | 'run.completed' | 'run.failed' | 'run.cancelled' | 'run.answered' | 'run.reminder'>();
    expectTypeOf<WebhookEvent['run']['workflowId']>().toEqualTypeOf<string>();
    expectTypeOf<WebhookEvent['run']['run_id']>().toEqualTypeOf<string>();
  });
});

describe('SDK types', () => {
  it('are the zod schemas of src/domain/v1-api.ts', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:1' });
    type Run = Awaited<ReturnType<typeof client.agents.workflow>>;
    expectTypeOf<Run['run_id']>().toEqualTypeOf<string>();
    expectTypeOf<Run['output']['status']>().toEqualTypeOf<'running' | 'paused' | 'completed' | 'failed' | 'cancelled'>();
    expectTypeOf<Parameters<typeof client.workflowRuns.list>[0]>().toEqualTypeOf<V1ListRunsQuery | undefined>();
    // @ts-expect-error task is required, as the v1 specification says
    void client.agents.workflow('lead-router', { input: { state: {} } }).catch(() => undefined);
  });
});
