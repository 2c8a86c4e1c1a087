// The run event streams over real HTTP on the real app, fed by a real store (embedded PGlite)
// whose read model the test writes as the workflow would. Every run here is in the read model, so
// the engine is never asked (test/contract/v1-run-events.test.ts covers the composed stack).
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createEventStream } from '../../api/event-stream.ts';
import { createRunEventHub, type RunEventHub } from '../../api/run-event-hub.ts';
import { createV1RunEventRoutes } from '../../api/routes/v1-run-events.ts';
import { toV1Run } from '../../src/domain/v1-shape.ts';
import { createAgentManagerRunEventRoutes } from '../../api/routes/workflow-run-events.ts';
import { toAgentManagerRunDetail } from '../../src/domain/agent-manager-runs.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { leadRouterSnapshot, newRunId } from '../fixtures/run-snapshots.ts';
import type { ServerSentEvent } from '../../src/sdk/sse.ts';
import { openEventStream, type EventStreamClient } from '../fixtures/sse-client.ts';
import { eventually } from './engine-harness.ts';

const maxStreams = 3;
const heartbeatMs = 150;
const keys = new Map([['key-a', 'alpha'], ['key-b', 'beta']]);
const auth = (key = 'key-a') => ({ authorization: `Bearer ${key}` });

let store: Store;
let hub: RunEventHub;
let server: ServerType;
let url: string;
const opened: EventStreamClient[] = [];

const engineNotAsked = { get: () => { throw new Error('every run of this test is in the read model'); } } as unknown as Pick<RunService, 'get'>;

beforeAll(async () => {
  store = await openStore();
  hub = createRunEventHub({ feed: store.runFeed, runs: store.runs, maxStreams, heartbeatMs });
  const app = createApp({
    apiKeys: keys,
    maxBodyBytes: 4096,
    readiness: {},
    routes: [
      { path: '/v1', app: createV1RunEventRoutes({ runs: engineNotAsked, store, runEvents: hub }) },
      { path: '/api/v1', app: createAgentManagerRunEventRoutes({ runs: engineNotAsked, store, runEvents: hub }) },
    ],
  });
  server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  // Every test leaves the hub as it found it: no stream outlives its client.
  await eventually(async () => expect(hub.size).toBe(0), 5_000);
});

afterAll(async () => {
  hub?.close();
  await new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
  await store?.close();
});

async function open(path: string, headers: Record<string, string> = auth()) {
  const stream = await openEventStream(`${url}${path}`, headers);
  opened.push(stream);
  return stream;
}

/** The event a snapshot makes, with its data parsed (the store keeps JSON as jsonb, which may reorder keys). */
function runEvent(snapshot: ReturnType<typeof leadRouterSnapshot>, toData: (s: typeof snapshot) => unknown = toV1Run) {
  return { event: 'run', id: `${snapshot.runId}:${snapshot.version}`, data: toData(snapshot) };
}

function parsed(event: ServerSentEvent) {
  return { ...event, data: JSON.parse(event.data) as unknown };
}

