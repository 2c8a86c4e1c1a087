// The client a user generates from /openapi.json: the committed types (generated/baton-api.ts) must be
// exactly what openapi-typescript makes of the document a running Baton serves, and a client built
// from them with openapi-fetch drives a run from start to pause to completion on both APIs. Their
// types are checked by `npm run typecheck` and by generated-client.test-d.ts.
// After an API change, regenerate with:
//   npx vitest run --config test/vitest.config.ts --update=all test/contract/generated-client.test.ts
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batonApiClient, createApprovalWorkflow, getMissingV1, getRun, getV1, resumeRun, resumeV1, runWorkflow, startLeadRouter, type BatonApiClient } from './baton-openapi-client.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;
let client: BatonApiClient;
beforeAll(async () => {
  stack = await startV1Stack('generated-client');
  client = batonApiClient(stack.url, stack.keyOf(stack.projects[0]));
});
afterAll(async () => stack?.close());

/** Polls until `check` stops throwing; the Agent Manager API answers 202 and settles in the background. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => void): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('the client generated from /openapi.json', () => {
  it('has committed types that are what openapi-typescript generates from the served document', async () => {
    const document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as OpenAPI3;
    const header = '/* eslint-disable */\n// Generated from /openapi.json by test/contract/generated-client.test.ts (its --update=all regenerates it).\n';
    const source = header + COMMENT_HEADER + astToString(await openapiTS(document));
    await expect(source, 'stale: regenerate with `npx vitest run --config test/vitest.config.ts --update=all test/contract/generated-client.test.ts`').toMatchFileSnapshot('generated/baton-api.ts');
  });

  it('v1: starts the lead-router run that pauses, resumes it to completion and reads it back', async () => {
    const started = await startLeadRouter(client, 'lead-7');
    expect(started.output.status).toBe('paused');
    expect(started.output.pendingAction).toMatchObject({ step: 'approval', type: 'confirmation', options: ['approve', 'reject', 'escalate'] });

    const resumed = await resumeV1(client, started.run_id, 'approval', 'approve');
    expect(resumed.output.status).toBe('completed');
    expect(resumed.output.result).toMatchObject({ routedTo: 'enterprise-sales', leadId: 'lead-7' });
    expect(await getV1(client, started.run_id)).toEqual(resumed);
  });

  it('v1: a run that does not exist is the documented 404 Error', async () => {
    expect(await getMissingV1(client, 'wfr_nothing')).toMatchObject({ status: 404, error: { error: { code: 'run_not_found' } } });
  });

  it('Agent Manager: creates a workflow with an approval step, runs it to the pause, resumes it to completion', async () => {
    const workflowId = await createApprovalWorkflow(client, `generated-client-${Date.now()}`);
    const accepted = await runWorkflow(client, workflowId, 'a lead from example.com');
    expect(accepted.workflowId).toBe(workflowId);

    const paused = await eventually(() => getRun(client, accepted.runId), (run) => expect(run.status).toBe('PAUSED'));
    expect(paused.pendingAction).toMatchObject({ type: 'confirmation', options: ['approve', 'reject'] });

    expect((await resumeRun(client, accepted.runId, 'approve')).runId).toBe(accepted.runId);
    const completed = await eventually(() => getRun(client, accepted.runId), (run) => expect(run.status).toBe('COMPLETED'));
    expect(completed.pendingAction).toBeNull();
    expect(completed.answers).toMatchObject([{ type: 'confirmation', output: 'approve' }]);
    expect(completed.result).toMatchObject({ routedTo: 'enterprise-sales' });
  });
});
