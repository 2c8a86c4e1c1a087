// `baton api` and `baton worker` as separate runtimes sharing PostgreSQL: the worker records each
// settle in the read model, and the API's event streams learn of it only through NOTIFY on its own
// LISTEN connection (the runtimes share no store, feed or emitter).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;

beforeAll(async () => {
  stack = await startV1Stack('v1-events-split', { roles: 'split' });
});
afterAll(async () => stack?.close());

function watching(runs: AsyncIterable<V1Run>) {
  const seen: V1Run[] = [];
  const done = (async () => {
    for await (const run of runs) seen.push(run);
  })();
  return { seen, done, of: (runId: string) => seen.filter((run) => run.run_id === runId).map((run) => run.output.status) };
}

async function agentManager(path: string, body: unknown): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${stack.url}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.keyOf(stack.projects[0])}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

it('streams the pause and the completion the worker records to the API\'s clients', async () => {
  expect(stack.api.worker).toBeUndefined();
  expect(stack.store.backend).toBe('postgres');
  const client = stack.sdk(0);
  const stop = new AbortController();
  const project = watching(client.workflowRuns.watchRuns({ signal: stop.signal }));
  await eventually(async () => expect(stack.api.runEvents!.size).toBe(1));

  // The Agent Manager API answers 202 at once: the API never reads the paused run itself.
  const started = await agentManager('/workflows/wf-lead-router/run', { input: 'Route this lead' });
  expect(started.status).toBe(202);
  const { runId } = started.body as { runId: string };
  await eventually(async () => expect(project.of(runId)).toContain('paused'));

  const one = watching(client.workflowRuns.watchRun(runId));
  await eventually(async () => expect(one.of(runId)).toEqual(['paused']));
  // Also 202 once applied: the completion that follows is the worker's write.
  expect((await agentManager(`/workflows/runs/${runId}/resume`, { output: 'approve' })).status).toBe(202);
  await one.done;
  expect(one.seen.at(-1)?.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales' } });
  await eventually(async () => expect(project.of(runId).at(-1)).toBe('completed'));

  stop.abort();
  await project.done;
  await eventually(async () => expect(stack.api.runEvents!.size).toBe(0));
});
