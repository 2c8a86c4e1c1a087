// A worker whose sticky cache holds fewer runs than are paused: the runs it evicted replay their
// history when resumed and complete like the ones it kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAsDefinition, leadRouterExample } from '../../src/examples/index.ts';
import { startBatonStack, type BatonStack } from './baton-stack.ts';

const CACHE = 2;
let stack: BatonStack;
beforeAll(async () => {
  stack = await startBatonStack({ name: 'cache-eviction', env: { BATON_WORKER_MAX_CACHED_WORKFLOWS: String(CACHE) } });
});
afterAll(async () => stack?.close());

describe('a worker with a cache smaller than its paused runs', () => {
  it('resumes runs it evicted from its cache and completes them as routed', async () => {
    const definition = exampleAsDefinition(leadRouterExample, 'default');
    const paused = [];
    for (const leadId of ['lead-1', 'lead-2', 'lead-3', 'lead-4']) {
      const run = await stack.runs.startAndWait({ project: 'default', definition, task: 'Route this lead to the right team', state: { leadId }, input: null });
      expect([run.status, run.pendingAction?.step]).toEqual(['paused', 'approval']);
      paused.push(run);
    }
    // Four paused, at most two cached: the first runs are no longer in the worker.
    expect(stack.api.worker!.getStatus().numCachedWorkflows).toBeLessThanOrEqual(CACHE);

    // Oldest first: those are the evicted ones.
    for (const [index, run] of paused.entries()) {
      const completed = await stack.runs.resumeAndWait('default', run.runId, { step: 'approval', input: 'approve' });
      expect([completed.status, completed.result]).toEqual(['completed', { routedTo: 'enterprise-sales', leadId: `lead-${index + 1}`, category: 'enterprise' }]);
      expect(completed.steps.map((step) => [step.name, step.status])).toEqual([['classify', 'completed'], ['approval', 'completed'], ['route', 'completed']]);
    }
    expect(await stack.store.runs.count('default', { status: 'completed' })).toBe(4);
  });
});
