// Requests a client may send twice, and runs that cannot make progress: a resume repeated with its
// Idempotency-Key answers as the first did, a repeated DELETE too, and a run whose workflow task
// keeps failing is readable (200, workflow_task_failing), refuses answers (409) and can be ended.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentManagerRunDetail, ResumeAccepted, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import { BatonError, type ErrorBody } from '../../src/domain/errors.ts';
import type { RunStart } from '../../src/domain/run.ts';
import type { Step } from '../../src/domain/step.ts';
import type { V1Run, V1RunList } from '../../src/domain/v1-api.ts';
import { newRunId, newSessionId } from '../../src/temporal/run-ids.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';
import { AGENT_RUN_WORKFLOW } from '../../src/workflows/messages.ts';
import { definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../../src/workflows/search-attribute-keys.ts';
import { defineRun, eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

const { EventType } = temporal.api.enums.v1;

let stack: V1Stack;
let project: string;
let runs: RunService;
let url: string;

// Short, so a DELETE of a stuck run terminates it within the test; production waits BATON_CANCEL_GRACE_MS.
const cancelGraceMs = 1_000;

beforeAll(async () => {
  stack = await startV1Stack('recovery', { env: { BATON_CANCEL_GRACE_MS: String(cancelGraceMs) } });
  project = stack.projects[0];
  runs = stack.runs;
  url = stack.url;
});
afterAll(async () => stack?.close());

async function call<T = ErrorBody>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${stack.keyOf(project)}`, ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  return { status: response.status, json: (await response.json()) as T };
}

const startBody = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };
const approve = { input: { resume: { step: 'approval', input: 'approve' } } };

async function pausedLeadRun(): Promise<string> {
  const started = await call<V1Run>('POST', '/v1/agents/lead-router/workflow', { body: startBody });
  expect(started.json.output.status).toBe('paused');
  return started.json.run_id;
}

/**
 * Starts agentRun straight through Temporal with a definition snapshot the workflow code cannot
 * read (no steps array), standing in for a bug: its first workflow task throws on every attempt.
 */
async function startStuckRun(): Promise<string> {
  const definition = { ...defineRun(project, [{ name: 'classify', agentId: 'lead-classifier' }]), steps: null as unknown as Step[] };
  const start: RunStart = { runId: newRunId(), project, definition, task: 't', state: {}, input: 't', sessionId: newSessionId(), defaultPauseTimeout: '1h' };
  await stack.client.workflow.start<typeof agentRun>(AGENT_RUN_WORKFLOW, {
    taskQueue: stack.config.taskQueue,
    workflowId: start.runId,
    args: [start],
    typedSearchAttributes: [
      { key: projectKey, value: project },
      { key: definitionIdKey, value: definition.id },
      { key: sessionIdKey, value: start.sessionId },
      { key: statusKey, value: 'running' },
      { key: stepOrderKey, value: 0 },
      { key: updatedAtKey, value: new Date() },
    ],
  });
  // Its first workflow task records the run (a local activity) before it reaches the bad steps and
  // fails; until then a read sees it running, as it is.
  await eventually(async () => {
    const { events } = await stack.client.workflow.getHandle(start.runId).fetchHistory();
    expect((events ?? []).some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toBe(true);
  });
  return start.runId;
}

describe('a resume sent again', () => {
  it('answers 200 with the first body when repeated with the same Idempotency-Key after the run finished', async () => {
    const runId = await pausedLeadRun();
    const headers = { 'idempotency-key': 'approve-once' };
    const first = await call<V1Run>('POST', `/v1/workflow-runs/${runId}/resume`, { body: approve, headers });
    expect(first.status).toBe(200);
    expect(first.json.output.status).toBe('completed');

    const again = await call<V1Run>('POST', `/v1/workflow-runs/${runId}/resume`, { body: approve, headers });
    expect(again).toStrictEqual(first);
    // The key names one answer: another answer under it, or no key at all, is a new resume the finished run refuses.
    const other = await call('POST', `/v1/workflow-runs/${runId}/resume`, { body: { input: { resume: { step: 'approval', input: 'reject' } } }, headers });
    expect([other.status, other.json.error.code]).toStrictEqual([409, 'run_finished']);
    const unkeyed = await call('POST', `/v1/workflow-runs/${runId}/resume`, { body: approve });
    expect([unkeyed.status, unkeyed.json.error.code]).toStrictEqual([409, 'run_finished']);
  });

  it('answers 202 with the same jobId when an Agent Manager resume is repeated with the same Idempotency-Key', async () => {
    const started = await call<RunAccepted>('POST', '/api/v1/workflows/wf-lead-router/run', { body: { input: 'Route this lead' } });
    expect(started.status).toBe(202);
    const runId = started.json.runId;
    await eventually(async () => expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json.status).toBe('PAUSED'));
    const headers = { 'idempotency-key': 'am-approve' };
    const first = await call<ResumeAccepted>('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'approve' }, headers });
    expect(first.status).toBe(202);
    await eventually(async () => expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json.status).toBe('COMPLETED'));

    expect(await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'approve' }, headers })).toStrictEqual(first);
    const unkeyed = await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'approve' } });
    expect([unkeyed.status, unkeyed.json.error.code]).toStrictEqual([409, 'run_finished']);
  });
});

describe('a DELETE sent again', () => {
  it('answers 200 with the cancelled run both times', async () => {
    const runId = await pausedLeadRun();
    const first = await call<V1Run>('DELETE', `/v1/workflow-runs/${runId}`);
    expect([first.status, first.json.output.status]).toStrictEqual([200, 'cancelled']);
    expect(await call<V1Run>('DELETE', `/v1/workflow-runs/${runId}`)).toStrictEqual(first);
  });
});

describe('a run whose workflow task keeps failing', () => {
  let runId: string;
  beforeAll(async () => {
    runId = await startStuckRun();
  });

  it('is read as running with error workflow_task_failing, in both APIs, once its task has failed', async () => {
    // Read at once: a Query would wait for the failing task and answer 503 or 409 instead.
    const v1 = await call<V1Run>('GET', `/v1/workflow-runs/${runId}`);
    expect(v1.status).toBe(200);
    expect([v1.json.output.status, v1.json.output.error?.code]).toStrictEqual(['running', 'workflow_task_failing']);
    expect(v1.json.output.error?.message).toContain('steps is not iterable');
    const detail = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`);
    expect(detail.status).toBe(200);
    expect([detail.json.status, detail.json.error?.code]).toStrictEqual(['RUNNING', 'workflow_task_failing']);
  });

  it('refuses a resume with 409 workflow_task_failing, in both APIs', async () => {
    await eventually(async () => expect((await runs.get(project, runId)).error?.code).toBe('workflow_task_failing'));
    const v1 = await call('POST', `/v1/workflow-runs/${runId}/resume`, { body: { input: { resume: { step: 'classify', input: 'x' } } } });
    expect([v1.status, v1.json.error.code]).toStrictEqual([409, 'workflow_task_failing']);
    const agentManager = await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'x' } });
    expect([agentManager.status, agentManager.json.error.code]).toStrictEqual([409, 'workflow_task_failing']);
  });

  it('is ended by DELETE: terminated after the grace period and shown as cancelled', async () => {
    await eventually(async () => expect((await runs.get(project, runId)).error?.code).toBe('workflow_task_failing'));
    const deleted = await call<V1Run>('DELETE', `/v1/workflow-runs/${runId}`);
    expect(deleted.status).toBe(200);
    expect([deleted.json.output.status, deleted.json.output.error?.code]).toStrictEqual(['cancelled', 'terminated']);
    expect((await stack.client.workflow.getHandle(runId).describe()).status.name).toBe('TERMINATED');

    expect(await call<V1Run>('DELETE', `/v1/workflow-runs/${runId}`)).toStrictEqual(deleted);
    expect(await call<V1Run>('GET', `/v1/workflow-runs/${runId}`)).toStrictEqual(deleted);
    await eventually(async () => {
      const list = await call<V1RunList>('GET', '/v1/workflow-runs?limit=100');
      expect(list.json.data.find((row) => row.run_id === runId)?.status).toBe('cancelled');
    });
  });
});

describe('the run list', () => {
  it('refuses a filter value with NUL as invalid_request before Temporal sees it', async () => {
    await expect(runs.list(project, { agent: '\u0000' }, { pageSize: 5 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(runs.count(project, { agent: 'a\u0000b' })).rejects.toBeInstanceOf(BatonError);
  });

  it('refuses a cursor Temporal cannot read as invalid_request', async () => {
    await expect(runs.list(project, {}, { pageSize: 5, cursor: 'AAAA' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
