// A step's retry policy as agentRun hands it to Temporal, read back from the run's history: the
// activity options it scheduled and the attempts the server made. The composed runtime (store,
// API, worker, agentRun) runs it; the failing agents are worker-local function agents, an http
// agent whose receiver is busy, and an llm agent whose model (the OpenAI-compatible fake) is.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { AgentStep } from '../../src/domain/step.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';
import { jsonCaller } from '../fixtures/json-call.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type ProtoDuration = temporal.api.history.v1.IActivityTaskScheduledEventAttributes['startToCloseTimeout'];

let runtime: Runtime;
let home: string;
let model: OpenAiFake;
let receiver: Server;
let receiverUrl: string;
let taskQueue: string;
// A port nothing listens on: an http agent there fails every attempt to connect.
let closedPort: number;
// The http agent's receiver: busy (503) for the first two requests, then it answers.
let receiverRequests = 0;
// Calls per run id, so each test counts only its own run's attempts.
const calls = new Map<string, number>();

function countCall(runId: string): number {
  const call = (calls.get(runId) ?? 0) + 1;
  calls.set(runId, call);
  return call;
}

const call = jsonCaller(() => runtime.urls.api!);

/** Creates a one-step workflow over the API, runs it and waits for the workflow's end. */
async function runOneStep(agentId: string, step: Record<string, unknown> = {}): Promise<{ runId: string; detail: AgentManagerRunDetail }> {
  const workflow = (await call<Definition>('POST', '/api/v1/workflows', { name: `retry ${agentId}` })).json;
  expect((await call('POST', `/api/v1/workflows/${workflow.id}/steps`, { name: 'call', agentId, action: 'do it', ...step })).status).toBe(200);
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflow.id}/run`, { input: 'x' });
  expect(started.status).toBe(202);
  const { runId } = started.json;
  await runtime.client.workflow.getHandle(runId).result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error;
  });
  return { runId, detail: (await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json };
}

/**
 * Runs a one-step definition through a RunService that takes every agent for a function agent, as
 * an API process would whose registry holds an agent the worker's does not (or no longer does).
 */
async function runDirect(agentId: string, step: Partial<AgentStep> = {}): Promise<{ runId: string; snapshot: RunSnapshot }> {
  const project = 'default';
  const at = new Date().toISOString();
  const definition: Definition = {
    id: `wf-direct-${agentId}`, project, name: 'direct', description: null, agent: null, pauseTimeout: null, version: 1, createdAt: at, updatedAt: at,
    steps: [{ id: 'st-1', name: 'call', stepOrder: 1, type: 'agent', agentId, action: 'do it', requireApproval: false, ...step }],
  };
  const runs = new RunService({ client: runtime.client, readModel: runtime.store.runs, taskQueue, defaultPauseTimeout: '1h', agentKindOf: () => 'function' });
  const snapshot = await runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
  return { runId: snapshot.runId, snapshot };
}

async function historyEvents(runId: string): Promise<HistoryEvent[]> {
  return (await runtime.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
}

function ms(duration: ProtoDuration): number {
  return Number(duration?.seconds ?? 0) * 1000 + Math.round((duration?.nanos ?? 0) / 1e6);
}

/** An activity (runAgentStep unless named) as scheduled once, started (the server writes only the last attempt) and closed. */
function agentActivity(events: HistoryEvent[], activityType = 'runAgentStep') {
  const scheduled = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  expect(scheduled).toHaveLength(1);
  const options = scheduled[0]!.activityTaskScheduledEventAttributes!;
  // Started and closed events point back at the scheduled one; an llm step also schedules other activities.
  const scheduledId = Number(scheduled[0]!.eventId);
  const ofThisActivity = (id: unknown) => Number(id) === scheduledId;
  const started = events.flatMap((event) => ofThisActivity(event.activityTaskStartedEventAttributes?.scheduledEventId) ? [event.activityTaskStartedEventAttributes!] : []);
  expect(started).toHaveLength(1);
  return {
    options: {
      maximumAttempts: options.retryPolicy?.maximumAttempts,
      initialIntervalMs: ms(options.retryPolicy?.initialInterval),
      backoffCoefficient: options.retryPolicy?.backoffCoefficient,
      nonRetryableErrorTypes: options.retryPolicy?.nonRetryableErrorTypes,
      heartbeatTimeoutMs: ms(options.heartbeatTimeout),
      startToCloseTimeoutMs: ms(options.startToCloseTimeout),
    },
    lastAttempt: started[0]!.attempt,
    failureBeforeLastAttempt: started[0]!.lastFailure?.message ?? null,
    completed: events.find((event) => ofThisActivity(event.activityTaskCompletedEventAttributes?.scheduledEventId))?.activityTaskCompletedEventAttributes ?? null,
    failed: events.find((event) => ofThisActivity(event.activityTaskFailedEventAttributes?.scheduledEventId))?.activityTaskFailedEventAttributes ?? null,
  };
}

/**
 * The local activities of a run (function agents run as local activities): one marker per activity,
 * written once it is done, with the last attempt and, when it failed, its failure.
 */
function localActivities(events: HistoryEvent[], activityType = 'runAgentStep') {
  return events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.details?.data?.payloads?.[0]?.data;
    if (marker?.markerName !== 'core_local_activity' || !data) return [];
    const details = JSON.parse(Buffer.from(data).toString()) as { activity_type: string; attempt: number };
    return details.activity_type === activityType ? [{ attempt: details.attempt, failure: marker.failure?.cause?.message ?? marker.failure?.message ?? null }] : [];
  });
}

function scheduledActivities(events: HistoryEvent[]): string[] {
  return events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-retries-'));
  model = await startOpenAiFake([{ status: 503, message: 'overloaded' }, { status: 503, message: 'overloaded' }, { content: 'forty-two' }]);
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receiverRequests += 1;
      if (receiverRequests <= 2) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ request: receiverRequests }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/agent`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  taskQueue = `retries-${Date.now()}`;
  const config = loadConfig({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), BATON_HOME: home, PORT: '0', BATON_TASK_QUEUE: taskQueue, BATON_EGRESS_ALLOW: '127.0.0.1' });
  runtime = await createRuntime(config, {
    role: 'all',
    extend: {
      agents: (registry) => {
        registry.register('fails-twice', {
          kind: 'function',
          local: true,
          run: async (context) => {
            const attempt = countCall(context.runId);
            if (attempt <= 2) throw new Error(`upstream busy (call ${attempt})`);
            return `answered on call ${attempt}`;
          },
        });
        registry.register('always-down', {
          kind: 'function',
          local: true,
          run: async (context) => {
            throw new Error(`upstream down (call ${countCall(context.runId)})`);
          },
        });
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await model?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await rm(home, { recursive: true, force: true });
});

describe('agentRun retries a failing agent step', () => {
  it('completes a function agent step that fails twice under retry {attempts: 3, backoff: 100ms}, on the third attempt of its local activity', async () => {
    const { runId, detail } = await runOneStep('fails-twice', { retry: { attempts: 3, backoff: '100ms' } });
    expect([detail.status, detail.result]).toEqual(['COMPLETED', 'answered on call 3']);
    const events = await historyEvents(runId);
    expect(scheduledActivities(events)).toEqual([]);
    expect(localActivities(events)).toEqual([{ attempt: 3, failure: null }]);
    expect(calls.get(runId)).toBe(3);
  });

  it('fails the run with step_failed after exactly the configured attempts when a function agent always fails', async () => {
    const { runId, detail } = await runOneStep('always-down', { retry: { attempts: 4, backoff: '100ms', backoffCoefficient: 1 } });
    expect(detail.status).toBe('FAILED');
    const events = await historyEvents(runId);
    expect(scheduledActivities(events)).toEqual([]);
    expect(localActivities(events)).toEqual([{ attempt: 4, failure: 'upstream down (call 4)' }]);
    expect(calls.get(runId)).toBe(4);
    const failure = await runtime.client.workflow.getHandle(runId).result().then(() => null, (error: unknown) => (error as WorkflowFailedError).cause);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect([(failure as ApplicationFailure).type, failure?.message]).toEqual(['step_failed', 'upstream down (call 4)']);
  });

  it('gives a function agent step without retry the default 3 attempts, 1 s backoff doubling', async () => {
    const startedAt = Date.now();
    const { runId, detail } = await runOneStep('always-down');
    expect(detail.status).toBe('FAILED');
    expect(localActivities(await historyEvents(runId))).toEqual([{ attempt: 3, failure: 'upstream down (call 3)' }]);
    expect(calls.get(runId)).toBe(3);
    // Backoffs of 1 s and 2 s between the three attempts.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3_000);
  });

  it('fails a step the starter took for a function agent that the worker does not hold with agent_not_found, on the first attempt', async () => {
    const { runId, snapshot } = await runDirect('never-registered', { retry: { attempts: 5, backoff: '100ms', backoffCoefficient: 2 } });
    expect([snapshot.status, snapshot.error?.code]).toEqual(['failed', 'agent_not_found']);
    const events = await historyEvents(runId);
    expect([scheduledActivities(events), localActivities(events)]).toEqual([[], [{ attempt: 1, failure: 'agent "never-registered" is not registered' }]]);
  });

  it('runs a step the starter took for a function agent that is an http agent as a regular activity', async () => {
    expect((await call('POST', '/api/v1/agents', { id: 'now-http', kind: 'http', config: { url: receiverUrl } })).status).toBe(200);
    receiverRequests = 2;
    const { runId, snapshot } = await runDirect('now-http');
    expect([snapshot.status, snapshot.result]).toEqual(['completed', { request: 3 }]);
    const events = await historyEvents(runId);
    expect([scheduledActivities(events), localActivities(events).length]).toEqual([['runAgentStep'], 1]);
    receiverRequests = 0;
  });

  it('uses the default policy on an http agent step without retry: 3 attempts, 1 s backoff doubling, 10 s heartbeat timeout, 10 min per attempt', async () => {
    // Nothing listens there: every attempt fails to connect.
    expect((await call('POST', '/api/v1/agents', { id: 'unreachable', kind: 'http', config: { url: `http://127.0.0.1:${closedPort}/agent` } })).status).toBe(200);
    const { runId, detail } = await runOneStep('unreachable');
    expect(detail.status).toBe('FAILED');
    const activity = agentActivity(await historyEvents(runId));
    expect(activity.options).toEqual({
      maximumAttempts: 3,
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      nonRetryableErrorTypes: ['agent_not_found', 'tool_not_registered', 'secret_not_granted', 'egress_refused', 'store_write_failed'],
      heartbeatTimeoutMs: 10_000,
      startToCloseTimeoutMs: 600_000,
    });
    expect([activity.lastAttempt, activity.failed?.retryState]).toEqual([3, temporal.api.enums.v1.RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED]);
  });

  it('retries an http agent whose receiver answers 503 twice, and completes with its third answer', async () => {
    expect((await call('POST', '/api/v1/agents', { id: 'busy-receiver', kind: 'http', config: { url: receiverUrl } })).status).toBe(200);
    const { runId, detail } = await runOneStep('busy-receiver', { retry: { attempts: 3, backoff: '100ms' } });
    expect([detail.status, detail.result]).toEqual(['COMPLETED', { request: 3 }]);
    const activity = agentActivity(await historyEvents(runId));
    expect([activity.lastAttempt, activity.failureBeforeLastAttempt]).toEqual([3, expect.stringContaining('answered 503')]);
    expect(receiverRequests).toBe(3);
  });

  it('retries an llm agent\'s model call under the step\'s policy: two 503 answers, then the model\'s reply', async () => {
    expect((await call('POST', '/api/v1/agents', { id: 'busy-model', kind: 'llm', config: { model: 'fake', baseUrl: model.baseUrl } })).status).toBe(200);
    const { runId, detail } = await runOneStep('busy-model', { retry: { attempts: 3, backoff: '100ms' } });
    expect([detail.status, detail.result]).toEqual(['COMPLETED', 'forty-two']);
    const modelCall = agentActivity(await historyEvents(runId), 'callModel');
    expect(modelCall.options).toMatchObject({ maximumAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 2 });
    expect([modelCall.lastAttempt, modelCall.failureBeforeLastAttempt]).toEqual([3, expect.stringContaining('answered 503')]);
    expect(model.calls).toBe(3);
  });
});
