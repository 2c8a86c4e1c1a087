// Webhooks in the composed runtimes, split as in production: `baton api` (which serves the
// endpoints and runs the sender) and `baton worker` (whose workflows record runs, filling the
// outbox) share a PostgreSQL; the worker's write reaches the API's sender through LISTEN/NOTIFY.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { webhookCreatedSchema, webhookEventSchema } from '../../src/domain/webhook.ts';
import { createClient, verifyWebhookSignature } from '../../src/sdk/index.ts';
import type { Store } from '../../src/store/open-store.ts';
import { startBatonStack, type BatonStack } from './baton-stack.ts';

let stack: BatonStack;
let workerStore: Store;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(204).end();
  });
});
let receiverUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/baton`;
  // The stacks allow 127.0.0.1 (BATON_EGRESS_ALLOW), where the receiver listens.
  stack = await startBatonStack({ name: 'webhooks', roles: 'split', projects: ['acme'] });
  workerStore = (await stack.startWorker()).store;
}, 120_000);
const servers: Server[] = [receiver];
afterAll(async () => {
  await stack?.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A receiver on 127.0.0.1 that answers 200, or never (`hang`); `open` counts requests still waiting. */
async function startReceiver(mode: 'answer' | 'hang') {
  const state = { url: '', events: [] as Array<{ headers: IncomingHttpHeaders; body: string }>, open: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      state.events.push({ headers: req.headers, body });
      if (mode === 'answer') {
        res.writeHead(200).end();
        return;
      }
      state.open += 1;
      res.on('close', () => { state.open -= 1; });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  return state;
}

const at = '2026-03-02T09:00:00.000Z';
function paused(runId: string): RunSnapshot {
  return {
    runId, project: 'acme', definitionId: 'wf-lead-router', definitionName: 'Lead router', agent: 'lead-router', sessionId: 'ses_1',
    status: 'paused', currentStepOrder: 2, result: null, error: null, version: 2, createdAt: at, updatedAt: at,
    steps: [{ name: 'classify', stepOrder: 1, type: 'agent', agentId: 'classifier', status: 'completed', input: null, output: { category: 'enterprise' }, startedAt: at, completedAt: at }],
    pendingAction: { step: 'approval', type: 'confirmation', message: 'Route to enterprise sales team?', options: ['approve', 'reject'] },
  };
}

describe('webhooks in baton api + baton worker', () => {
  it('creates webhooks through the SDK, refuses a URL the egress policy refuses, and delivers what a worker records', async () => {
    const client = createClient({ baseUrl: stack.url, apiKey: stack.keyOf('acme') });
    const hook = webhookCreatedSchema.parse(await client.webhooks.create({ url: receiverUrl, events: ['run.paused'] }));
    await expect(client.webhooks.create({ url: 'http://10.20.30.40/hook' })).rejects.toMatchObject({ status: 422, code: 'egress_refused' });
    await expect(client.webhooks.update(hook.id, { url: 'http://169.254.169.254/' })).rejects.toMatchObject({ status: 422, code: 'egress_refused' });
    expect((await client.webhooks.list()).content.map((w) => w.id)).toEqual([hook.id]);

    const runId = `wfr_${Date.now()}`;
    expect(await workerStore.runs.record(paused(runId))).toBe(true);
    await expect.poll(() => received.length, { timeout: 15_000, interval: 50 }).toBe(1);
    const [request] = received;
    expect(verifyWebhookSignature(hook.secret, request!.headers, request!.body)).toBe(true);
    expect(webhookEventSchema.parse(JSON.parse(request!.body))).toMatchObject({ type: 'run.paused', run: { run_id: runId, workflowId: 'wf-lead-router', output: { status: 'paused' } } });

    await expect.poll(async () => (await client.webhooks.deliveries(hook.id)).content.map((d) => [d.runId, d.status, d.lastResponseStatus]), { timeout: 15_000, interval: 50 })
      .toEqual([[runId, 'delivered', 204]]);
    await client.webhooks.delete(hook.id);
    await expect(client.webhooks.get(hook.id)).rejects.toMatchObject({ status: 404, code: 'webhook_not_found' });
  });

  it('announces a lead-router run, run.paused then run.completed, while a receiver that never answers holds its first event', async () => {
    const client = createClient({ baseUrl: stack.url, apiKey: stack.keyOf('acme') });
    const alive = await startReceiver('answer');
    const dead = await startReceiver('hang');
    const hook = await client.webhooks.create({ url: alive.url });
    const deadHook = await client.webhooks.create({ url: dead.url });
    const types = () => alive.events.map((event) => webhookEventSchema.parse(JSON.parse(event.body)).type);

    const run = await client.agents.workflow('lead-router', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } });
    expect(run.output.status).toBe('paused');
    await expect.poll(types, { timeout: 15_000, interval: 50 }).toEqual(['run.paused']);
    await expect.poll(() => dead.open, { timeout: 15_000, interval: 50 }).toBe(1);

    const done = await client.workflowRuns.resume(run.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
    // The run finished while the dead receiver still holds its first event: nothing waited on it.
    expect(done.output.status).toBe('completed');
    expect(dead.open).toBe(1);
    await expect.poll(types, { timeout: 15_000, interval: 50 }).toEqual(['run.paused', 'run.completed']);

    const [paused, completed] = alive.events.map((event) => ({ event: webhookEventSchema.parse(JSON.parse(event.body)), ...event }));
    for (const received of [paused!, completed!]) {
      expect(verifyWebhookSignature(hook.secret, received.headers, received.body)).toBe(true);
      expect(received.event.run).toMatchObject({ run_id: run.run_id, workflowId: 'wf-lead-router' });
    }
    expect(paused!.event.run.output).toMatchObject({ status: 'paused', pendingAction: { step: 'approval', type: 'confirmation', options: ['approve', 'reject', 'escalate'] } });
    expect(completed!.event.run.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales', leadId: 'lead-123', category: 'enterprise' } });
    // The run's events reach each webhook in order: the dead one has had only the first.
    expect(dead.events.map((event) => webhookEventSchema.parse(JSON.parse(event.body)).type)).toEqual(['run.paused']);
    expect((await client.webhooks.deliveries(deadHook.id)).content.map((d) => [d.type, d.status])).toEqual([['run.completed', 'pending'], ['run.paused', 'pending']]);
  });
});
