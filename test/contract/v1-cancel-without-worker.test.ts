// DELETE while no worker can answer: the run cannot be read, so nothing is cancelled and the
// caller gets 503 engine_unavailable (retry later), not a cancel that lands at some unknown time.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { historyLength } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;

beforeAll(async () => {
  stack = await startV1Stack('v1-cancel');
});
afterAll(async () => stack?.close());

it('answers 503 and leaves the run paused when no worker is polling', { timeout: 120_000 }, async () => {
  const client = stack.sdk(0);
  const paused = await client.agents.workflow('lead-router', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } });
  await stack.stopWorker();
  const events = await historyLength(stack.client, paused.run_id);

  const response = await fetch(`${stack.url}/v1/workflow-runs/${paused.run_id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${stack.keyOf(stack.projects[0])}` },
    // The query's own deadline (10 s) answers; the server's ~30 s wait for a worker would abort this.
    signal: AbortSignal.timeout(25_000),
  });
  expect(response.status).toBe(503);
  expect(((await response.json()) as ErrorBody).error.code).toBe('engine_unavailable');
  // No cancel request reached the run: its history is as it was.
  expect(await historyLength(stack.client, paused.run_id)).toBe(events);

  await stack.startWorker();
  expect(await client.workflowRuns.get(paused.run_id)).toStrictEqual(paused);
  expect((await client.workflowRuns.delete(paused.run_id)).output.status).toBe('cancelled');
});
