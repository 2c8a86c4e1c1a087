// Every kind of bad request to the v1 API answers its documented code and changes nothing: a
// paused run and a finished run keep their snapshot and their history length, and a refused start
// leaves no execution under the run id its Idempotency-Key names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../src/domain/errors.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { leadRouterExample } from '../../src/examples/index.ts';
import { idempotentRunId } from '../../src/temporal/run-ids.ts';
import { executionExists, historyLength } from '../integration/engine-harness.ts';
import { startV1Stack, testMaxBodyBytes, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;
let project: string;
let paused: string;
let finished: string;
let before: Array<{ runId: string; snapshot: RunSnapshot; events: number }>;

const approve = { input: { resume: { step: 'approval', input: 'approve' } } };
const start = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };

beforeAll(async () => {
  stack = await startV1Stack('v1-bad');
  project = stack.projects[0];
  await stack.store.definitions.upsertExample(stack.projects[1], { ...leadRouterExample, id: 'wf-lead-router-b', agent: 'lead-router-b' });
  const client = stack.sdk(0);
  paused = (await client.agents.workflow('lead-router', start)).run_id;
  finished = (await client.agents.workflow('lead-router', start)).run_id;
  expect((await client.workflowRuns.resume(finished, approve)).output.status).toBe('completed');
  before = await Promise.all([paused, finished].map(async (runId) => ({
    runId,
    snapshot: await stack.runs.get(project, runId),
    events: await historyLength(stack.client, runId),
  })));
  expect(before[0]!.snapshot.status).toBe('paused');
});
afterAll(async () => stack?.close());

interface Case {
  name: string;
  method: string;
  path: () => string;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Whose key to send: a project index, 'none' or 'wrong'. */
  who?: 0 | 1 | 'none' | 'wrong';
  status: number;
  code: string;
  details?: unknown;
}

const agentPath = () => '/v1/agents/lead-router/workflow';
const resumePath = (runId: () => string) => () => `/v1/workflow-runs/${runId()}/resume`;
const runPath = (runId: () => string) => () => `/v1/workflow-runs/${runId()}`;
const pausedRun = () => paused;
const finishedRun = () => finished;

