// Property: every definition the API accepts either runs (completes, pauses, fails with a run
// failure code, or is still working) or is refused at the API with 400; none leaves a workflow
// task failing. Definitions come from definition-arbitraries.ts; whether each request must be
// accepted is decided by the same zod schemas the routes validate with.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonTextProblem } from '../../api/middleware/json-guard.ts';
import type { RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import { definitionCreateSchema, stepInputSchema } from '../../src/domain/definition-input.ts';
import type { Definition } from '../../src/domain/definition.ts';
import { runFailureCodes } from '../../src/domain/errors.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { startAgentManagerStack, type AgentManagerStack } from './agent-manager-stack.ts';
import { definitionArb, type GeneratedDefinition } from './definition-arbitraries.ts';

let stack: AgentManagerStack;
beforeAll(async () => {
  stack = await startAgentManagerStack('property');
});
afterAll(async () => stack?.close());

// Bounded: a run that is still working after this long is checked as it stands, then terminated.
const settleWithinMs = 6_000;
const numRuns = Number(process.env.BATON_PROPERTY_RUNS ?? 50);

/** What the API must answer for a body: 400 exactly when the guard or the route's schema refuses it. */
function mustRefuse(schema: { safeParse(value: unknown): { success: boolean } }, body: unknown): boolean {
  return jsonTextProblem(JSON.stringify(body)) !== null || !schema.safeParse(body).success;
}

async function workflowTaskFailures(runId: string): Promise<string[]> {
  const history = await stack.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => (event.workflowTaskFailedEventAttributes ? [event.workflowTaskFailedEventAttributes.failure?.message ?? 'workflow task failed'] : []));
}

/** The run once it pauses or finishes, or as it stands after settleWithinMs. */
async function settled(runId: string): Promise<RunSnapshot> {
  const deadline = Date.now() + settleWithinMs;
  for (;;) {
    // A failing workflow task also fails queries: the history says why.
    const failures = await workflowTaskFailures(runId);
    expect(failures, `run ${runId} has failing workflow tasks`).toEqual([]);
    const snapshot = await stack.runs.get(stack.projects[0], runId).catch(async (error: unknown) => {
      expect(await workflowTaskFailures(runId), `run ${runId} has failing workflow tasks`).toEqual([]);
      throw error;
    });
    if (snapshot.status !== 'running' || Date.now() > deadline) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How the generated runs ended, so the test shows it exercised the engine and not only the 400s. */
const outcomes = new Map<string, number>();
const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

async function checkDefinition(generated: GeneratedDefinition): Promise<void> {
  const created = await stack.call<Definition>('POST', '/api/v1/workflows', { body: generated.create });
  expect(created.status, JSON.stringify(created.json)).toBe(mustRefuse(definitionCreateSchema, generated.create) ? 400 : 200);
  if (created.status !== 200) return;
  const workflowId = created.json.id;

  let accepted = 0;
  for (const step of generated.steps) {
    const added = await stack.call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: step });
    if (mustRefuse(stepInputSchema, step)) expect(added.status, JSON.stringify({ step, answer: added.json })).toBe(400);
    // Accepted by the schema: only a missing agent or a taken name may still refuse it.
    else expect([200, 404, 409], JSON.stringify({ step, answer: added.json })).toContain(added.status);
    if (added.status === 200) accepted++;
  }
  if (accepted === 0) return;

  const started = await stack.call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'property input' } });
  expect(started.status).toBe(202);
  const runId = started.json.runId;
  try {
    let snapshot = await settled(runId);
    for (const answer of generated.answers) {
      if (snapshot.status !== 'paused' || !snapshot.pendingAction) break;
      const options = 'options' in snapshot.pendingAction ? snapshot.pendingAction.options : undefined;
      const output = options && typeof answer === 'string' && !options.includes(answer) ? options[0] : answer;
      const resumed = await stack.call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output } });
      // 403: a quorum's answer without a label (these keys have none).
      expect([202, 400, 403, 409, 422], JSON.stringify(resumed.json)).toContain(resumed.status);
      snapshot = await settled(runId);
    }
    expect(await workflowTaskFailures(runId)).toEqual([]);
    count(snapshot.status === 'failed' ? `failed: ${snapshot.error?.code}` : snapshot.status);
    if (snapshot.status === 'failed') expect(runFailureCodes as readonly string[]).toContain(snapshot.error?.code);
  } finally {
    const handle = stack.client.workflow.getHandle(runId);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') await handle.terminate('property test done');
  }
}

describe('definitions the API accepts', () => {
  it('run to a status with a code, or are refused with 400; no workflow task fails', { timeout: 600_000 }, async () => {
    await fc.assert(fc.asyncProperty(definitionArb, checkDefinition), { numRuns, endOnFailure: true });
    console.info('[property] run outcomes', Object.fromEntries(outcomes));
    const started = [...outcomes.values()].reduce((sum, n) => sum + n, 0);
    expect(started).toBeGreaterThanOrEqual(Math.floor(numRuns / 5));
  });
});
