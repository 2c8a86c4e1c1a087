import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toV1Run } from '../../src/domain/v1-shape.ts';
import type { RunSnapshot, RunStatus } from '../../src/domain/run.ts';
import { webhookEventSchema, type WebhookCreate, type WebhookEventType } from '../../src/domain/webhook.ts';
import { verifyWebhookSignature } from '../../src/sdk/index.ts';
import { createEgressPolicy, type EgressPolicy } from '../../src/security/egress-policy.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { createLocalRunFeed } from '../../src/store/run-feed.ts';
import { createRunRepository } from '../../src/store/runs.ts';
import { createWebhookRepository, webhookEventId } from '../../src/store/webhooks.ts';
import { createWebhookSender, webhookRetryDelayMs, webhookSenderDefaults, type WebhookSender, type WebhookSenderOptions } from '../../src/webhooks/webhook-sender.ts';
import { backends, dropSchema, postgresUrl, uniqueProject, uniqueSchema } from './store-backends.ts';
import { eventually } from './engine-harness.ts';

// Webhook delivery end to end below the API: snapshots recorded in the real store (PGlite and
// PostgreSQL) fill the outbox, and a real sender POSTs to real HTTP receivers on 127.0.0.1, which
// the egress allow-list permits. Backoffs are shortened through the sender's options.

interface Received {
  /** The request's path and query: tells apart webhooks that share a receiver. */
  path: string;
  eventId: string;
  type: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Order of arrival across every receiver of the test file. */
  seq: number;
  answered: number | 'hang';
}
type Answer = (request: { eventId: string; type: string; body: string }, earlier: Received[]) => number | 'hang';

/** The event a request carried, checked against its schema. */
const eventOf = (request: { body: string }) => webhookEventSchema.parse(JSON.parse(request.body));

let arrivals = 0;
const receivers: Array<{ close: () => void }> = [];