const cases: Case[] = [
  // 400 invalid_request: the body, path or query does not match its schema.
  { name: 'malformed JSON on start', method: 'POST', path: agentPath, body: '{"input": {"task": ', status: 400, code: 'invalid_request' },
  { name: 'malformed JSON on resume', method: 'POST', path: resumePath(pausedRun), body: '{"input"', status: 400, code: 'invalid_request' },
  { name: 'a body sent as text/plain', method: 'POST', path: agentPath, body: 'task=route', headers: { 'content-type': 'text/plain' }, status: 415, code: 'invalid_request' },
  { name: 'no body at all', method: 'POST', path: agentPath, status: 400, code: 'invalid_request' },
  { name: 'missing input', method: 'POST', path: agentPath, body: {}, status: 400, code: 'invalid_request' },
  { name: 'missing task', method: 'POST', path: agentPath, body: { input: { state: {} } }, status: 400, code: 'invalid_request' },
  { name: 'a task that is not a string', method: 'POST', path: agentPath, body: { input: { task: 42 } }, status: 400, code: 'invalid_request' },
  { name: 'a null task', method: 'POST', path: agentPath, body: { input: { task: null } }, status: 400, code: 'invalid_request' },
  { name: 'state that is a string', method: 'POST', path: agentPath, body: { input: { task: 't', state: 'lead-123' } }, status: 400, code: 'invalid_request' },
  { name: 'state that is an array', method: 'POST', path: agentPath, body: { input: { task: 't', state: ['lead-123'] } }, status: 400, code: 'invalid_request' },
  { name: 'a negative waitMs', method: 'POST', path: () => `${agentPath()}?waitMs=-1`, body: start, status: 400, code: 'invalid_request' },
  { name: 'a waitMs over the bound', method: 'POST', path: () => `${agentPath()}?waitMs=999999999`, body: start, status: 400, code: 'invalid_request' },
  { name: 'a waitMs that is not a number', method: 'POST', path: () => `${agentPath()}?waitMs=soon`, body: start, status: 400, code: 'invalid_request' },
  { name: 'a resume without resume', method: 'POST', path: resumePath(pausedRun), body: { input: { step: 'approval', input: 'approve' } }, status: 400, code: 'invalid_request' },
  { name: 'a resume without step', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { input: 'approve' } } }, status: 400, code: 'invalid_request' },
  { name: 'a resume without input', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'approval' } } }, status: 400, code: 'invalid_request' },
  { name: 'a list filtered by an unknown status', method: 'GET', path: () => '/v1/workflow-runs?status=sleeping', status: 400, code: 'invalid_request' },
  { name: 'a list limit of 0', method: 'GET', path: () => '/v1/workflow-runs?limit=0', status: 400, code: 'invalid_request' },
  { name: 'a list limit over 100', method: 'GET', path: () => '/v1/workflow-runs?limit=101', status: 400, code: 'invalid_request' },
  { name: 'a list cursor this API did not issue', method: 'GET', path: () => '/v1/workflow-runs?cursor=AAAA', status: 400, code: 'invalid_request' },
  { name: 'a list cursor with characters no cursor has', method: 'GET', path: () => '/v1/workflow-runs?cursor=%21%21', status: 400, code: 'invalid_request' },
  { name: 'a list filtered by an agent with a NUL', method: 'GET', path: () => '/v1/workflow-runs?agent=%00', status: 400, code: 'invalid_request' },
  // 401: no key, a malformed header, an unknown key.
  { name: 'a start without a key', method: 'POST', path: agentPath, body: start, who: 'none', status: 401, code: 'unauthorized' },
  { name: 'a resume with an unknown key', method: 'POST', path: resumePath(pausedRun), body: approve, who: 'wrong', status: 401, code: 'unauthorized' },
  { name: 'a cancel with an unknown key', method: 'DELETE', path: runPath(pausedRun), who: 'wrong', status: 401, code: 'unauthorized' },
  { name: 'a list without a key', method: 'GET', path: () => '/v1/workflow-runs', who: 'none', status: 401, code: 'unauthorized' },
  { name: 'a key that is not a Bearer token', method: 'GET', path: runPath(pausedRun), who: 'none', headers: { authorization: 'Basic a2V5Og==' }, status: 401, code: 'unauthorized' },
  // 404: unknown agent or run, or another project's run (indistinguishable from unknown).
  { name: 'an unknown agent', method: 'POST', path: () => '/v1/agents/no-such-agent/workflow', body: start, status: 404, code: 'agent_not_found' },
  { name: 'an agent published in another project only', method: 'POST', path: () => '/v1/agents/lead-router-b/workflow', body: start, status: 404, code: 'agent_not_found' },
  { name: 'get an unknown run', method: 'GET', path: () => '/v1/workflow-runs/wfr_01UNKNOWN', status: 404, code: 'run_not_found' },
  { name: 'get a run id of the wrong form', method: 'GET', path: () => '/v1/workflow-runs/not-a-run', status: 404, code: 'run_not_found' },
  { name: 'resume an unknown run', method: 'POST', path: () => '/v1/workflow-runs/wfr_01UNKNOWN/resume', body: approve, status: 404, code: 'run_not_found' },
  { name: 'cancel an unknown run', method: 'DELETE', path: () => '/v1/workflow-runs/wfr_01UNKNOWN', status: 404, code: 'run_not_found' },
  { name: 'get another project\'s run', method: 'GET', path: runPath(pausedRun), who: 1, status: 404, code: 'run_not_found' },
  { name: 'resume another project\'s run', method: 'POST', path: resumePath(pausedRun), body: approve, who: 1, status: 404, code: 'run_not_found' },
  { name: 'cancel another project\'s run', method: 'DELETE', path: runPath(pausedRun), who: 1, status: 404, code: 'run_not_found' },
  { name: 'cancel another project\'s finished run', method: 'DELETE', path: runPath(finishedRun), who: 1, status: 404, code: 'run_not_found' },
  // 409 state conflicts and 422 a resume input that is not an option.
  { name: 'resume naming the wrong step', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'classify', input: 'approve' } } }, status: 409, code: 'step_mismatch' },
  { name: 'resume with an input that is not an option', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'approval', input: 'maybe' } } }, status: 422, code: 'invalid_resume_input' },
  { name: 'resume with an object where an option is expected', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'approval', input: { choice: 'approve' } } } }, status: 422, code: 'invalid_resume_input' },
  { name: 'resume a finished run', method: 'POST', path: resumePath(finishedRun), body: approve, status: 409, code: 'run_finished' },
  { name: 'cancel a finished run', method: 'DELETE', path: runPath(finishedRun), status: 409, code: 'run_finished' },
  // 413: a body over the limit, refused before it is parsed.
  { name: 'a start body over the limit', method: 'POST', path: agentPath, body: { input: { task: 'x'.repeat(testMaxBodyBytes + 1) } }, status: 413, code: 'payload_too_large' },
  { name: 'a resume body over the limit', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'approval', input: 'y'.repeat(testMaxBodyBytes + 1) } } }, status: 413, code: 'payload_too_large' },
  // Unknown routes under /v1 are 404 not_found, after auth.
  { name: 'an unknown v1 route', method: 'GET', path: () => '/v1/workflow-runs/wfr_01UNKNOWN/steps', status: 404, code: 'not_found' },
];

