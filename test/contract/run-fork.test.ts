// Forking a run from one of its steps, through both APIs, the SDK and the CLI, against a real
// listening server (real app, worker, PostgreSQL and dev server): the fork starts from the parent's
// definition snapshot with the earlier outputs copied, and the parent stays exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsCommand } from '../../src/cli/runs-command.ts';
import type { AgentManagerRunDetail, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { BatonApiError } from '../../src/sdk/index.ts';
import { eventually, historyLength } from '../integration/engine-harness.ts';
import { startV1Stack, testMaxBodyBytes, type V1Stack } from './v1-stack.ts';
import { runOperatorCommand } from '../fixtures/operator-cli.ts';

let stack: V1Stack;
let project: string;
/** Every call of the `reviewer` agent: which run, on what input. */
const reviews: Array<{ runId: string; input: unknown }> = [];

// draft → review → publish: publish shows what review answered and what draft wrote (a copied output).
const pipeline = {
  id: 'wf-fork-pipeline',
  name: 'Fork pipeline',
  agent: 'fork-pipeline',
  steps: [
    { name: 'draft', type: 'agent' as const, agentId: 'template', action: 'draft for {{task}}' },
    { name: 'review', type: 'agent' as const, agentId: 'reviewer', action: 'Review it.' },
    { name: 'publish', type: 'agent' as const, agentId: 'template', action: 'published: {{input}} / {{steps.draft.output}}' },
  ],
};

// draft → gate (stop fails the run) → amount (a number of at least 1) → publish.
const gated = {
  id: 'wf-fork-gated',
  name: 'Fork gated',
  agent: 'fork-gated',
  steps: [
    { name: 'draft', type: 'agent' as const, agentId: 'template', action: 'draft for {{task}}' },
    { name: 'gate', type: 'approval' as const, message: 'Ship {{steps.draft.output}}?', options: ['ok', 'stop'], next: { stop: 'fail' } },
    { name: 'amount', type: 'input' as const, message: 'How many?', schema: { type: 'number', minimum: 1 } },
    { name: 'publish', type: 'agent' as const, agentId: 'template', action: '{{input}} x {{steps.draft.output}} ({{steps.gate.output}})' },
  ],
};

beforeAll(async () => {
  stack = await startV1Stack('run-fork');
  project = stack.projects[0];
  stack.registerAgent('reviewer', {
    kind: 'function',
    run: async (context) => {
      reviews.push({ runId: context.runId, input: context.input });
      return `reviewed(${String(context.input)})`;
    },
  });
  for (const example of [pipeline, gated]) await stack.store.definitions.upsertExample(project, example);
  await stack.store.definitions.upsertExample(stack.projects[1], { ...pipeline, id: 'wf-fork-pipeline-b' });
});
afterAll(async () => stack?.close());

async function call<T = ErrorBody>(method: string, path: string, options: { body?: unknown; raw?: string; project?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: T }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.keyOf(options.project ?? project)}`, ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as T };
}

const start = (agent: string, task: string) => call<V1Run>('POST', `/v1/agents/${agent}/workflow`, { body: { input: { task, state: { who: 'fork-test' } } } });
const fork = (runId: string, body: unknown, query = '') => call<V1Run>('POST', `/v1/workflow-runs/${runId}/fork${query}`, { body });
const getRun = async (runId: string) => (await call<V1Run>('GET', `/v1/workflow-runs/${runId}`)).json;
/** What must not change in a parent: its status, version and steps (and its history). */
const frozen = async (runId: string) => {
  const snapshot: RunSnapshot = await stack.runs.get(project, runId);
  return { status: snapshot.status, version: snapshot.version, steps: snapshot.steps, events: await historyLength(stack.client, runId) };
};

describe('v1: POST /v1/workflow-runs/{runId}/fork', () => {
  it('with an edited output for step 2: step 3 gets the edited value, step 1 is copied, the parent is unchanged and lists the fork', async () => {
    const parent = await start('fork-pipeline', 'T1');
    expect(parent.status).toBe(200);
    expect(parent.json.output).toMatchObject({ status: 'completed', result: 'published: reviewed(draft for T1) / draft for T1' });
    const before = await frozen(parent.json.run_id);

    const forked = await fork(parent.json.run_id, { fromStep: 'review', output: 'edited by hand' });
    expect(forked.status).toBe(200);
    expect(forked.json.run_id).not.toBe(parent.json.run_id);
    expect(forked.json.output).toMatchObject({
      status: 'completed',
      result: 'published: edited by hand / draft for T1',
      forkedFrom: { runId: parent.json.run_id, step: 'review' },
      steps: [
        { name: 'draft', status: 'completed', output: 'draft for T1', origin: 'copied' },
        { name: 'review', status: 'completed', output: 'edited by hand', origin: 'given' },
        { name: 'publish', status: 'completed', output: 'published: edited by hand / draft for T1' },
      ],
    });
    expect(forked.json.output.steps[2]).not.toHaveProperty('origin');
    // The given output was not produced by running the agent.
    expect(reviews.filter((review) => review.runId === forked.json.run_id)).toEqual([]);

    expect(await frozen(parent.json.run_id)).toEqual(before);
    expect((await getRun(parent.json.run_id)).output.forks).toEqual([forked.json.run_id]);
    const fork1 = await getRun(forked.json.run_id);
    expect(fork1.output.forkedFrom).toEqual({ runId: parent.json.run_id, step: 'review' });
    expect(fork1.output).not.toHaveProperty('forks');
  });

  it('without an output re-runs step 2 on the input it got in the parent, from the definition as the parent ran it', async () => {
    const parent = await start('fork-pipeline', 'T2');
    expect(parent.json.output.status).toBe('completed');
    const parentReview = reviews.find((review) => review.runId === parent.json.run_id)!;
    // Later edits of the workflow never reach a fork: it runs the parent's snapshot.
    const current = await stack.store.definitions.get(project, pipeline.id);
    await stack.store.definitions.removeStep(project, pipeline.id, current.steps.find((step) => step.name === 'publish')!.id);
    try {
      const forked = await fork(parent.json.run_id, { fromStep: 'review' });
      expect(forked.status).toBe(200);
      expect(forked.json.output).toMatchObject({
        status: 'completed',
        result: 'published: reviewed(draft for T2) / draft for T2',
        steps: [
          { name: 'draft', output: 'draft for T2', origin: 'copied' },
          { name: 'review', output: 'reviewed(draft for T2)' },
          { name: 'publish', output: 'published: reviewed(draft for T2) / draft for T2' },
        ],
      });
      expect(forked.json.output.steps[1]).not.toHaveProperty('origin');
      expect(reviews.filter((review) => review.runId === forked.json.run_id)).toEqual([{ runId: forked.json.run_id, input: parentReview.input }]);
    } finally {
      await stack.store.definitions.addStep(project, pipeline.id, pipeline.steps[2]!);
    }
  });

  it('forks a failed run past its failure, and a paused run while it waits; both parents stay as they were', async () => {
    const failing = await start('fork-gated', 'F');
    expect(failing.json.output.pendingAction).toMatchObject({ step: 'gate', message: 'Ship draft for F?' });
    const failed = await call<V1Run>('POST', `/v1/workflow-runs/${failing.json.run_id}/resume`, { body: { input: { resume: { step: 'gate', input: 'stop' } } } });
    expect(failed.json.output).toMatchObject({ status: 'failed', error: { code: 'branch_failed' } });
    const failedBefore = await frozen(failing.json.run_id);

    // The gate answered otherwise: the fork goes on to the input step, the copied draft in its message.
    const forked = await fork(failing.json.run_id, { fromStep: 'gate', output: 'ok' });
    expect(forked.json.output).toMatchObject({ status: 'paused', pendingAction: { step: 'amount', type: 'input' }, forkedFrom: { runId: failing.json.run_id, step: 'gate' } });
    const done = await call<V1Run>('POST', `/v1/workflow-runs/${forked.json.run_id}/resume`, { body: { input: { resume: { step: 'amount', input: 3 } } } });
    expect(done.json.output).toMatchObject({ status: 'completed', result: '3 x draft for F (ok)' });
    // The given answer is routed like an answer: `stop` ends the fork as failed, as it did the parent.
    const stopped = await fork(failing.json.run_id, { fromStep: 'gate', output: 'stop' });
    expect(stopped.json.output).toMatchObject({ status: 'failed', error: { code: 'branch_failed', step: 'gate' }, steps: [{ name: 'draft', origin: 'copied' }, { name: 'gate', output: 'stop', origin: 'given' }] });
    expect(await frozen(failing.json.run_id)).toEqual(failedBefore);

    // A paused parent: the fork asks the same question again, the parent still waits.
    const paused = await start('fork-gated', 'P');
    const pausedBefore = await frozen(paused.json.run_id);
    const again = await fork(paused.json.run_id, { fromStep: 'gate' });
    expect(again.json.output).toMatchObject({ status: 'paused', pendingAction: { step: 'gate', message: 'Ship draft for P?' }, steps: [{ name: 'draft', origin: 'copied' }] });
    // And with the answer given, straight on to the next question.
    const answered = await fork(paused.json.run_id, { fromStep: 'gate', output: 'ok' });
    expect(answered.json.output).toMatchObject({ status: 'paused', pendingAction: { step: 'amount' } });
    expect(await frozen(paused.json.run_id)).toEqual(pausedBefore);
    expect((await getRun(paused.json.run_id)).output.forks).toEqual([again.json.run_id, answered.json.run_id]);

    // A fork of a fork copies what its own parent had, copied steps included.
    const grandchild = await fork(answered.json.run_id, { fromStep: 'amount', output: 2 });
    expect(grandchild.json.output).toMatchObject({
      status: 'completed',
      result: '2 x draft for P (ok)',
      forkedFrom: { runId: answered.json.run_id, step: 'amount' },
      steps: [{ name: 'draft', origin: 'copied' }, { name: 'gate', output: 'ok', origin: 'copied' }, { name: 'amount', output: 2, origin: 'given' }, { name: 'publish' }],
    });
  });

  it('answers like a start: ?waitMs=0 returns it running, and the same Idempotency-Key returns the same fork', async () => {
    const parent = await start('fork-pipeline', 'K');
    const headers = { 'idempotency-key': 'fork-once' };
    const first = await call<V1Run>('POST', `/v1/workflow-runs/${parent.json.run_id}/fork?waitMs=0`, { body: { fromStep: 'review' }, headers });
    expect(first.status).toBe(200);
    expect(['running', 'completed']).toContain(first.json.output.status);
    const second = await call<V1Run>('POST', `/v1/workflow-runs/${parent.json.run_id}/fork`, { body: { fromStep: 'review' }, headers });
    expect(second.json.run_id).toBe(first.json.run_id);
    expect(second.json.output.status).toBe('completed');
    expect(reviews.filter((review) => review.runId === first.json.run_id)).toHaveLength(1);
    // The key names that fork: reused for another step it is refused, and nothing else starts.
    const countBefore = await stack.runs.count(project, {});
    const reused = await call('POST', `/v1/workflow-runs/${parent.json.run_id}/fork`, { body: { fromStep: 'publish' }, headers });
    expect({ status: reused.status, code: reused.json.error.code }).toEqual({ status: 409, code: 'conflict' });
    expect(await stack.runs.count(project, {})).toBe(countBefore);
    expect((await getRun(parent.json.run_id)).output.forks).toEqual([first.json.run_id]);
  });
});

describe('Agent Manager: POST /api/v1/workflows/runs/{runId}/fork', () => {
  it('takes the step by id or name, answers 202 like a run start, and both details link parent and fork', async () => {
    const parent = await start('fork-pipeline', 'AM');
    const definition = await stack.store.definitions.get(project, pipeline.id);
    const reviewId = definition.steps.find((step) => step.name === 'review')!.id;
    const accepted = await call<RunAccepted>('POST', `/api/v1/workflows/runs/${parent.json.run_id}/fork`, { body: { fromStep: reviewId, output: { verdict: 'fine' } } });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ workflowId: pipeline.id, jobId: expect.stringMatching(/^job-/) as string, sessionId: expect.stringMatching(/^ses_/) as string });
    const detail = await eventually(async () => {
      const read = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${accepted.json.runId}`);
      expect(read.json.status).toBe('COMPLETED');
      return read.json;
    });
    expect(detail).toMatchObject({
      forkedFrom: { runId: parent.json.run_id, step: 'review' },
      steps: [
        { name: 'draft', status: 'COMPLETED', origin: 'copied' },
        { name: 'review', output: { verdict: 'fine' }, origin: 'given', input: 'draft for AM' },
        { name: 'publish', output: 'published: {"verdict":"fine"} / draft for AM' },
      ],
    });
    const parentDetail = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${parent.json.run_id}`);
    expect(parentDetail.json.forks).toEqual([accepted.json.runId]);
    expect(parentDetail.json).not.toHaveProperty('forkedFrom');

    const byName = await call<RunAccepted>('POST', `/api/v1/workflows/runs/${parent.json.run_id}/fork`, { body: { fromStep: 'publish' } });
    expect(byName.status).toBe(202);
    // The AM start lists the run before answering: the parent's forks show it at once.
    expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${parent.json.run_id}`)).json.forks).toEqual([accepted.json.runId, byName.json.runId]);

    // An Idempotency-Key answers the same fork (and jobId) again; reused for another step, 409.
    const headers = { 'idempotency-key': 'am-fork-once' };
    const keyed = await call<RunAccepted>('POST', `/api/v1/workflows/runs/${parent.json.run_id}/fork`, { body: { fromStep: 'review' }, headers });
    expect(keyed.status).toBe(202);
    expect(await call<RunAccepted>('POST', `/api/v1/workflows/runs/${parent.json.run_id}/fork`, { body: { fromStep: 'review' }, headers })).toEqual(keyed);
    const reused = await call('POST', `/api/v1/workflows/runs/${parent.json.run_id}/fork`, { body: { fromStep: 'draft' }, headers });
    expect({ status: reused.status, code: reused.json.error.code }).toEqual({ status: 409, code: 'conflict' });
    expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${parent.json.run_id}`)).json.forks).toEqual([accepted.json.runId, byName.json.runId, keyed.json.runId]);
  });
});

describe('refused forks start nothing', () => {
  let completed: string;
  let pausedAtGate: string;
  let failedAtGate: string;

  beforeAll(async () => {
    completed = (await start('fork-pipeline', 'R')).json.run_id;
    pausedAtGate = (await start('fork-gated', 'R')).json.run_id;
    failedAtGate = (await start('fork-gated', 'R2')).json.run_id;
    await call('POST', `/v1/workflow-runs/${failedAtGate}/resume`, { body: { input: { resume: { step: 'gate', input: 'stop' } } } });
  });

  const v1 = (runId: () => string) => () => `/v1/workflow-runs/${runId()}/fork`;
  const am = (runId: () => string) => () => `/api/v1/workflows/runs/${runId()}/fork`;
  const cases: Array<{ name: string; path: () => string; body?: unknown; raw?: string; headers?: Record<string, string>; project?: number; status: number; code: string }> = [];
  for (const [api, path] of [['v1', v1], ['Agent Manager', am]] as const) {
    cases.push(
      { name: `${api}: another project's run`, path: path(() => completed), body: { fromStep: 'review' }, project: 1, status: 404, code: 'run_not_found' },
      { name: `${api}: a run id that does not exist`, path: path(() => 'wfr_01JNOSUCHRUN0000000000000'), body: { fromStep: 'review' }, status: 404, code: 'run_not_found' },
      { name: `${api}: an unknown step`, path: path(() => completed), body: { fromStep: 'nope' }, status: 422, code: 'unknown_step' },
      { name: `${api}: a step the paused run has not reached`, path: path(() => pausedAtGate), body: { fromStep: 'amount' }, status: 409, code: 'step_not_reached' },
      { name: `${api}: a step the failed run never reached`, path: path(() => failedAtGate), body: { fromStep: 'publish', output: 'x' }, status: 409, code: 'step_not_reached' },
      { name: `${api}: an output that is not one of the approval's options`, path: path(() => pausedAtGate), body: { fromStep: 'gate', output: 'maybe' }, status: 422, code: 'invalid_fork_output' },
      { name: `${api}: null for an approval`, path: path(() => pausedAtGate), body: { fromStep: 'gate', output: null }, status: 422, code: 'invalid_fork_output' },
      { name: `${api}: malformed JSON`, path: path(() => completed), raw: '{"fromStep": ', status: 400, code: 'invalid_request' },
      { name: `${api}: fromStep of the wrong type`, path: path(() => completed), body: { fromStep: 2 }, status: 400, code: 'invalid_request' },
      { name: `${api}: no fromStep`, path: path(() => completed), body: { output: 'x' }, status: 400, code: 'invalid_request' },
      { name: `${api}: an empty fromStep`, path: path(() => completed), body: { fromStep: '' }, status: 400, code: 'invalid_request' },
      { name: `${api}: a body that is not an object`, path: path(() => completed), body: ['review'], status: 400, code: 'invalid_request' },
      { name: `${api}: an oversize body`, path: path(() => completed), body: { fromStep: 'review', output: 'x'.repeat(testMaxBodyBytes + 1) }, status: 413, code: 'payload_too_large' },
      { name: `${api}: not sent as JSON`, path: path(() => completed), raw: 'fromStep=review', headers: { 'content-type': 'text/plain' }, status: 415, code: 'invalid_request' },
    );
  }

  it.each(cases)('$name → $status $code', async (testCase) => {
    const countBefore = await stack.runs.count(project, {});
    const parents = [completed, pausedAtGate, failedAtGate];
    const before = await Promise.all(parents.map(frozen));
    const response = await call('POST', testCase.path(), {
      ...(testCase.raw !== undefined ? { raw: testCase.raw } : { body: testCase.body }),
      ...(testCase.headers ? { headers: testCase.headers } : {}),
      ...(testCase.project !== undefined ? { project: stack.projects[testCase.project] } : {}),
    });
    expect({ status: response.status, code: response.json.error?.code }).toEqual({ status: testCase.status, code: testCase.code });
    expect(await stack.runs.count(project, {})).toBe(countBefore);
    expect(await Promise.all(parents.map(frozen))).toEqual(before);
    for (const runId of parents) expect((await getRun(runId)).output).not.toHaveProperty('forks');
  });

  it('an input step\'s schema refuses the output with its errors', async () => {
    const forkedOnce = await fork(pausedAtGate, { fromStep: 'gate', output: 'ok' });
    expect(forkedOnce.json.output.pendingAction?.step).toBe('amount');
    const countBefore = await stack.runs.count(project, {});
    for (const output of ['three', 0]) {
      const refused = await call('POST', `/v1/workflow-runs/${forkedOnce.json.run_id}/fork`, { body: { fromStep: 'amount', output } });
      expect(refused.status).toBe(422);
      expect(refused.json.error.code).toBe('invalid_fork_output');
      expect(refused.json.error.details).toMatchObject({ errors: [expect.objectContaining({ path: '#' })] });
    }
    expect(await stack.runs.count(project, {})).toBe(countBefore);
  });
});

