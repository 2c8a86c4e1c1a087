// The bad-input matrix of the Agent Manager specification's run endpoints: every refused request answers its documented
// code and leaves the runs exactly as they were (snapshot and Temporal history length unchanged),
// and a refused start leaves no execution under the run id its Idempotency-Key names.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createAgentManagerRunRoutes } from '../../api/routes/workflow-runs.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import type { RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { idempotentRunId } from '../../src/temporal/run-ids.ts';
import { eventually, executionExists, historyLength } from '../integration/engine-harness.ts';
import { startAgentManagerStack, testMaxBodyBytes, type AgentManagerStack, type CallOptions } from './agent-manager-stack.ts';

let stack: AgentManagerStack;
let project: string;
let other: string;
/** Pauses on an approval step with options approve/reject. */
let approvalWorkflow: string;
let pausedRun: string;
let finishedRun: string;
/** Busy in a 60 s agent step. */
let runningRun: string;

const call: AgentManagerStack['call'] = (method, path, options) => stack.call(method, path, options);

async function workflowWith(steps: object[]): Promise<string> {
  const created = await call<Definition>('POST', '/api/v1/workflows', { body: { name: 'bad input' } });
  for (const step of steps) expect((await call('POST', `/api/v1/workflows/${created.json.id}/steps`, { body: step })).status).toBe(200);
  return created.json.id;
}

async function startRun(workflowId: string, input = 'go'): Promise<string> {
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input } });
  expect(started.status).toBe(202);
  return started.json.runId;
}

async function settledRun(runId: string, status: RunSnapshot['status']): Promise<void> {
  await eventually(async () => expect((await stack.runs.get(project, runId)).status).toBe(status));
}

beforeAll(async () => {
  stack = await startAgentManagerStack('am-bad');
  [project, other] = stack.projects;
  approvalWorkflow = await workflowWith([{ type: 'approval', name: 'decide', message: 'Publish it?', options: ['approve', 'reject'] }, { agentId: 'echo', action: 'Echo.' }]);
  pausedRun = await startRun(approvalWorkflow);
  finishedRun = await startRun(await workflowWith([{ agentId: 'echo', action: 'Echo.' }]));
  runningRun = await startRun(await workflowWith([{ agentId: 'sleeper', action: 'Wait.' }]), '60000');
  await settledRun(pausedRun, 'paused');
  await settledRun(finishedRun, 'completed');
  await eventually(async () => expect((await stack.runs.get(project, runningRun)).steps).toHaveLength(1));
});
afterAll(async () => stack?.close());

/** Each run's snapshot and history length, to compare before and after a refused request. */
async function runState() {
  const runIds = [pausedRun, finishedRun, runningRun];
  return await Promise.all(runIds.map(async (runId) => ({ snapshot: await stack.runs.get(project, runId), events: await historyLength(stack.client, runId) })));
}

async function expectRefused(method: string, path: string, options: CallOptions, status: number, code: string): Promise<ErrorBody> {
  const response = await call(method, path, options);
  expect({ path, status: response.status, code: response.json?.error?.code }).toEqual({ path, status, code });
  expect(response.json.error.message).toEqual(expect.any(String));
  return response.json;
}

let refusals = 0;
/** A refused start: sent with an Idempotency-Key of its own, so the run it would have started has a known id, which Temporal must not hold. */
async function expectStartRefused(path: string, options: CallOptions, status: number, code: string): Promise<ErrorBody> {
  const key = `refused-${++refusals}`;
  const refused = await expectRefused('POST', path, { ...options, headers: { ...options.headers, 'idempotency-key': key } }, status, code);
  for (const who of stack.projects) expect(await executionExists(stack.client, idempotentRunId(who, key))).toBe(false);
  return refused;
}

/** A good start with an Idempotency-Key runs under the id the refused starts were checked by. */
async function startKeyedRun(workflowId: string): Promise<string> {
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'go' }, headers: { 'idempotency-key': `accepted-${workflowId}` } });
  expect(started.status).toBe(202);
  expect(started.json.runId).toBe(idempotentRunId(project, `accepted-${workflowId}`));
  expect(await executionExists(stack.client, started.json.runId)).toBe(true);
  return started.json.runId;
}

const oversize = 'x'.repeat(testMaxBodyBytes + 1);