const isStart = (testCase: Case) => testCase.method === 'POST' && testCase.path().startsWith('/v1/agents/');
/** Each start carries an Idempotency-Key, so the run it would have started has a known id to look up. */
const keyOf = (testCase: Case) => `refused-${cases.indexOf(testCase)}`;

async function send(testCase: Case) {
  const headers: Record<string, string> = isStart(testCase) ? { 'idempotency-key': keyOf(testCase) } : {};
  const who = testCase.who ?? 0;
  if (who === 'wrong') headers.authorization = 'Bearer not-a-key';
  else if (who !== 'none') headers.authorization = `Bearer ${stack.keyOf(stack.projects[who])}`;
  let body: string | undefined;
  if (testCase.body !== undefined) {
    body = typeof testCase.body === 'string' ? testCase.body : JSON.stringify(testCase.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, testCase.headers);
  const response = await fetch(`${stack.url}${testCase.path()}`, { method: testCase.method, headers, body });
  return { status: response.status, json: (await response.json()) as ErrorBody };
}

describe('v1 bad input', () => {
  it.each(cases)('$name → $status $code, and no run changes', async (testCase) => {
    const { status, json } = await send(testCase);
    expect({ status, code: json.error.code }).toStrictEqual({ status: testCase.status, code: testCase.code });
    expect(json.error.message).toEqual(expect.any(String));
    for (const run of before) {
      expect(await stack.runs.get(project, run.runId)).toStrictEqual(run.snapshot);
      expect(await historyLength(stack.client, run.runId)).toBe(run.events);
    }
    if (isStart(testCase)) {
      // Whichever project the request could have counted for, no run exists under its key.
      for (const who of stack.projects) expect(await executionExists(stack.client, idempotentRunId(who, keyOf(testCase)))).toBe(false);
    }
  });

  it('lists the zod issues of an invalid body in details', async () => {
    const { json } = await send({ name: '', method: 'POST', path: agentPath, body: { input: { task: 42, state: 'x' } }, status: 400, code: '' });
    const issues = json.error.details as Array<{ path: string[] }>;
    expect(issues.map((issue) => issue.path.join('.')).sort()).toStrictEqual(['input.state', 'input.task']);
  });

  it('lists the allowed options when the input is not one of them', async () => {
    const { json } = await send({ name: '', method: 'POST', path: resumePath(pausedRun), body: { input: { resume: { step: 'approval', input: 'maybe' } } }, status: 422, code: '' });
    expect(JSON.stringify(json.error.details)).toContain('"approve","reject","escalate"');
  });

  it('finds the run a good start with an Idempotency-Key started under the id the refused starts were checked by', async () => {
    const started = await stack.sdk(0).agents.workflow('lead-router', { ...start, idempotencyKey: 'accepted' });
    expect(started.run_id).toBe(idempotentRunId(project, 'accepted'));
    expect(await executionExists(stack.client, started.run_id)).toBe(true);
  });
});
