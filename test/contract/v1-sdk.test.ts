// The v1 specification's "Using the SDK" and "Managing workflow runs" snippets, run essentially verbatim
// against a real listening server (real app, worker and dev server).
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BatonApiError, createClient, type BatonClient } from '../../src/sdk/index.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;
let client: BatonClient;

beforeAll(async () => {
  stack = await startV1Stack('v1-sdk');
  client = createClient({ baseUrl: stack.url, apiKey: stack.keyOf(stack.projects[0]) });
});
afterAll(async () => stack?.close());

it('runs the specification\'s SDK example: start, see it paused, resume with approve, completed with a result', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  let resumed = false;

  // Start a workflow
  const run = await client.agents.workflow("lead-router", {
    input: { task: "Route this lead", state: { leadId: "lead-123" } },
  })

  if (run.output.status === "paused") {
    // Resume with user decision
    const result = await client.workflowRuns.resume(run.run_id, {
      input: { resume: { step: "approval", input: "approve" } },
    })

    console.log(result.output.status) // "completed"
    console.log(result.output.result)
    resumed = true;
  }

  expect(resumed).toBe(true);
  expect(log.mock.calls).toStrictEqual([
    ['completed'],
    [{ routedTo: 'enterprise-sales', leadId: 'lead-123', category: 'enterprise' }],
  ]);
  log.mockRestore();
});

it('runs the specification\'s run-management example: list, get, cancel', async () => {
  const started = await client.agents.workflow('lead-router', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } });
  const wfr_abc123 = started.run_id;
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});

  // List workflow runs
  const runs = await eventually(async () => {
    const runs = await client.workflowRuns.list()
    expect(runs.data.map((r) => r.run_id)).toContain(wfr_abc123);
    return runs;
  });

  // Get run status
  const run = await client.workflowRuns.get(wfr_abc123)
  console.log(run.output.status)

  // Cancel a run
  await client.workflowRuns.delete(wfr_abc123)

  expect(runs.data.find((r) => r.run_id === wfr_abc123)?.status).toBe('paused');
  expect(log.mock.calls).toStrictEqual([['paused']]);
  log.mockRestore();
  expect((await client.workflowRuns.get(wfr_abc123)).output.status).toBe('cancelled');
});

it('passes waitMs and the idempotency key through to the API', async () => {
  const options = { input: { task: 'Route this lead', state: { leadId: 'lead-9' } }, idempotencyKey: 'sdk-lead-9', waitMs: 0 };
  const first = await client.agents.workflow('lead-router', options);
  expect(first.output.status).toBe('running');
  const again = await client.agents.workflow('lead-router', { ...options, waitMs: 30_000 });
  expect(again.run_id).toBe(first.run_id);
  expect(again.output.status).toBe('paused');
  // Even once the run finished, a retry with the key answers that run rather than starting another.
  const done = await client.workflowRuns.resume(first.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
  expect(await client.agents.workflow('lead-router', options)).toStrictEqual(done);
});

it('rejects with typed BatonApiErrors carrying the documented codes', async () => {
  const { run_id } = await client.agents.workflow('lead-router', { input: { task: 'Route this lead' } });
  const wrongOption = await client.workflowRuns.resume(run_id, { input: { resume: { step: 'approval', input: 'maybe' } } }).catch((e: unknown) => e);
  expect(wrongOption).toBeInstanceOf(BatonApiError);
  expect(wrongOption).toMatchObject({ code: 'invalid_resume_input', status: 422 });
  await expect(client.agents.workflow('nobody', { input: { task: 't' } })).rejects.toMatchObject({ code: 'agent_not_found', status: 404 });
  await expect(client.workflowRuns.get('wfr_nope')).rejects.toMatchObject({ code: 'run_not_found', status: 404 });
  // Another project's key cannot see the run.
  const other = createClient({ baseUrl: stack.url, apiKey: stack.keyOf(stack.projects[1]) });
  await expect(other.workflowRuns.get(run_id)).rejects.toMatchObject({ code: 'run_not_found', status: 404 });
  await expect(createClient({ baseUrl: stack.url }).workflowRuns.list()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
});
