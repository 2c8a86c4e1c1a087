// A client that knows Baton only through /openapi.json, the way a generated client does: it finds
// each operation by its operationId, sends requests to the document's server with the bearer key its
// security names, and checks every answer against the documented schema for that status.
import { Validator } from '@cfworker/json-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

interface Operation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface Document {
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string }> };
}
interface Answer { status: number; body: Record<string, unknown> }

function documentClient(document: Document, documentUrl: string, apiKey: string) {
  const byId = new Map(Object.entries(document.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, op]) => [op.operationId, { route, method, op }] as const)));
  // A relative server is resolved against where the document came from; paths are appended to it.
  const base = new URL(document.servers[0]!.url, documentUrl).href.replace(/\/$/, '');

  return async function call(operationId: string, params: Record<string, string>, body?: unknown): Promise<Answer> {
    const found = byId.get(operationId);
    if (!found) throw new Error(`the document has no operation ${operationId}`);
    const headers: Record<string, string> = {};
    for (const requirement of found.op.security ?? document.security) {
      for (const name of Object.keys(requirement)) {
        if (document.components.securitySchemes[name]?.scheme === 'bearer') headers.authorization = `Bearer ${apiKey}`;
      }
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const path = found.route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
    const response = await fetch(`${base}${path}`, { method: found.method.toUpperCase(), headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
    const documented = found.op.responses[String(answer.status)]?.content?.['application/json']?.schema;
    if (!documented) throw new Error(`${operationId} answered ${answer.status}, which the document does not declare: ${JSON.stringify(answer.body)}`);
    // The response schema with the document's components beside it, so its `#/components/...` refs resolve.
    const result = new Validator({ ...documented, components: document.components }, '2020-12', false).validate(answer.body);
    if (!result.valid) throw new Error(`${operationId} ${answer.status} does not match the document: ${JSON.stringify(result.errors.slice(0, 3))}`);
    return answer;
  };
}

let stack: V1Stack;
let call: ReturnType<typeof documentClient>;
beforeAll(async () => {
  stack = await startV1Stack('openapi-client');
  const documentUrl = `${stack.url}/openapi.json`;
  const document = (await (await fetch(documentUrl)).json()) as Document;
  call = documentClient(document, documentUrl, stack.keyOf(stack.projects[0]));
});
afterAll(async () => stack?.close());

describe('a client driven by the OpenAPI document alone', () => {
  it('starts a run that pauses, resumes it to completion and reads it back, every answer as documented', async () => {
    const started = await call('startAgentWorkflow', { name: 'lead-router' }, { input: { task: 'Route this lead', state: { leadId: 'lead-9' } } });
    const runId = started.body.run_id as string;
    expect(started.status).toBe(200);
    expect(started.body.output).toMatchObject({ status: 'paused', pendingAction: { step: 'approval', options: ['approve', 'reject', 'escalate'] } });

    const resumed = await call('resumeWorkflowRunV1', { runId }, { input: { resume: { step: 'approval', input: 'approve' } } });
    expect(resumed.status).toBe(200);
    expect(resumed.body.output).toMatchObject({ status: 'completed', pendingAction: null });

    const read = await call('getWorkflowRunV1', { runId }, undefined);
    expect(read.body).toEqual(resumed.body);
  });

  it('gets the documented Error body for a run that does not exist and for a resume of a finished run', async () => {
    const missing = await call('getWorkflowRunV1', { runId: 'wfr_nothing' });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'run_not_found' } } });

    const started = await call('startAgentWorkflow', { name: 'lead-router' }, { input: { task: 'Route this lead' } });
    const runId = started.body.run_id as string;
    await call('resumeWorkflowRunV1', { runId }, { input: { resume: { step: 'approval', input: 'approve' } } });
    const again = await call('resumeWorkflowRunV1', { runId }, { input: { resume: { step: 'approval', input: 'approve' } } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: expect.stringMatching(/^run_(not_paused|finished)$/) as unknown });
  });
});
