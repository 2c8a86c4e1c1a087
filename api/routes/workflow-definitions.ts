import { createRoute, z } from '@hono/zod-openapi';
import {
  definitionCreateSchema,
  definitionPatchSchema,
  pageQuerySchema,
  stepInputSchema,
} from '../../src/domain/definition-input.ts';
import type { Definition } from '../../src/domain/definition.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { stepSchema } from '../../src/domain/step.ts';
import type { Store } from '../../src/store/open-store.ts';
import { createRouter } from '../router.ts';
import {
  commonErrors,
  conflict,
  definitionPageSchema,
  definitionResponseSchema,
  jsonBody,
  jsonResponse,
  noContent,
  pathIdSchema,
  stepListSchema,
} from './agent-manager-schemas.ts';
import { bodyErrors, notFound } from './openapi-errors.ts';
import { links } from './openapi-links.ts';

export interface WorkflowDefinitionRoutesDeps {
  store: Pick<Store, 'definitions' | 'agents'>;
  /**
   * Whether an agent step may name this agent: function agents live in the worker's registry, so
   * the app passes a check over both; without one only stored (http/llm) agents count.
   */
  agentExists?: (project: string, agentId: string) => Promise<boolean>;
}

const tags = ['Agent Manager: workflows'];
const idParam = z.object({ id: pathIdSchema });
const workflowId = { id: '$response.body#/id' };
/** Everything a workflow's id leads to, for the responses that return a workflow. */
const workflowLinks = links({
  GetWorkflow: ['getWorkflow', workflowId],
  UpdateWorkflow: ['updateWorkflow', workflowId],
  DeleteWorkflow: ['deleteWorkflow', workflowId],
  ListSteps: ['listWorkflowSteps', workflowId],
  AddStep: ['addWorkflowStep', workflowId],
  CloneWorkflow: ['cloneWorkflow', workflowId],
  RunWorkflow: ['runWorkflow', workflowId],
  ListRuns: ['listWorkflowRuns', { workflowId: '$response.body#/id' }],
});

// Paths have a fixed number of segments, so `/workflows/{id}` never matches the run routes
// (`/workflows/runs/{runId}`, `/workflows/{workflowId}/runs`) mounted by the run sub-app.

const listRoute = createRoute({
  method: 'get', path: '/workflows', tags, operationId: 'listWorkflows', summary: 'List workflows (paginated, oldest first)',
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(definitionPageSchema, 'A Spring-style page of workflows'), ...commonErrors },
});
const createDefinitionRoute = createRoute({
  method: 'post', path: '/workflows', tags, operationId: 'createWorkflow', summary: 'Create a workflow',
  request: { body: jsonBody(definitionCreateSchema) },
  responses: {
    200: { ...jsonResponse(definitionResponseSchema, 'The created workflow with its generated id'), links: workflowLinks },
    ...commonErrors, ...bodyErrors, ...conflict('another workflow is already published under this agent slug'),
  },
});
const getRoute = createRoute({
  method: 'get', path: '/workflows/{id}', tags, operationId: 'getWorkflow', summary: 'Get a workflow with its steps',
  request: { params: idParam },
  responses: { 200: jsonResponse(definitionResponseSchema, 'The workflow'), ...commonErrors, ...notFound('workflow_not_found') },
});
const patchRoute = createRoute({
  method: 'patch', path: '/workflows/{id}', tags, operationId: 'updateWorkflow', summary: 'Update name, description, agent, pause timeout or reminders',
  request: { params: idParam, body: jsonBody(definitionPatchSchema) },
  responses: {
    200: { ...jsonResponse(definitionResponseSchema, 'The updated workflow'), links: workflowLinks },
    ...commonErrors, ...bodyErrors, ...notFound('workflow_not_found'), ...conflict('another workflow is already published under this agent slug'),
  },
});
const deleteRoute = createRoute({
  method: 'delete', path: '/workflows/{id}', tags, operationId: 'deleteWorkflow', summary: 'Delete a workflow and its steps (runs in flight keep their snapshot)',
  request: { params: idParam },
  responses: { ...noContent, ...commonErrors, ...notFound('workflow_not_found') },
});
const listStepsRoute = createRoute({
  method: 'get', path: '/workflows/{id}/steps', tags, operationId: 'listWorkflowSteps', summary: 'List steps, ascending by stepOrder',
  request: { params: idParam },
  responses: { 200: jsonResponse(stepListSchema, 'The steps'), ...commonErrors, ...notFound('workflow_not_found') },
});
const addStepRoute = createRoute({
  method: 'post', path: '/workflows/{id}/steps', tags, operationId: 'addWorkflowStep', summary: 'Add a step',
  description:
    'The Agent Manager API\'s `{agentId, action, stepOrder?}` (an agent step), or an `approval`/`input` step. No stepOrder, or one ' +
    'past the end, appends; an existing stepOrder inserts there and shifts later steps down. The agent must exist. ' +
    'Durations (digits then ms|s|m|h|d|w, no spaces, 1ms to 3650d), an input step\'s JSON Schema and message ' +
    'placeholders are checked as the engine reads them (400 otherwise). `next` may name a step added later; a run ' +
    'that reaches a target naming no step fails with `invalid_definition`. ' +
    'Steps that pause for a human (approval, input, agent steps with requireApproval) may set `remindAfter` / `remindEvery` ' +
    '(run.reminder webhook events while the step waits, at most 100 per pause) and `onTimeout`: `"fail"` (the default: ' +
    'the run fails with `pause_timeout`), `{"answer": …}` (answered as if a human had, by `{via: "system"}` in the ' +
    'audit trail; it must pass the check a resume passes: one of the options, or input matching the schema), or ' +
    '`{"goto": "<step name>"}` (the run goes on at that step, which must already be in the workflow; a run whose ' +
    'target was removed since fails with `invalid_definition`). Other steps may not set them (400). An approval step\'s `quorum` (N different people, ' +
    'by API key label, must choose its counted option) is checked against the step: `required` at least 1 and at most the ' +
    'number of `approvers` when they are listed, approvers well-formed labels listed once, `option` one of the step\'s options (400 otherwise).',
  request: { params: idParam, body: jsonBody(stepInputSchema) },
  responses: {
    200: {
      ...jsonResponse(stepSchema, 'The added step with its id, name and stepOrder'),
      links: links({ RemoveStep: ['removeWorkflowStep', { id: '$request.path.id', stepId: '$response.body#/id' }] }),
    },
    ...commonErrors, ...bodyErrors, ...notFound('workflow_not_found | agent_not_found'), ...conflict('the workflow already has a step with this name'),
  },
});
const removeStepRoute = createRoute({
  method: 'delete', path: '/workflows/{id}/steps/{stepId}', tags, operationId: 'removeWorkflowStep', summary: 'Remove a step; later steps move up',
  request: { params: z.object({ id: pathIdSchema, stepId: pathIdSchema }) },
  responses: { ...noContent, ...commonErrors, ...notFound('workflow_not_found | step_not_found') },
});
const cloneRoute = createRoute({
  method: 'post', path: '/workflows/{id}/clone', tags, operationId: 'cloneWorkflow', summary: 'Clone a workflow with all its steps',
  description: 'The copy is named name + " (Copy)", gets a new id and new step ids, and is not published under the agent slug.',
  request: { params: idParam },
  responses: { 200: { ...jsonResponse(definitionResponseSchema, 'The copy'), links: workflowLinks }, ...commonErrors, ...notFound('workflow_not_found') },
});

