// Webhooks in the composed runtimes, split as in production: `baton api` (which serves the
// endpoints and runs the sender) and `baton worker` (which records runs, filling the outbox) share
// a PostgreSQL; the worker's write reaches the API's sender through LISTEN/NOTIFY.
import { createServer, type IncomingHttpHeaders } from 'node:http';
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
afterAll(async () => {
  await stack?.close();
  receiver.closeAllConnections();
  receiver.close();
});

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
});
