// Restarting the API process loses nothing: runs live in Temporal and definitions in the store,
// so a new app with a new Temporal client and a reopened store reads, lists and resumes them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../src/sdk/index.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;

beforeAll(async () => {
  // `baton api` and `baton worker` as separate runtimes over PostgreSQL, as deployed.
  stack = await startV1Stack('v1-restart', { roles: 'split' });
});
afterAll(async () => stack?.close());

it('reads, lists, resumes and cancels runs started before the API restarted, and starts new ones', async () => {
  const [project] = stack.projects;
  const before = stack.sdk(0);
  const start = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };
  const toResume = await before.agents.workflow('lead-router', start);
  const toCancel = await before.agents.workflow('lead-router', start);
  const done = await before.workflowRuns.resume((await before.agents.workflow('lead-router', start)).run_id, {
    input: { resume: { step: 'approval', input: 'reject' } },
  });

  // Stop the API process (HTTP server, store, Temporal client) and start a new one. The worker keeps running.
  await stack.api.close();
  const restarted = await stack.startRuntime('api');
  const after = createClient({ baseUrl: restarted.urls.api!, apiKey: stack.keyOf(project) });

  expect(await after.workflowRuns.get(toResume.run_id)).toStrictEqual(toResume);
  expect(await after.workflowRuns.get(done.run_id)).toStrictEqual(done);
  const listed = await eventually(async () => {
    const page = await after.workflowRuns.list();
    expect(page.data).toHaveLength(3);
    return page;
  });
  expect(Object.fromEntries(listed.data.map((run) => [run.run_id, run.status]))).toStrictEqual({
    [toResume.run_id]: 'paused', [toCancel.run_id]: 'paused', [done.run_id]: 'completed',
  });

  const resumed: V1Run = await after.workflowRuns.resume(toResume.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
  expect(resumed.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales', leadId: 'lead-123' } });
  expect((await after.workflowRuns.delete(toCancel.run_id)).output.status).toBe('cancelled');
  // The published definition came back with the reopened store.
  expect((await after.agents.workflow('lead-router', start)).output.status).toBe('paused');
});
