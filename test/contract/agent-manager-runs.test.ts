// One engine behind both APIs: runs started through v1 or the Agent Manager API are listed, read
// and resumed through either; a deleted workflow's runs stay readable and resumable; runs of one
// session see the transcript of the earlier ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentManagerRun, AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { SpringPage } from '../../src/domain/definition-input.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { V1Run, V1RunList } from '../../src/domain/v1-api.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startAgentManagerStack, type AgentManagerStack } from './agent-manager-stack.ts';

let stack: AgentManagerStack;
beforeAll(async () => {
  stack = await startAgentManagerStack('am-runs');
});
afterAll(async () => stack?.close());

const call: AgentManagerStack['call'] = (method, path, options) => stack.call(method, path, options);
type RunPage = SpringPage<AgentManagerRun>;

const pipeline = [
  { agentId: 'web_agent', action: 'Search the news' },
  { agentId: 'procurator_assistant', action: 'Summarize', requireApproval: true },
  { agentId: 'procurator_assistant', action: 'Draft' },
];

async function createWorkflow(body: object, steps: object[]): Promise<string> {
  const created = await call<Definition>('POST', '/api/v1/workflows', { body });
  expect(created.status).toBe(200);
  for (const step of steps) expect((await call('POST', `/api/v1/workflows/${created.json.id}/steps`, { body: step })).status).toBe(200);
  return created.json.id;
}

async function startRun(workflowId: string, body: object): Promise<string> {
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body });
  expect(started.status).toBe(202);
  return started.json.runId;
}

