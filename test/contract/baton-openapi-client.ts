// Baton's API through a client generated from its /openapi.json, the way a user builds one:
// openapi-typescript's types (generated/baton-api.ts) and openapi-fetch. Every call is typed by the
// document alone: paths, parameters, bodies and the answer of each status.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/baton-api.ts';

export type Schemas = components['schemas'];

/** A typed client for the Baton at `baseUrl`, sending the project's API key as the document's bearer scheme says. */
export function batonApiClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}
export type BatonApiClient = ReturnType<typeof batonApiClient>;

/** The answer's body, or an error naming the documented Error body the API sent instead. */
function ok<T>(answer: { data?: T; error?: Schemas['Error']; response: Response }): T {
  if (answer.data === undefined) throw new Error(`${answer.response.status}: ${answer.error?.error.code ?? 'no body'} ${answer.error?.error.message ?? ''}`);
  return answer.data;
}

/** v1: start the lead-router example, which pauses for a human to confirm the sales team. */
export async function startLeadRouter(client: BatonApiClient, leadId: string): Promise<Schemas['V1Run']> {
  return ok(await client.POST('/v1/agents/{name}/workflow', {
    params: { path: { name: 'lead-router' } },
    body: { input: { task: 'Route this lead', state: { leadId } } },
  }));
}

/** v1: answer the run's pending step and get the run once it settles again. */
export async function resumeV1(client: BatonApiClient, runId: string, step: string, input: string): Promise<Schemas['V1Run']> {
  return ok(await client.POST('/v1/workflow-runs/{runId}/resume', { params: { path: { runId } }, body: { input: { resume: { step, input } } } }));
}

export async function getV1(client: BatonApiClient, runId: string): Promise<Schemas['V1Run']> {
  return ok(await client.GET('/v1/workflow-runs/{runId}', { params: { path: { runId } } }));
}

/** v1: what a missing run answers: the documented Error body and its status. */
export async function getMissingV1(client: BatonApiClient, runId: string): Promise<{ status: number; error: Schemas['Error'] | undefined }> {
  const answer = await client.GET('/v1/workflow-runs/{runId}', { params: { path: { runId } } });
  return { status: answer.response.status, error: answer.error };
}

/** Agent Manager: a workflow of steps, the second a human approval; returns its id. */
export async function createApprovalWorkflow(client: BatonApiClient, name: string): Promise<string> {
  const created = ok(await client.POST('/api/v1/workflows', { body: { name, description: 'Classify, approve, route' } }));
  const steps: Array<Schemas['StepInput']> = [
    { type: 'agent', agentId: 'lead-classifier', action: 'Classify the lead.', name: 'classify' },
    { type: 'approval', message: 'Route it?', options: ['approve', 'reject'], next: { reject: 'end' } },
    { type: 'agent', agentId: 'lead-assigner', action: 'Assign the lead.' },
  ];
  for (const step of steps) ok(await client.POST('/api/v1/workflows/{id}/steps', { params: { path: { id: created.id } }, body: step }));
  return created.id;
}

export async function runWorkflow(client: BatonApiClient, workflowId: string, input: string): Promise<Schemas['RunAccepted']> {
  return ok(await client.POST('/api/v1/workflows/{id}/run', { params: { path: { id: workflowId } }, body: { input } }));
}

export async function getRun(client: BatonApiClient, runId: string): Promise<Schemas['WorkflowRunDetail']> {
  return ok(await client.GET('/api/v1/workflows/runs/{runId}', { params: { path: { runId } } }));
}

export async function resumeRun(client: BatonApiClient, runId: string, output: Schemas['ResumeRunBody']['output']): Promise<Schemas['ResumeAccepted']> {
  return ok(await client.POST('/api/v1/workflows/runs/{runId}/resume', { params: { path: { runId } }, body: { output } }));
}
