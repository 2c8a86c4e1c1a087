// The v1 shape of the pending actions the v1 specification leaves open: `input` (answered with an object that
// must match the step's schema) and `review` (send proposedOutput back to accept, or a replacement).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { BatonApiError } from '../../src/sdk/index.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;

beforeAll(async () => {
  stack = await startV1Stack('v1-pending');
  await stack.store.definitions.upsertExample(stack.projects[0], {
    id: 'wf-intake',
    name: 'Lead intake',
    agent: 'lead-intake',
    steps: [
      {
        name: 'details', type: 'input', message: 'How many employees does {{state.company}} have?',
        schema: { type: 'object', required: ['employees'], properties: { employees: { type: 'integer', minimum: 1 } } },
      },
      { name: 'classify', type: 'agent', agentId: 'lead-classifier', action: 'Classify the lead.', requireApproval: true },
    ],
  });
});
afterAll(async () => stack?.close());

const start = { input: { task: 'Take in this lead', state: { company: 'Acme' } } };

async function pausedForReview(): Promise<V1Run> {
  const client = stack.sdk(0);
  const run = await client.agents.workflow('lead-intake', start);
  expect(run.output).toStrictEqual({
    status: 'paused',
    steps: [],
    result: null,
    pendingAction: {
      step: 'details', type: 'input', message: 'How many employees does Acme have?',
      schema: { type: 'object', required: ['employees'], properties: { employees: { type: 'integer', minimum: 1 } } },
      expiresAt: expect.any(String) as string,
    },
  });
  const rejected = await client.workflowRuns.resume(run.run_id, { input: { resume: { step: 'details', input: { employees: 'many' } } } }).catch((e: unknown) => e);
  expect(rejected).toBeInstanceOf(BatonApiError);
  expect(rejected).toMatchObject({ status: 422, code: 'invalid_resume_input' });

  const review = await client.workflowRuns.resume(run.run_id, { input: { resume: { step: 'details', input: { employees: 40 } } } });
  expect(review.output.status).toBe('paused');
  // The answered input step is listed; the agent step under review is listed as running, its answer in proposedOutput.
  expect(review.output.steps).toStrictEqual([
    { name: 'details', status: 'completed', output: { employees: 40 } },
    { name: 'classify', status: 'running', output: null },
  ]);
  expect(review.output.pendingAction).toMatchObject({ step: 'classify', type: 'review', proposedOutput: { category: 'enterprise' } });
  expect(review.output.result).toBeNull();
  return review;
}

it('pauses for an input step, then for a review of the agent\'s answer; sending proposedOutput back accepts it', async () => {
  const review = await pausedForReview();
  const { proposedOutput } = review.output.pendingAction as { proposedOutput: Record<string, unknown> };
  const done = await stack.sdk(0).workflowRuns.resume(review.run_id, { input: { resume: { step: 'classify', input: proposedOutput } } });
  expect(done.output).toMatchObject({ status: 'completed', result: { category: 'enterprise' }, pendingAction: null });
  expect(done.output.steps.map((step) => [step.name, step.status])).toStrictEqual([['details', 'completed'], ['classify', 'completed']]);
});

it('takes a replacement for the reviewed output as the step\'s output and the result', async () => {
  const review = await pausedForReview();
  const done = await stack.sdk(0).workflowRuns.resume(review.run_id, { input: { resume: { step: 'classify', input: { category: 'smb' } } } });
  expect(done.output).toMatchObject({ status: 'completed', result: { category: 'smb' } });
  expect(done.output.steps[1]).toStrictEqual({ name: 'classify', status: 'completed', output: { category: 'smb' } });
});