async function startReceiver(answer: Answer = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const eventId = String(req.headers['x-baton-event-id']);
      const type = String(req.headers['x-baton-event']);
      const answered = answer({ eventId, type, body }, received.filter((r) => r.eventId === eventId));
      received.push({ path: req.url ?? '', eventId, type, headers: req.headers, body, seq: ++arrivals, answered });
      if (answered === 'hang') return;
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered >= 300 ? `receiver says ${answered}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  receivers.push({ close });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}


const created = Date.parse('2026-03-02T09:00:00.000Z');
/** A lead-router run as the workflow records it: paused at the approval, then finished. */
function snapshot(project: string, runId: string, status: RunStatus, version: number): RunSnapshot {
  const at = (offset: number) => new Date(created + offset * 1000).toISOString();
  const classify = { name: 'classify', stepOrder: 1, type: 'agent' as const, agentId: 'classifier', status: 'completed' as const, input: { task: 'Route lead-123' }, output: { category: 'enterprise', score: 0.92 }, startedAt: at(0), completedAt: at(1) };
  const approval = { name: 'approval', stepOrder: 2, type: 'approval' as const, agentId: null, input: null, startedAt: at(1) };
  const paused = status === 'paused';
  return {
    runId,
    project,
    definitionId: 'wf-lead-router',
    definitionName: 'Lead router',
    agent: 'lead-router',
    sessionId: `ses_${runId}`,
    status,
    steps: [classify, paused ? { ...approval, status: 'running', output: undefined, completedAt: null } : { ...approval, status: status === 'completed' ? 'completed' : 'cancelled', output: 'approve', completedAt: at(version) }],
    currentStepOrder: 2,
    result: status === 'completed' ? { routedTo: 'enterprise-sales' } : undefined,
    pendingAction: paused ? { step: 'approval', type: 'confirmation', message: 'Route to enterprise sales team?', options: ['approve', 'reject'] } : null,
    error: status === 'failed' ? { code: 'step_failed', message: 'the CRM refused the lead', step: 'approval' } : null,
    version,
    createdAt: at(0),
    updatedAt: at(version),
  };
}

const newRunId = () => `wfr_${randomBytes(8).toString('hex')}`;
// What the senders log; a line other than a give-up fails the test (an outbox query that failed, say).
const logs: string[] = [];
const fast: Partial<WebhookSenderOptions> = { initialBackoffMs: 20, maxBackoffMs: 100, pollIntervalMs: 200, log: (line) => logs.push(line) };
afterEach(() => {
  const unexpected = logs.splice(0).filter((line) => !/^webhooks: gave up on event evt_\w+ \(run\.paused, run wfr_\w+\) for webhook whk_\w+ after \d+ attempts: answered 503/.test(line));
  expect(unexpected).toEqual([]);
});

describe('retry waits', () => {
  it('double from the first wait up to the cap, as documented', () => {
    const { initialBackoffMs, maxBackoffMs } = webhookSenderDefaults;
    expect([1, 2, 3, 4, 10, 11, 12, 1000].map((attempt) => webhookRetryDelayMs(attempt, { initialBackoffMs, maxBackoffMs }))).toEqual([
      1_000, 2_000, 4_000, 8_000, 512_000, 600_000, 600_000, 600_000,
    ]);
    expect(webhookSenderDefaults).toMatchObject({ retryForMs: 24 * 3600_000, attemptTimeoutMs: 10_000 });
  });
});

describe.each(backends)('webhook delivery on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  let egress: EgressPolicy;
  const senders: WebhookSender[] = [];
  // Deleted after each test with their pending deliveries, so no test's sender retries another's.
  const hooks: Array<{ project: string; id: string }> = [];

  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
    egress = createEgressPolicy(['127.0.0.1']);
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((sender) => sender.stop()));
    for (const receiver of receivers.splice(0)) receiver.close();
    for (const { project, id } of hooks.splice(0)) await store.webhooks.delete(project, id).catch(() => {});
  });
  afterAll(async () => {
    await egress?.close();
    await dispose?.();
  });

  function startSender(options: Partial<WebhookSenderOptions> = {}): WebhookSender {
    const sender = createWebhookSender({ store, egress, ...fast, ...options });
    senders.push(sender);
    sender.start();
    return sender;
  }

  async function webhook(project: string, input: WebhookCreate) {
    const created = await store.webhooks.create(project, input);
    hooks.push({ project, id: created.id });
    return created;
  }

  async function deliveryOf(project: string, webhookId: string, eventId: string) {
    const page = await store.webhooks.deliveries(project, webhookId, { page: 0, size: 100 });
    const found = page.content.find((delivery) => delivery.eventId === eventId);
    if (!found) throw new Error(`no delivery of ${eventId}`);
    return found;
  }

  it('POSTs a signed run.paused, then run.completed, with the v1 run shape and its workflow id', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver();
    const hook = await webhook(project, { url: receiver.url });
    startSender();
    const runId = newRunId();
    const paused = snapshot(project, runId, 'paused', 2);
    const completed = snapshot(project, runId, 'completed', 3);
    expect(await store.runs.record(paused)).toBe(true);
    await eventually(async () => expect(receiver.received).toHaveLength(1));
    expect(await store.runs.record(completed)).toBe(true);
    await eventually(async () => expect(receiver.received).toHaveLength(2));

    const expected: Array<[WebhookEventType, RunSnapshot]> = [['run.paused', paused], ['run.completed', completed]];
    for (const [index, [type, recorded]] of expected.entries()) {
      const request = receiver.received[index]!;
      expect(verifyWebhookSignature(hook.secret, request.headers, request.body)).toBe(true);
      expect(verifyWebhookSignature('whsec_another', request.headers, request.body)).toBe(false);
      expect(verifyWebhookSignature(hook.secret, request.headers, request.body.replace('approve', 'APPROVE'))).toBe(false);
      expect(request.headers['x-baton-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(request.headers['content-type']).toBe('application/json');
      const id = webhookEventId(project, runId, recorded.version, type);
      expect(request.headers).toMatchObject({ 'x-baton-event-id': id, 'x-baton-event': type });
      eventOf(request);
      // Exactly the v1 run body (as JSON carries it) and the workflow id, nothing else.
      const v1Run = JSON.parse(JSON.stringify(toV1Run(recorded))) as object;
      expect(JSON.parse(request.body) as unknown).toStrictEqual({ id, type, createdAt: recorded.updatedAt, run: { ...v1Run, workflowId: 'wf-lead-router' } });
    }
    expect(eventOf(receiver.received[0]!).run.output).toMatchObject({ status: 'paused', pendingAction: { step: 'approval', options: ['approve', 'reject'] } });
    expect(eventOf(receiver.received[1]!).run.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales' } });

    const page = await store.webhooks.deliveries(project, hook.id, { page: 0, size: 20 });
    expect(page.totalElements).toBe(2);
    // Newest first.
    expect(page.content.map((d) => [d.type, d.status, d.attempts, d.lastResponseStatus, d.lastError, d.nextAttemptAt])).toEqual([
      ['run.completed', 'delivered', 1, 200, null, null],
      ['run.paused', 'delivered', 1, 200, null, null],
    ]);
    expect(page.content[0]!.deliveredAt).not.toBeNull();
    expect(page.content[0]!.runId).toBe(runId);
  });

  it('retries a receiver that answers 500 three times: one success, the same event id on every attempt, and the run\'s next event only after it', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver((request, earlier) => (request.type === 'run.paused' && earlier.length < 3 ? 500 : 200));
    const hook = await webhook(project, { url: receiver.url });
    const observed: string[] = [];
    startSender({ observe: (outcome, seconds) => { if (seconds >= 0) observed.push(outcome); } });
    const runId = newRunId();
    await store.runs.record(snapshot(project, runId, 'paused', 2));
    await store.runs.record(snapshot(project, runId, 'completed', 3));
    const pausedId = webhookEventId(project, runId, 2, 'run.paused');
    const completedId = webhookEventId(project, runId, 3, 'run.completed');
    await eventually(async () => expect((await deliveryOf(project, hook.id, completedId)).status).toBe('delivered'));

    const paused = receiver.received.filter((r) => r.type === 'run.paused');
    expect(paused.map((r) => [r.eventId, r.answered])).toEqual([[pausedId, 500], [pausedId, 500], [pausedId, 500], [pausedId, 200]]);
    expect(new Set(paused.map((r) => eventOf(r).id))).toEqual(new Set([pausedId]));
    for (const request of paused) expect(verifyWebhookSignature(hook.secret, request.headers, request.body)).toBe(true);
    const completed = receiver.received.filter((r) => r.type === 'run.completed');
    expect(completed.map((r) => r.answered)).toEqual([200]);
    expect(completed[0]!.seq).toBeGreaterThan(paused[3]!.seq);

    expect(await deliveryOf(project, hook.id, pausedId)).toMatchObject({ status: 'delivered', attempts: 4, lastResponseStatus: 200, lastError: null, nextAttemptAt: null });
    // Delivered is final: the completed event went out after it, and the paused one was not sent again.
    expect(receiver.received.filter((r) => r.eventId === pausedId && r.answered === 200)).toHaveLength(1);
    // What the baton_webhook_deliveries_total metric counts: every attempt, by outcome.
    expect(observed).toEqual(['retrying', 'retrying', 'retrying', 'delivered', 'delivered']);
  });

  it('shows a failing attempt in the deliveries list while it retries', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver(() => 500);
    const hook = await webhook(project, { url: receiver.url });
    startSender({ initialBackoffMs: 60_000, maxBackoffMs: 600_000 });
    const runId = newRunId();
    await store.runs.record(snapshot(project, runId, 'failed', 4));
    const eventId = webhookEventId(project, runId, 4, 'run.failed');
    const delivery = await eventually(async () => {
      const found = await deliveryOf(project, hook.id, eventId);
      expect(found.attempts).toBe(1);
      return found;
    });
    expect(delivery).toMatchObject({ type: 'run.failed', status: 'pending', lastResponseStatus: 500, lastError: 'answered 500: receiver says 500' });
    expect(Date.parse(delivery.nextAttemptAt!) - Date.parse(delivery.lastAttemptAt!)).toBe(60_000);
  });

  it('does not let a receiver that never answers hold up another webhook\'s deliveries, nor the writes that enqueue them', async () => {
    const project = uniqueProject();
    const dead = await startReceiver(() => 'hang');
    const alive = await startReceiver();
    await webhook(project, { url: dead.url });
    await webhook(project, { url: alive.url });
    startSender({ attemptTimeoutMs: 60_000 });
    const runIds = [newRunId(), newRunId(), newRunId(), newRunId(), newRunId()];
    for (const runId of runIds) {
      const began = performance.now();
      expect(await store.runs.record(snapshot(project, runId, 'paused', 2))).toBe(true);
      // The write only inserts outbox rows; nothing waits on a receiver.
      expect(performance.now() - began).toBeLessThan(2_000);
    }
    await eventually(async () => expect(alive.received.map((r) => eventOf(r).run.run_id).sort()).toEqual([...runIds].sort()));
    // The dead receiver holds at most its share of the sender's slots, every one still unanswered.
    expect(dead.received.length).toBeGreaterThan(0);
    expect(dead.received.length).toBeLessThanOrEqual(2);
    expect(dead.received.every((r) => r.answered === 'hang')).toBe(true);
  });

  it('gives up after the retry period (failed), then sends the run\'s next event', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver((request) => (request.type === 'run.paused' ? 503 : 200));
    const hook = await webhook(project, { url: receiver.url });
    startSender({ retryForMs: 300, initialBackoffMs: 20, maxBackoffMs: 40 });
    const runId = newRunId();
    await store.runs.record(snapshot(project, runId, 'paused', 2));
    await store.runs.record(snapshot(project, runId, 'cancelled', 3));
    const pausedId = webhookEventId(project, runId, 2, 'run.paused');
    await eventually(async () => expect((await deliveryOf(project, hook.id, webhookEventId(project, runId, 3, 'run.cancelled'))).status).toBe('delivered'));
    const paused = await deliveryOf(project, hook.id, pausedId);
    expect(paused).toMatchObject({ status: 'failed', lastResponseStatus: 503, lastError: 'answered 503: receiver says 503', nextAttemptAt: null, deliveredAt: null });
    expect(paused.attempts).toBeGreaterThanOrEqual(1);
    expect(receiver.received.filter((r) => r.eventId === pausedId)).toHaveLength(paused.attempts);
  });

  it('sends only the subscribed event types, and nothing for a deleted webhook', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver();
    const finished = await webhook(project, { url: receiver.url, events: ['run.completed', 'run.failed'] });
    const removed = await webhook(project, { url: `${receiver.url}?removed` });
    await store.runs.record(snapshot(project, newRunId(), 'paused', 2));
    const runId = newRunId();
    await store.runs.record(snapshot(project, runId, 'completed', 3));
    await store.webhooks.delete(project, removed.id);
    startSender();
    await eventually(async () => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0]).toMatchObject({ type: 'run.completed', eventId: webhookEventId(project, runId, 3, 'run.completed') });
    // A run still running announces nothing, and other projects' runs reach no webhook here.
    await store.runs.record({ ...snapshot(project, newRunId(), 'paused', 1), status: 'running', pendingAction: null });
    const elsewhere = newRunId();
    await store.runs.record(snapshot(uniqueProject(), elsewhere, 'completed', 3));
    const last = newRunId();
    await store.runs.record(snapshot(project, last, 'failed', 5));
    await eventually(async () => expect(receiver.received).toHaveLength(2));
    expect(receiver.received[1]).toMatchObject({ type: 'run.failed', eventId: webhookEventId(project, last, 5, 'run.failed') });
    expect((await store.webhooks.deliveries(project, finished.id, { page: 0, size: 10 })).totalElements).toBe(2);
  });

  it('keeps events in the outbox until a sender runs, and a sender stopped mid-attempt leaves the delivery for the next one', async () => {
    const project = uniqueProject();
    let answer: number | 'hang' = 'hang';
    const receiver = await startReceiver(() => answer);
    const hook = await webhook(project, { url: receiver.url });
    const runId = newRunId();
    // Recorded while no sender runs (a worker process, or the API down).
    await store.runs.record(snapshot(project, runId, 'paused', 2));
    const eventId = webhookEventId(project, runId, 2, 'run.paused');
    expect(await deliveryOf(project, hook.id, eventId)).toMatchObject({ status: 'pending', attempts: 0 });

    const first = startSender({ attemptTimeoutMs: 60_000 });
    await eventually(async () => expect(receiver.received).toHaveLength(1));
    await first.stop();
    expect(await deliveryOf(project, hook.id, eventId)).toMatchObject({ status: 'pending', attempts: 0 });

    answer = 204;
    startSender();
    await eventually(async () => expect(await deliveryOf(project, hook.id, eventId)).toMatchObject({ status: 'delivered', attempts: 1, lastResponseStatus: 204 }));
    expect(receiver.received.map((r) => r.eventId)).toEqual([eventId, eventId]);
  });

  it('enqueues an event once however often its snapshot is recorded', async () => {
    const project = uniqueProject();
    const receiver = await startReceiver();
    const hook = await webhook(project, { url: receiver.url });
    const runId = newRunId();
    const paused = snapshot(project, runId, 'paused', 2);
    expect(await store.runs.record(paused)).toBe(true);
    expect(await store.runs.record(paused)).toBe(false);
    expect(await store.runs.record(snapshot(project, runId, 'paused', 1))).toBe(false);
    expect((await store.webhooks.deliveries(project, hook.id, { page: 0, size: 10 })).totalElements).toBe(1);
  });
});

describe.each(backends)('the webhook outbox on $name', (backend) => {
  it('enqueues a settle once even when its row is lost and the same snapshot lands again', async () => {
    const { db, schema, dispose } = await backend.rawFresh();
    try {
      await migrate(db, schema ? { schema } : {});
      const webhooks = createWebhookRepository(db);
      const runs = createRunRepository(db, { feed: createLocalRunFeed(), settledOutbox: (run) => webhooks.settledOutbox(run) });
      const project = uniqueProject();
      const hook = await webhooks.create(project, { url: 'https://hooks.example.com/' });
      const other = await webhooks.create(project, { url: 'https://other.example.com/', events: ['run.completed'] });
      const paused = snapshot(project, newRunId(), 'paused', 2);
      expect(await runs.record(paused)).toBe(true);
      await db.deleteFrom('runs').where('run_id', '=', paused.runId).execute();
      expect(await runs.record(paused)).toBe(true);
      const page = await webhooks.deliveries(project, hook.id, { page: 0, size: 10 });
      expect(page.content.map((d) => [d.eventId, d.status])).toEqual([[webhookEventId(project, paused.runId, 2, 'run.paused'), 'pending']]);
      // A webhook that did not subscribe to the event gets no delivery of it.
      expect((await webhooks.deliveries(project, other.id, { page: 0, size: 10 })).totalElements).toBe(0);
    } finally {
      await dispose();
    }
  });
});

describe('several API processes on one PostgreSQL', () => {
  it('deliver every event exactly once between them', async () => {
    const schema = uniqueSchema();
    const stores = [await openStore({ databaseUrl: postgresUrl, schema }), await openStore({ databaseUrl: postgresUrl, schema })];
    const egress = createEgressPolicy(['127.0.0.1']);
    const senders = stores.map((store) => createWebhookSender({ store, egress, ...fast }));
    try {
      const project = uniqueProject();
      const receiver = await startReceiver();
      const first = stores[0]!;
      await first.webhooks.create(project, { url: receiver.url });
      await first.webhooks.create(project, { url: `${receiver.url}?second` });
      for (const sender of senders) sender.start();
      const runIds = Array.from({ length: 15 }, newRunId);
      // Written from both stores, as two API processes (or workers) would.
      await Promise.all(runIds.map(async (runId, index) => {
        const writer = stores[index % 2]!;
        await writer.runs.record(snapshot(project, runId, 'paused', 2));
        await writer.runs.record(snapshot(project, runId, 'completed', 3));
      }));
      await eventually(async () => expect(receiver.received).toHaveLength(runIds.length * 2 * 2));
      // Two webhooks on one receiver: each event once per webhook, never more.
      const keys = receiver.received.map((r) => `${r.path} ${r.eventId}`);
      expect(new Set(keys).size).toBe(keys.length);
      // Per run and webhook, paused before completed.
      for (const runId of runIds) {
        for (const path of ['/hook', '/hook?second']) {
          const seen = receiver.received.filter((r) => r.path === path && eventOf(r).run.run_id === runId).map((r) => r.type);
          expect([runId, path, seen]).toEqual([runId, path, ['run.paused', 'run.completed']]);
        }
      }
    } finally {
      await Promise.all(senders.map((sender) => sender.stop()));
      for (const receiver of receivers.splice(0)) receiver.close();
      await egress.close();
      for (const store of stores) await store.close();
      await dropSchema(schema);
    }
  });
});