async function runDetail(runId: string, status: AgentManagerRunDetail['status']): Promise<AgentManagerRunDetail> {
  return await eventually(async () => {
    const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`);
    expect(run.json.status).toBe(status);
    return run.json;
  });
}

async function listed(workflowId: string): Promise<RunPage> {
  return (await call<RunPage>('GET', `/api/v1/workflows/${workflowId}/runs`)).json;
}

describe('one engine behind v1 and the Agent Manager API', () => {
  it('lists, reads and resumes a v1-started run through /api/v1', async () => {
    const workflowId = await createWorkflow({ name: 'News desk', agent: 'news-desk' }, pipeline);
    const started = await call<V1Run>('POST', '/v1/agents/news-desk/workflow', { body: { input: { task: 'AI in healthcare' } } });
    expect(started.status).toBe(200);
    expect(started.json.output).toMatchObject({ status: 'paused', pendingAction: { step: 'step-2', type: 'review' } });
    const runId = started.json.run_id;

    await eventually(async () => expect((await listed(workflowId)).content).toMatchObject([{ id: runId, workflowId, status: 'PAUSED', currentStepOrder: 2 }]));
    const paused = await runDetail(runId, 'PAUSED');
    expect(paused.input).toEqual({ task: 'AI in healthcare', state: {} });
    expect(paused.pendingAction).toEqual(started.json.output.pendingAction);

    expect((await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'Edited summary' } })).status).toBe(202);
    const done = await eventually(async () => {
      const run = await call<V1Run>('GET', `/v1/workflow-runs/${runId}`);
      expect(run.json.output.status).toBe('completed');
      return run.json.output;
    });
    expect(done.steps.map((step) => step.output)).toEqual([expect.stringContaining('AI in healthcare') as string, 'Edited summary', 'Draft <- Edited summary']);
    expect(done.result).toBe('Draft <- Edited summary');
  });

  it('reads and resumes an /api/v1-started run through v1, and both lists show it', async () => {
    const workflowId = await createWorkflow({ name: 'News desk 2', agent: 'news-desk-2' }, pipeline);
    const runId = await startRun(workflowId, { input: 'robotics', sessionId: 'session-cross' });

    const paused = await eventually(async () => {
      const run = await call<V1Run>('GET', `/v1/workflow-runs/${runId}`);
      expect(run.json.output.status).toBe('paused');
      return run.json.output;
    });
    expect(paused.pendingAction).toMatchObject({ step: 'step-2', type: 'review', proposedOutput: expect.stringContaining('robotics') as string });
    const resumed = await call<V1Run>('POST', `/v1/workflow-runs/${runId}/resume`, { body: { input: { resume: { step: 'step-2', input: 'Edited in v1' } } } });
    expect(resumed.status).toBe(200);
    expect(resumed.json.output).toMatchObject({ status: 'completed', result: 'Draft <- Edited in v1' });

    const detail = await runDetail(runId, 'COMPLETED');
    expect(detail.steps.map((step) => [step.name, step.input, step.output])).toEqual([
      ['step-1', 'robotics', expect.stringContaining('robotics') as string],
      ['step-2', expect.stringContaining('robotics') as string, 'Edited in v1'],
      ['step-3', 'Edited in v1', 'Draft <- Edited in v1'],
    ]);
    await eventually(async () => {
      expect((await listed(workflowId)).content).toMatchObject([{ id: runId, status: 'COMPLETED', currentStepOrder: 3, sessionId: 'session-cross' }]);
      const v1List = await call<V1RunList>('GET', '/v1/workflow-runs?agent=news-desk-2');
      expect(v1List.json.data).toMatchObject([{ run_id: runId, status: 'completed', definition_id: workflowId, session_id: 'session-cross' }]);
    });
  });
});

describe('a deleted workflow', () => {
  it('keeps its runs listed, readable and resumable, and refuses new runs', async () => {
    const workflowId = await createWorkflow({ name: 'Short-lived' }, pipeline);
    const first = await startRun(workflowId, { input: 'one' });
    const second = await startRun(workflowId, { input: 'two' });
    await runDetail(first, 'PAUSED');
    await runDetail(second, 'PAUSED');
    await eventually(async () => expect((await listed(workflowId)).totalElements).toBe(2));

    expect((await call('DELETE', `/api/v1/workflows/${workflowId}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/workflows/${workflowId}`)).status).toBe(404);
    const page = await listed(workflowId);
    expect(page).toMatchObject({ totalElements: 2, totalPages: 1 });
    expect(page.content.map((run) => run.id)).toEqual([second, first]);

    // The run carries its own snapshot of the definition: all three steps still run.
    expect((await call('POST', `/api/v1/workflows/runs/${first}/resume`, { body: { output: 'kept' } })).status).toBe(202);
    const done = await runDetail(first, 'COMPLETED');
    expect(done).toMatchObject({ workflowId, currentStepOrder: 3, result: 'Draft <- kept' });
    const refused = await call('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'three' } });
    expect(refused.status).toBe(404);
    expect(refused.json.error.code).toBe('workflow_not_found');
    // Another project never learns the deleted workflow had runs.
    expect((await call('GET', `/api/v1/workflows/${workflowId}/runs`, { project: stack.projects[1] })).status).toBe(404);
  });
});

describe('sessions over HTTP', () => {
  it('gives a later run of the session the transcript of the earlier one, and other sessions nothing', async () => {
    const news = await createWorkflow({ name: 'Session news' }, [pipeline[0]!, { agentId: 'procurator_assistant', action: 'Summarize' }]);
    const probe = await createWorkflow({ name: 'Session probe' }, [{ agentId: 'session_probe', action: 'What do you remember?' }]);
    const earlier = await startRun(news, { input: 'quantum', sessionId: 'session-memory-1' });
    const earlierRun = await runDetail(earlier, 'COMPLETED');

    const later = await runDetail(await startRun(probe, { input: 'recall', sessionId: 'session-memory-1' }), 'COMPLETED');
    expect(later.result).toEqual({
      sessionId: 'session-memory-1',
      saw: earlierRun.steps.map((step) => ({ runId: earlier, step: step.name, agentId: step.agentId, input: step.input, output: step.output })),
    });
    const elsewhere = await runDetail(await startRun(probe, { input: 'recall' }), 'COMPLETED');
    expect(elsewhere.result).toEqual({ sessionId: elsewhere.sessionId, saw: [] });
    expect(elsewhere.sessionId).toMatch(/^ses_/);
  });
});

describe('the OpenAPI document', () => {
  it('describes the run endpoints with their 202 bodies and error statuses', async () => {
    const document = await call<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>('GET', '/openapi.json');
    expect(document.status).toBe(200);
    const { paths } = document.json;
    expect(Object.keys(paths['/api/v1/workflows/{id}/run']!.post!.responses).sort()).toEqual(['202', '400', '401', '404', '409', '413', '415', '502', '503']);
    expect(Object.keys(paths['/api/v1/workflows/{workflowId}/runs']!.get!.responses).sort()).toEqual(['200', '400', '401', '404', '502', '503']);
    expect(Object.keys(paths['/api/v1/workflows/runs/{runId}']!.get!.responses).sort()).toEqual(['200', '400', '401', '404', '502', '503']);
    expect(Object.keys(paths['/api/v1/workflows/runs/{runId}/resume']!.post!.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '413', '415', '422', '502', '503']);
    expect(JSON.stringify(paths['/api/v1/workflows/runs/{runId}/resume']!.post)).toContain('idempotency-key');
  });
});

describe('Idempotency-Key on POST /workflows/{id}/run', () => {
  it('answers a retried start with the same run, jobId and sessionId, open or finished; another key, or the same key in another project, starts another run', async () => {
    const workflowId = await createWorkflow({ name: 'Idempotent' }, [{ agentId: 'procurator_assistant', action: 'Summarize', requireApproval: true }]);
    const headers = { 'idempotency-key': 'newsletter-2026-11-22' };
    const first = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'AI news', sessionId: 'ses-first' }, headers });
    expect(first.status).toBe(202);
    // A retry with another sessionId joins the run and reports the run's own session.
    const retried = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'AI news', sessionId: 'ses-other' }, headers });
    expect(retried).toEqual(first);

    await runDetail(first.json.runId, 'PAUSED');
    expect((await call('POST', `/api/v1/workflows/runs/${first.json.runId}/resume`, { body: { output: 'approved' } })).status).toBe(202);
    await runDetail(first.json.runId, 'COMPLETED');
    const afterFinish = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'AI news' }, headers });
    expect(afterFinish).toEqual(first);
    await eventually(async () => expect((await listed(workflowId)).totalElements).toBe(1));

    const otherKey = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'AI news' }, headers: { 'idempotency-key': 'another' } });
    expect(otherKey.json.runId).not.toBe(first.json.runId);
    // The same key for another workflow is a client bug, not a retry.
    const sibling = await createWorkflow({ name: 'Idempotent sibling' }, [{ agentId: 'procurator_assistant', action: 'Summarize' }]);
    const reused = await call('POST', `/api/v1/workflows/${sibling}/run`, { body: { input: 'AI news' }, headers });
    expect([reused.status, reused.json.error.code]).toEqual([409, 'conflict']);
    // Keys are per project: the other project's equal key is its own run.
    const project = stack.projects[1];
    const otherWorkflow = (await call<Definition>('POST', '/api/v1/workflows', { body: { name: 'Idempotent elsewhere' }, project })).json.id;
    await call('POST', `/api/v1/workflows/${otherWorkflow}/steps`, { body: { agentId: 'procurator_assistant', action: 'Summarize' }, project });
    const elsewhere = await call<RunAccepted>('POST', `/api/v1/workflows/${otherWorkflow}/run`, { body: { input: 'AI news' }, headers, project });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.json.runId).not.toBe(first.json.runId);
  });
});
