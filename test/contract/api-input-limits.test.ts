// What the API accepts, the engine can run: values the workflow could not use are refused with
// 400 at the door (durations, schemas, templates, NUL characters, deep nesting), and what gets in
// runs to a status with a code, never a failing workflow task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startAgentManagerStack, type AgentManagerStack } from './agent-manager-stack.ts';

let stack: AgentManagerStack;
beforeAll(async () => {
  stack = await startAgentManagerStack('input-limits');
});
afterAll(async () => stack?.close());

const call: AgentManagerStack['call'] = (method, path, options) => stack.call(method, path, options);
const nested = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);

async function createWorkflow(steps: object[], extra: object = {}): Promise<string> {
  const created = await call<Definition>('POST', '/api/v1/workflows', { body: { name: 'limits', ...extra } });
  expect(created.status).toBe(200);
  for (const step of steps) expect((await call('POST', `/api/v1/workflows/${created.json.id}/steps`, { body: step })).status).toBe(200);
  return created.json.id;
}

function expectRefused(response: { status: number; json: ErrorBody }, message: RegExp): void {
  expect(response.status).toBe(400);
  expect(response.json.error.code).toBe('invalid_request');
  expect(JSON.stringify(response.json.error)).toMatch(message);
}

async function pausedRun(workflowId: string): Promise<string> {
  const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'x' } });
  expect(started.status).toBe(202);
  await eventually(async () => expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${started.json.runId}`)).json.status).toBe('PAUSED'));
  return started.json.runId;
}

describe('durations', () => {
  it('refuses a step timeout of "5\\ts" with 400 and adds no step', async () => {
    const workflowId = await createWorkflow([]);
    const refused = await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { agentId: 'web_agent', action: 'a', timeout: '5\ts' } });
    expectRefused(refused, /no spaces/);
    expect((await call<unknown[]>('GET', `/api/v1/workflows/${workflowId}/steps`)).json).toEqual([]);
  });

  it.each([
    ['timeout', { timeout: 0 }],
    ['timeout', { timeout: '0s' }],
    ['timeout', { timeout: '99999999999999999999d' }],
    ['retry.backoff', { retry: { attempts: 2, backoff: '0ms', backoffCoefficient: 2 } }],
    ['retry.backoff', { retry: { attempts: 2, backoff: 1e300, backoffCoefficient: 2 } }],
    ['pauseTimeout', { pauseTimeout: '0s' }],
    ['pauseTimeout', { pauseTimeout: '1 h' }],
  ])('refuses a step %s Temporal could not run: %j', async (_field, fields) => {
    const workflowId = await createWorkflow([]);
    expect((await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'approval', message: 'ok?', options: ['yes'], ...fields } })).status).toBe(400);
  });

  it('refuses a workflow pause timeout of "0s" or "1e400", on create and on patch', async () => {
    expect((await call('POST', '/api/v1/workflows', { body: { name: 'w', pauseTimeout: '0s' } })).status).toBe(400);
    expect((await call('POST', '/api/v1/workflows', { raw: '{"name":"w","pauseTimeout":1e400}' })).status).toBe(400);
    const workflowId = await createWorkflow([]);
    expect((await call('PATCH', `/api/v1/workflows/${workflowId}`, { body: { pauseTimeout: '1e400' } })).status).toBe(400);
  });
});

describe('schemas, templates and targets', () => {
  it('refuses an input step whose JSON Schema the resume validator cannot compile', async () => {
    const workflowId = await createWorkflow([]);
    const bad = await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'input', message: 'How much?', schema: { properties: { n: { $ref: '#/$defs/missing' } } } } });
    expectRefused(bad, /points at nothing/);
    expectRefused(await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'input', message: 'How much?', schema: { type: 'string', pattern: '(' } } }), /regular expression/);
  });

  it('refuses a message a human would see with raw braces, or naming what the workflow does not provide', async () => {
    const workflowId = await createWorkflow([]);
    expectRefused(await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'approval', message: 'Ship {{ state.item', options: ['yes'] } }), /not a placeholder/);
    expectRefused(await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'approval', message: 'Ship {{item}}?', options: ['yes'] } }), /a message can name task, state, input, steps/);
  });

  it('ends a run that reaches a next target naming no step with invalid_definition', async () => {
    const workflowId = await createWorkflow([{ type: 'approval', message: 'Go?', options: ['yes', 'no'], next: { yes: 'added-later' } }]);
    const runId = await pausedRun(workflowId);
    expect((await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'yes' } })).status).toBe(202);
    const failed = await eventually(async () => {
      const run = await call<AgentManagerRunDetail & { error?: { code: string } }>('GET', `/api/v1/workflows/runs/${runId}`);
      expect(run.json.status).toBe('FAILED');
      return run.json;
    });
    expect(JSON.stringify(failed)).toMatch(/invalid_definition/);
  });
});

describe('NUL characters and deep nesting', () => {
  it('answers 400 invalid_request for NUL in a body key, a nested value, a path id and a query parameter', async () => {
    expectRefused(await call('POST', '/api/v1/workflows', { raw: '{"name":"w","extra":{"k\\u0000":1}}' }), /NUL/);
    expectRefused(await call('POST', '/api/v1/workflows', { body: { name: 'w\u0000' } }), /NUL/);
    expectRefused(await call('GET', '/api/v1/workflows/wf-a%00b'), /NUL/);
    expectRefused(await call('GET', '/api/v1/workflows?page=0%00'), /NUL/);
    expectRefused(await call('GET', '/v1/workflow-runs?cursor=%00'), /NUL/);
  });

  it('answers 400, not 500, for JSON nested 10,000 levels in a state, a schema and a resume answer', async () => {
    await createWorkflow([], { agent: 'limits-deep' });
    expectRefused(await call('POST', '/v1/agents/limits-deep/workflow', { raw: `{"input":{"task":"t","state":{"a":${nested(10_000)}}}}` }), /nested deeper than 64/);
    const workflowId = await createWorkflow([]);
    expectRefused(await call('POST', `/api/v1/workflows/${workflowId}/steps`, { raw: `{"type":"input","message":"m","schema":{"const":${nested(10_000)}}}` }), /nested deeper than 64/);
    const runId = await pausedRun(await createWorkflow([{ type: 'input', message: 'Anything?' }]));
    expectRefused(await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { raw: `{"output":${nested(10_000)}}` }), /nested deeper than 64/);
  });

  it('refuses a resume answer containing U+0000 with 400 and leaves the run paused for a good answer', async () => {
    const runId = await pausedRun(await createWorkflow([{ type: 'input', message: 'Anything?' }]));
    expectRefused(await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'ok\u0000' } }), /NUL/);
    expectRefused(await call('POST', `/v1/workflow-runs/${runId}/resume`, { body: { input: { resume: { step: 'step-1', input: { a: ['\u0000'] } } } } }), /NUL/);
    expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json.status).toBe('PAUSED');
    expect((await call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'ok' } })).status).toBe(202);
    await eventually(async () => expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json.status).toBe('COMPLETED'));
  });
});