describe('POST /workflows/{id}/run refuses bad input and starts nothing', () => {
  it('answers 400, 401, 404, 413 and 415 as documented', async () => {
    const target = await workflowWith([{ agentId: 'echo', action: 'Echo.' }]);
    const path = `/api/v1/workflows/${target}/run`;
    await expectStartRefused(path, { raw: '{"input":' }, 400, 'invalid_request');
    await expectStartRefused(path, { raw: '' }, 400, 'invalid_request');
    await expectStartRefused(path, { raw: 'input=go', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'invalid_request');
    for (const body of [{}, { input: 42 }, { input: null }, { input: { task: 'go' } }, { input: ['go'] }, [], 'go']) {
      const refused = await expectStartRefused(path, { body }, 400, 'invalid_request');
      expect(refused.error.details).toEqual(expect.any(Array));
    }
    for (const sessionId of ['', 'has space', 's'.repeat(201), 42, null]) {
      await expectStartRefused(path, { body: { input: 'go', sessionId } }, 400, 'invalid_request');
    }
    await expectStartRefused(path, { body: { input: oversize } }, 413, 'payload_too_large');
    await expectStartRefused(path, { body: { input: 'go' }, project: null }, 401, 'unauthorized');
    await expectStartRefused(path, { body: { input: 'go' }, project: null, headers: { authorization: 'Bearer not-a-key' } }, 401, 'unauthorized');
    await expectStartRefused(path, { body: { input: 'go' }, project: other }, 404, 'workflow_not_found');
    await expectStartRefused('/api/v1/workflows/wf-nosuchworkflow/run', { body: { input: 'go' } }, 404, 'workflow_not_found');
    await expectStartRefused('/api/v1/workflows/not-a-workflow-id/run', { body: { input: 'go' } }, 404, 'workflow_not_found');

    await settledRun(await startKeyedRun(target), 'completed');
  });

  it('answers 409 workflow_has_no_steps for a workflow without steps, and runs it once it has one', async () => {
    const empty = await workflowWith([]);
    const refused = await expectStartRefused(`/api/v1/workflows/${empty}/run`, { body: { input: 'go' } }, 409, 'workflow_has_no_steps');
    expect(refused.error.message).toMatch(/has no steps/);
    expect((await call('POST', `/api/v1/workflows/${empty}/steps`, { body: { agentId: 'echo', action: 'Echo.' } })).status).toBe(200);
    await settledRun(await startKeyedRun(empty), 'completed');
  });
});

describe('run reads refuse what is not there', () => {
  it('answers 404 for an unknown or foreign workflow\'s runs and 400 for a bad page', async () => {
    await expectRefused('GET', '/api/v1/workflows/wf-nosuchworkflow/runs', {}, 404, 'workflow_not_found');
    await expectRefused('GET', `/api/v1/workflows/${approvalWorkflow}/runs`, { project: other }, 404, 'workflow_not_found');
    await expectRefused('GET', "/api/v1/workflows/wf-x'%20OR%20'1'='1/runs", {}, 404, 'workflow_not_found');
    for (const query of ['page=-1', 'page=abc', 'size=0', 'size=101', 'size=1.5']) {
      await expectRefused('GET', `/api/v1/workflows/${approvalWorkflow}/runs?${query}`, {}, 400, 'invalid_request');
    }
    await expectRefused('GET', `/api/v1/workflows/${approvalWorkflow}/runs`, { project: null }, 401, 'unauthorized');
  });

  it('answers 404 run_not_found for an unknown, malformed or foreign run id', async () => {
    for (const runId of ['wfr_01NOSUCHRUN0000000000000', 'not-a-run', encodeURIComponent('wfr_a b')]) {
      await expectRefused('GET', `/api/v1/workflows/runs/${runId}`, {}, 404, 'run_not_found');
    }
    await expectRefused('GET', `/api/v1/workflows/runs/${pausedRun}`, { project: other }, 404, 'run_not_found');
    await expectRefused('GET', `/api/v1/workflows/runs/${pausedRun}`, { project: null }, 401, 'unauthorized');
  });
});

describe('POST /workflows/runs/{runId}/resume refuses bad resumes and changes nothing', () => {
  it('answers 400, 401, 404, 409, 413 and 422 with every run as it was', async () => {
    const before = await runState();
    const resume = (runId: string) => `/api/v1/workflows/runs/${runId}/resume`;
    await expectRefused('POST', resume(pausedRun), { raw: '{"output":' }, 400, 'invalid_request');
    for (const body of [{}, { output: null }, { input: 'approve' }, 'approve']) await expectRefused('POST', resume(pausedRun), { body }, 400, 'invalid_request');
    await expectRefused('POST', resume(pausedRun), { body: { output: oversize } }, 413, 'payload_too_large');
    await expectRefused('POST', resume(pausedRun), { body: { output: 'approve' }, project: null }, 401, 'unauthorized');
    await expectRefused('POST', resume(pausedRun), { body: { output: 'approve' }, project: null, headers: { authorization: 'Basic eDp5' } }, 401, 'unauthorized');
    await expectRefused('POST', resume(pausedRun), { body: { output: 'approve' }, project: other }, 404, 'run_not_found');
    await expectRefused('POST', resume('wfr_01NOSUCHRUN0000000000000'), { body: { output: 'approve' } }, 404, 'run_not_found');
    await expectRefused('POST', resume('not-a-run'), { body: { output: 'approve' } }, 404, 'run_not_found');
    for (const output of ['maybe', 'Approve', { decision: 'approve' }, ['approve'], 1, true]) {
      const refused = await expectRefused('POST', resume(pausedRun), { body: { output } }, 422, 'invalid_resume_input');
      expect(refused.error.details).toEqual({ options: ['approve', 'reject'] });
    }
    const notPaused = await expectRefused('POST', resume(runningRun), { body: { output: 'approve' } }, 409, 'run_not_paused');
    expect(notPaused.error.details).toEqual({ status: 'running' });
    const finished = await expectRefused('POST', resume(finishedRun), { body: { output: 'approve' } }, 409, 'run_finished');
    expect(finished.error.details).toEqual({ status: 'completed' });
    expect(await runState()).toStrictEqual(before);

    // The run was waiting all along: a good answer is accepted and carried on to the next step.
    const accepted = await call('POST', resume(pausedRun), { body: { output: 'approve' } });
    expect(accepted.status).toBe(202);
    await settledRun(pausedRun, 'completed');
    expect((await stack.runs.get(project, pausedRun)).result).toBe('approve');
    await expectRefused('POST', resume(pausedRun), { body: { output: 'approve' } }, 409, 'run_finished');
  });
});

describe('without a reachable engine', () => {
  it('answers 503 engine_unavailable with Retry-After on every run endpoint that needs Temporal; the run history still answers', async () => {
    // Nothing listens on port 1; one attempt per call, not the client's ~40 s of gRPC retries.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '500ms', interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))] });
    const runs = new RunService({ client: new Client({ connection }), readModel: stack.store.runs, taskQueue: 'nowhere', defaultPauseTimeout: '1h' });
    const app = createApp({ apiKeys: new Map(), maxBodyBytes: testMaxBodyBytes, readiness: {}, routes: [{ path: '/api/v1', app: createAgentManagerRunRoutes({ store: stack.store, runs }) }] });
    // With no keys configured every caller is project `default`.
    const { id: workflowId } = await stack.store.definitions.create('default', { name: 'unreachable' });
    await stack.store.definitions.addStep('default', workflowId, { agentId: 'echo', action: 'Echo.' });
    const json = { 'content-type': 'application/json' };
    const requests: Array<[string, RequestInit]> = [
      [`/api/v1/workflows/${workflowId}/run`, { method: 'POST', headers: json, body: JSON.stringify({ input: 'go' }) }],
      [`/api/v1/workflows/runs/${pausedRun}`, {}],
      [`/api/v1/workflows/runs/${pausedRun}/resume`, { method: 'POST', headers: json, body: JSON.stringify({ output: 'approve' }) }],
    ];
    for (const [path, init] of requests) {
      const response = await app.request(path, init);
      expect({ path, status: response.status, body: await response.json() }).toMatchObject({ path, status: 503, body: { error: { code: 'engine_unavailable' } } });
      expect(response.headers.get('retry-after')).toBe('5');
    }
    // The run history reads the store's read model, not Temporal: it still answers.
    const history = await app.request(`/api/v1/workflows/${workflowId}/runs`);
    expect({ status: history.status, body: await history.json() }).toMatchObject({ status: 200, body: { content: [], totalElements: 0 } });
    await connection.close();
  });
});