describe('SDK and CLI', () => {
  it('client.workflowRuns.fork forks with and without an output; an unknown step rejects with its code', async () => {
    const client = stack.sdk(0);
    const parent = await client.agents.workflow('fork-pipeline', { input: { task: 'S' } });
    const edited = await client.workflowRuns.fork(parent.run_id, { fromStep: 'review', output: 'sdk edit' });
    expect(edited.output).toMatchObject({ status: 'completed', result: 'published: sdk edit / draft for S', forkedFrom: { runId: parent.run_id, step: 'review' } });
    const rerun = await client.workflowRuns.fork(parent.run_id, { fromStep: 'publish', idempotencyKey: 'sdk-fork', waitMs: 30_000 });
    expect(rerun.output).toMatchObject({ status: 'completed', steps: [{ origin: 'copied' }, { origin: 'copied' }, { name: 'publish' }] });
    expect((await client.workflowRuns.fork(parent.run_id, { fromStep: 'publish', idempotencyKey: 'sdk-fork' })).run_id).toBe(rerun.run_id);
    expect((await client.workflowRuns.get(parent.run_id)).output.forks).toEqual([edited.run_id, rerun.run_id]);
    const refused = await client.workflowRuns.fork(parent.run_id, { fromStep: 'nope' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BatonApiError);
    expect(refused).toMatchObject({ status: 422, code: 'unknown_step' });
  });

  it('baton runs fork <runId> --from STEP [--output VALUE]', async () => {
    const env = { BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(project) };
    const baton = (args: string[]) => runOperatorCommand(runsCommand, args, env);
    const parent = await stack.sdk(0).agents.workflow('fork-pipeline', { input: { task: 'C' } });
    const text = await baton(['fork', parent.run_id, '--from', 'review', '--output', '{"n":1}']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(new RegExp(`^Forked ${parent.run_id} from step review with output \\{"n":1\\} as wfr_\\S+; now completed, result published: \\{"n":1\\} / draft for C$`));
    const json = await baton(['fork', parent.run_id, '--from', 'review', '--json']);
    const forked = JSON.parse(json.out) as V1Run;
    expect(forked.output).toMatchObject({ status: 'completed', forkedFrom: { runId: parent.run_id, step: 'review' } });
    const shown = await baton(['get', forked.run_id]);
    expect(shown.out).toContain(`Forked  from ${parent.run_id} at step review\n`);
    expect(shown.out).toMatch(/ {2}1\.\s+draft\s+completed \(copied\)\s+draft for C/);
    expect((await baton(['get', parent.run_id])).out).toContain(`Forks   ${text.out.match(/as (wfr_\S+);/)![1]}, ${forked.run_id}\n`);

    expect(await baton(['fork', parent.run_id])).toMatchObject({ code: 2, err: expect.stringContaining('baton runs fork needs --from STEP') as string });
    expect(await baton(['fork', parent.run_id, '--from', 'nope'])).toMatchObject({ code: 1, err: expect.stringContaining('error: unknown_step (HTTP 422)') as string });
  });
});

describe('OpenAPI', () => {
  it('documents both fork operations with their body, Idempotency-Key and every refusal code', async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, { description: string }> }>>;
    };
    const operations = [
      { path: '/v1/workflow-runs/{runId}/fork', operationId: 'forkWorkflowRunV1', success: '200', body: 'V1ForkBody' },
      { path: '/api/v1/workflows/runs/{runId}/fork', operationId: 'forkWorkflowRun', success: '202', body: 'ForkRunBody' },
    ];
    for (const { path, operationId, success, body } of operations) {
      const operation = doc.paths[path]!.post!;
      expect(operation.operationId).toBe(operationId);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([success, '400', '401', '404', '409', '413', '415', '422', '502', '503']));
      const text = JSON.stringify(operation);
      for (const field of [`#/components/schemas/${body}`, 'idempotency-key', 'run_not_found', 'step_not_reached', 'unknown_step', 'invalid_fork_output', 'payload_too_large']) expect([path, text.includes(field)]).toEqual([path, true]);
    }
  });
});