function toResponse({ project: _project, ...definition }: Definition) {
  return definition;
}

/** The Agent Manager API's workflow-definition endpoints; the app mounts them under `/api/v1`. */
export function createWorkflowDefinitionRoutes(deps: WorkflowDefinitionRoutesDeps) {
  const { definitions, agents } = deps.store;
  const agentExists = deps.agentExists ?? (async (project: string, agentId: string) => (await agents.find(project, agentId)) !== null);

  return createRouter()
    .openapi(listRoute, async (c) => {
      const page = await definitions.list(c.get('project'), c.req.valid('query'));
      return c.json({ ...page, content: page.content.map(toResponse) }, 200);
    })
    .openapi(createDefinitionRoute, async (c) => {
      // The Agent Manager specification: "A paused workflow run does not time out automatically" — unless the caller says so.
      const body = c.req.valid('json');
      return c.json(toResponse(await definitions.create(c.get('project'), { ...body, pauseTimeout: body.pauseTimeout ?? 'never' })), 200);
    })
    .openapi(getRoute, async (c) => {
      return c.json(toResponse(await definitions.get(c.get('project'), c.req.valid('param').id)), 200);
    })
    .openapi(patchRoute, async (c) => {
      const updated = await definitions.update(c.get('project'), c.req.valid('param').id, c.req.valid('json'));
      return c.json(toResponse(updated), 200);
    })
    .openapi(deleteRoute, async (c) => {
      await definitions.delete(c.get('project'), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(listStepsRoute, async (c) => {
      return c.json(await definitions.listSteps(c.get('project'), c.req.valid('param').id), 200);
    })
    .openapi(addStepRoute, async (c) => {
      const project = c.get('project');
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      // An unknown workflow answers workflow_not_found even when the agent is unknown too.
      await definitions.listSteps(project, id);
      if (input.type === undefined || input.type === 'agent') {
        if (!(await agentExists(project, input.agentId))) {
          throw new BatonError('agent_not_found', `No agent ${JSON.stringify(input.agentId)} is known in this project.`, { agentId: input.agentId });
        }
      }
      return c.json(await definitions.addStep(project, id, input), 200);
    })
    .openapi(removeStepRoute, async (c) => {
      const { id, stepId } = c.req.valid('param');
      await definitions.removeStep(c.get('project'), id, stepId);
      return c.body(null, 204);
    })
    .openapi(cloneRoute, async (c) => {
      return c.json(toResponse(await definitions.clone(c.get('project'), c.req.valid('param').id)), 200);
    });
}