describe('GET /v1/workflow-runs/events', () => {
  it('sends each change of the caller\'s project\'s runs as `event: run`, `id: <runId>:<version>` and the v1 run body, and nothing of other projects', async () => {
    const stream = await open('/v1/workflow-runs/events');
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache');
    const [mine, theirs] = [newRunId(), newRunId()];
    const running = leadRouterSnapshot('alpha', mine, 1, 'running');
    const paused = leadRouterSnapshot('alpha', mine, 2, 'paused');
    await store.runs.record(leadRouterSnapshot('beta', theirs, 1, 'running'));
    await store.runs.record(running);
    await store.runs.record(leadRouterSnapshot('beta', theirs, 2, 'paused'));
    expect(parsed(await stream.next())).toEqual(runEvent(running));
    await store.runs.record(paused);
    expect(parsed(await stream.next())).toEqual(runEvent(paused));
    // A stale write (an older version) does not land, so nothing is sent for it.
    expect(await store.runs.record(leadRouterSnapshot('alpha', mine, 1, 'running'))).toBe(false);
    const completed = leadRouterSnapshot('alpha', mine, 3, 'completed');
    await store.runs.record(completed);
    expect(parsed(await stream.next())).toEqual(runEvent(completed));
    expect(JSON.parse((stream.events[1]!).data)).toMatchObject({ run_id: mine, output: { status: 'paused', pendingAction: { step: 'approval' } } });
    expect(stream.events.map((event) => event.id)).toEqual([`${mine}:1`, `${mine}:2`, `${mine}:3`]);
  });

  it('keeps only changes whose new state matches ?status= and ?agent=', async () => {
    const paused = await open('/v1/workflow-runs/events?status=paused');
    const other = await open('/v1/workflow-runs/events?agent=other-agent');
    const [a, b] = [newRunId(), newRunId()];
    await store.runs.record(leadRouterSnapshot('alpha', a, 1, 'running'));
    await store.runs.record(leadRouterSnapshot('alpha', b, 1, 'running', { agent: 'other-agent' }));
    await store.runs.record(leadRouterSnapshot('alpha', a, 2, 'paused'));
    await store.runs.record(leadRouterSnapshot('alpha', b, 2, 'paused', { agent: 'other-agent' }));
    await store.runs.record(leadRouterSnapshot('alpha', a, 3, 'completed'));
    await store.runs.record(leadRouterSnapshot('alpha', b, 3, 'completed', { agent: 'other-agent' }));
    expect([(await paused.next()).id, (await paused.next()).id]).toEqual([`${a}:2`, `${b}:2`]);
    expect([(await other.next()).id, (await other.next()).id, (await other.next()).id]).toEqual([`${b}:1`, `${b}:2`, `${b}:3`]);
    // The completions came after the pauses: had the paused stream sent them, they would be here by now.
    expect(paused.events).toHaveLength(2);
  });

  it('sends a comment while nothing changes, so proxies keep the connection open', async () => {
    const stream = await open('/v1/workflow-runs/events');
    await eventually(async () => expect(stream.raw().match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2), 5_000);
    expect(stream.raw().startsWith(': connected\n\n')).toBe(true);
    expect(stream.events).toEqual([]);
  });

  it('ends after ?timeoutMs=, and forgets a client that disconnects', async () => {
    const timed = await open('/v1/workflow-runs/events?timeoutMs=300');
    const left = await open('/v1/workflow-runs/events');
    expect(hub.size).toBe(2);
    await timed.ended;
    left.close();
    await eventually(async () => expect(hub.size).toBe(0), 5_000);
  });

  it('refuses more than BATON_MAX_EVENT_STREAMS open streams with 503 too_many_streams and Retry-After, and takes one again once a stream closes', async () => {
    const streams = [await open('/v1/workflow-runs/events'), await open('/v1/workflow-runs/events?status=paused'), await open('/v1/workflow-runs/events', auth('key-b'))];
    expect(streams.map((stream) => stream.response.status)).toEqual([200, 200, 200]);
    const refused = await fetch(`${url}/v1/workflow-runs/events`, { headers: auth() });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    const runId = newRunId();
    await store.runs.record(leadRouterSnapshot('alpha', runId, 1, 'paused'));
    const refusedRun = await fetch(`${url}/v1/workflow-runs/${runId}/events`, { headers: auth() });
    expect(refusedRun.status).toBe(503);
    await refusedRun.body?.cancel();
    streams[0]!.close();
    await eventually(async () => expect(hub.size).toBe(2), 5_000);
    const again = await open('/v1/workflow-runs/events');
    expect(again.response.status).toBe(200);
  });

  it('answers HEAD with the stream\'s headers and opens nothing', async () => {
    const head = await fetch(`${url}/v1/workflow-runs/events`, { method: 'HEAD', headers: auth() });
    expect({ status: head.status, type: head.headers.get('content-type'), body: await head.text() }).toEqual({ status: 200, type: 'text/event-stream', body: '' });
    expect(hub.size).toBe(0);
  });

  it('refuses bad input before streaming: a status or timeout of the wrong kind, a missing key, another method', async () => {
    for (const query of ['status=sleeping', 'timeoutMs=-1', 'timeoutMs=soon', 'timeoutMs=3600001', 'agent=']) {
      const answer = await fetch(`${url}/v1/workflow-runs/events?${query}`, { headers: auth() });
      expect([query, answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([query, 400, 'invalid_request']);
    }
    const anonymous = await fetch(`${url}/v1/workflow-runs/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    // `/workflow-runs/events` also matches `/workflow-runs/{runId}`, whose DELETE cancels a run: not this one.
    for (const method of ['DELETE', 'POST', 'PUT']) {
      const answer = await fetch(`${url}/v1/workflow-runs/events`, { method, headers: auth() });
      expect([method, answer.status, answer.headers.get('allow'), ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([method, 405, 'GET, HEAD', 'method_not_allowed']);
    }
    expect(hub.size).toBe(0);
  });
});

describe('GET /v1/workflow-runs/{runId}/events', () => {
  it('sends the run as it stands, then each change, and ends after it finishes', async () => {
    const runId = newRunId();
    const paused = leadRouterSnapshot('alpha', runId, 2, 'paused');
    await store.runs.record(leadRouterSnapshot('alpha', runId, 1, 'running'));
    await store.runs.record(paused);
    const other = newRunId();
    const stream = await open(`/v1/workflow-runs/${runId}/events`);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect(parsed(await stream.next())).toEqual(runEvent(paused));
    await store.runs.record(leadRouterSnapshot('alpha', other, 1, 'running'));
    const running = leadRouterSnapshot('alpha', runId, 3, 'running');
    const completed = leadRouterSnapshot('alpha', runId, 4, 'completed');
    await store.runs.record(running);
    expect(parsed(await stream.next())).toEqual(runEvent(running));
    await store.runs.record(completed);
    expect(parsed(await stream.next())).toEqual(runEvent(completed));
    await stream.ended;
    expect(stream.events).toHaveLength(3);
  });

  it('skips the state a reconnecting client has (Last-Event-ID), and answers 204 once that is the final state', async () => {
    const runId = newRunId();
    await store.runs.record(leadRouterSnapshot('alpha', runId, 2, 'paused'));
    const resumed = await open(`/v1/workflow-runs/${runId}/events`, { ...auth(), 'last-event-id': `${runId}:2` });
    // Another run's id, or one that is not ours at all, is ignored: the current state comes first.
    const foreign = await open(`/v1/workflow-runs/${runId}/events`, { ...auth(), 'last-event-id': `${newRunId()}:9` });
    const made = await open(`/v1/workflow-runs/${runId}/events`, { ...auth(), 'last-event-id': 'not-an-id' });
    expect((await foreign.next()).id).toBe(`${runId}:2`);
    expect((await made.next()).id).toBe(`${runId}:2`);
    const completed = leadRouterSnapshot('alpha', runId, 3, 'completed');
    await store.runs.record(completed);
    expect(parsed(await resumed.next())).toEqual(runEvent(completed));
    await resumed.ended;
    expect(resumed.events).toHaveLength(1);

    const done = await fetch(`${url}/v1/workflow-runs/${runId}/events`, { headers: { ...auth(), 'last-event-id': `${runId}:3` } });
    expect({ status: done.status, body: await done.text() }).toEqual({ status: 204, body: '' });
    // Without it, a finished run's stream is its final state and the end.
    const late = await open(`/v1/workflow-runs/${runId}/events`);
    await late.ended;
    expect(late.events.map(parsed)).toEqual([runEvent(completed)]);
  });

  it('with ?timeoutMs=0 sends the current state and ends', async () => {
    const runId = newRunId();
    const paused = leadRouterSnapshot('alpha', runId, 2, 'paused');
    await store.runs.record(paused);
    const once = await open(`/v1/workflow-runs/${runId}/events?timeoutMs=0`);
    await once.ended;
    expect(once.events.map(parsed)).toEqual([runEvent(paused)]);
  });

  it('forgets a client that disconnects before the run finishes', async () => {
    const runId = newRunId();
    await store.runs.record(leadRouterSnapshot('alpha', runId, 2, 'paused'));
    const stream = await open(`/v1/workflow-runs/${runId}/events`);
    await stream.next();
    expect(hub.size).toBe(1);
    stream.close();
    await eventually(async () => expect(hub.size).toBe(0), 5_000);
  });

  it('answers HEAD with the headers, and ends every stream when the hub closes (the API is stopping)', async () => {
    const runId = newRunId();
    await store.runs.record(leadRouterSnapshot('alpha', runId, 2, 'paused'));
    const head = await fetch(`${url}/v1/workflow-runs/${runId}/events`, { method: 'HEAD', headers: auth() });
    expect({ status: head.status, type: head.headers.get('content-type') }).toEqual({ status: 200, type: 'text/event-stream' });
    expect(hub.size).toBe(0);

    const closing = createRunEventHub({ feed: store.runFeed, runs: store.runs, maxStreams: 2 });
    const app = createApp({ apiKeys: keys, maxBodyBytes: 4096, readiness: {}, routes: [{ path: '/v1', app: createV1RunEventRoutes({ runs: engineNotAsked, store, runEvents: closing }) }] });
    const project = await app.request('/v1/workflow-runs/events', { headers: auth() });
    const run = await app.request(`/v1/workflow-runs/${runId}/events`, { headers: auth() });
    expect(closing.size).toBe(2);
    closing.close();
    expect(closing.size).toBe(0);
    expect(await project.text()).toBe(': connected\n\n');
    expect(await run.text()).toContain(`id: ${runId}:2\n`);
    const after = await app.request('/v1/workflow-runs/events', { headers: auth() });
    expect(after.status).toBe(503);
  });
});

describe('GET /api/v1/workflows/runs/{runId}/events', () => {
  it('streams the run as the Agent Manager API shows it', async () => {
    const runId = newRunId();
    const paused = leadRouterSnapshot('alpha', runId, 2, 'paused');
    await store.runs.record(paused);
    const stream = await open(`/api/v1/workflows/runs/${runId}/events`);
    expect(parsed(await stream.next())).toEqual(runEvent(paused, toAgentManagerRunDetail));
    const cancelled = leadRouterSnapshot('alpha', runId, 3, 'cancelled');
    await store.runs.record(cancelled);
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ id: runId, status: 'CANCELLED' });
    await stream.ended;
  });
});

describe('an event stream whose client stops reading', () => {
  it('is ended once more than its buffer is waiting, instead of growing without end', () => {
    let ends = 0;
    const stream = createEventStream({ heartbeatMs: 60_000, maxBufferedBytes: 1024, onEnd: () => ends++ });
    for (let index = 0; index < 10 && !stream.ended; index++) stream.write('x'.repeat(200));
    expect({ ended: stream.ended, ends }).toEqual({ ended: true, ends: 1 });
    stream.write('more');
    stream.close();
    expect(ends).toBe(1);
  });
});
