import { createRoute, z } from '@hono/zod-openapi';
import { BatonError } from '../../src/domain/errors.ts';
import type { Definition } from '../../src/domain/definition.ts';
import { idempotencyKeyHeaderSchema } from '../../src/domain/run.ts';
import { v1StartWorkflowBodySchema, v1WaitQuerySchema } from '../../src/domain/v1-api.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { createRouter } from '../router.ts';
import { v1ErrorResponses, v1NotFound, v1RunLinks, v1RunResponse, v1BodyErrors } from './v1-openapi.ts';
import { toV1Run } from '../../src/domain/v1-shape.ts';

export interface V1AgentRoutesDeps {
  runs: Pick<RunService, 'startAndWait'>;
  definitions: { findByAgent(project: string, agent: string): Promise<Definition | null> };
  /** How long a start waits for the run to settle when the caller names no `?waitMs=`. */
  defaultWaitMs: number;
}

const startWorkflowRoute = createRoute({
  method: 'post',
  path: '/agents/{name}/workflow',
  operationId: 'startAgentWorkflow',
  summary: 'Start a workflow',
  description:
    'Starts the workflow published under this agent and answers once it is paused, completed or failed, ' +
    'or `running` after `waitMs`. A retried request with the same Idempotency-Key returns the same run.',
  tags: ['v1'],
  request: {
    params: z.object({ name: z.string().min(1).max(200) }),
    query: v1WaitQuerySchema,
    headers: idempotencyKeyHeaderSchema,
    body: { required: true, content: { 'application/json': { schema: v1StartWorkflowBodySchema } } },
  },
  responses: {
    200: { ...v1RunResponse('The run once paused, completed or failed (or still running after waitMs)'), links: v1RunLinks },
    ...v1ErrorResponses,
    ...v1NotFound('agent_not_found'),
    ...v1BodyErrors,
  },
});

/** `POST /agents/{name}/workflow` of the v1 API; the app mounts it under `/v1`. */
export function createV1AgentRoutes(deps: V1AgentRoutesDeps) {
  return createRouter().openapi(startWorkflowRoute, async (c) => {
    const project = c.get('project');
    const { name } = c.req.valid('param');
    const { waitMs } = c.req.valid('query');
    const { input } = c.req.valid('json');
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    const definition = await deps.definitions.findByAgent(project, name);
    if (!definition) throw new BatonError('agent_not_found', `No workflow is published under agent "${name}".`);
    const snapshot = await deps.runs.startAndWait({
      project,
      definition,
      task: input.task,
      state: input.state ?? {},
      // The first step sees the task and state, as the specification's "Initial state passed into the workflow".
      input: { task: input.task, state: input.state ?? {} },
      idempotencyKey,
      waitMs: waitMs ?? deps.defaultWaitMs,
    });
    return c.json(toV1Run(snapshot), 200);
  });
}
