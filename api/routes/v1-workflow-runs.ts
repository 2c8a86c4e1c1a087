import { createRoute, z } from '@hono/zod-openapi';
import { idempotencyKeyHeaderSchema } from '../../src/domain/run.ts';
import {
  v1ListRunsQuerySchema,
  v1ResumeBodySchema,
  v1RunListSchema,
  v1WaitQuerySchema,
} from '../../src/domain/v1-api.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { createRouter } from '../router.ts';
import { quorumForbidden, resumeConflictCodes } from './openapi-errors.ts';
import {
  v1Conflict,
  v1ErrorResponses,
  v1NotFound,
  v1RunResponse,
  v1BodyErrors,
  v1Unprocessable,
} from './v1-openapi.ts';
import { toV1Run, toV1RunListItem } from '../../src/domain/v1-shape.ts';

export interface V1WorkflowRunRoutesDeps {
  runs: Pick<RunService, 'resumeAndWait' | 'get' | 'list' | 'cancel'>;
  /** How long a resume waits for the run to settle again when the caller names no `?waitMs=`. */
  defaultWaitMs: number;
}

// Any string: an id that is not ours is simply not found (404), never a 400 that hints otherwise.
const runParams = z.object({ runId: z.string().min(1).max(200) });

const resumeRoute = createRoute({
  method: 'post',
  path: '/workflow-runs/{runId}/resume',
  operationId: 'resumeWorkflowRunV1',
  summary: 'Resume a paused workflow with input',
  description:
    'Answers the paused step and responds once the run is paused again, completed or failed ' +
    '(or `running` after `waitMs`). A rejected resume changes nothing. With an `Idempotency-Key` ' +
    'header the same request (key and answer) sent again answers exactly as the first did, even after ' +
    'the run moved on or finished; without one, a repeat after success is `run_not_paused`. An optional `comment` ' +
    '(why you answered so, at most 4000 characters) is kept with the answer in the run\'s `answers`, beside the API ' +
    'key\'s label and the time; a retry with the same key keeps the first answer\'s comment. An approval step with a `quorum` ' +
    'needs that many different people (by API key label) to choose its counted option: an answer that leaves it unmet ' +
    'answers at once with the run still `paused` and `pendingAction.quorum` showing who answered and how many are still needed; ' +
    'another option ends the step at once unless the step says otherwise.',
  tags: ['v1'],
  request: {
    params: runParams,
    query: v1WaitQuerySchema,
    headers: idempotencyKeyHeaderSchema,
    body: { required: true, content: { 'application/json': { schema: v1ResumeBodySchema } } },
  },
  responses: {
    200: v1RunResponse('The run after it settled again'),
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
    ...quorumForbidden,
    ...v1Conflict(`${resumeConflictCodes} (DELETE ends it)`),
    ...v1BodyErrors,
    ...v1Unprocessable('invalid_resume_input: the input is not one of the options, or fails the step schema'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/workflow-runs',
  operationId: 'listWorkflowRunsV1',
  summary: 'List the workflow runs of the project',
  description:
    'Newest first by creation time (then run id). Pages are stable while runs change state: no run appears twice or is ' +
    'skipped. A run is listed as it was at its last pause or end (or last answer), recorded before that settle was answered. ' +
    'Pass `next_cursor` back as `?cursor=` for the next page; it is null on the last. A cursor this API ' +
    'did not issue is 400 `invalid_request`.',
  tags: ['v1'],
  request: { query: v1ListRunsQuerySchema },
  responses: {
    200: { description: 'One page of runs', content: { 'application/json': { schema: v1RunListSchema } } },
    ...v1ErrorResponses,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/workflow-runs/{runId}',
  operationId: 'getWorkflowRunV1',
  summary: 'Get current status and step details',
  description:
    'A run whose workflow task keeps failing (it cannot make progress) is `running` with ' +
    '`error.code` `workflow_task_failing` and the failure in `error.message`; its steps cannot be read. ' +
    'A run terminated after its cancellation grace period is `cancelled` with `error.code` `terminated`. ' +
    '`answers` is the audit trail of the run\'s resumes (step, answer, comment, who by API key label, when), oldest first; ' +
    'it is absent until the first answer.',
  tags: ['v1'],
  request: { params: runParams },
  responses: {
    200: v1RunResponse('The run as it stands'),
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
  },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/workflow-runs/{runId}',
  operationId: 'cancelWorkflowRunV1',
  summary: 'Cancel a running or paused workflow',
  description:
    'Answers with the run once it has recorded `cancelled` (200), or 202 if it has not within the grace ' +
    'period (BATON_CANCEL_GRACE_MS, default 5 s). A run whose workflow task keeps failing cannot record ' +
    'it: once the grace period passes it is terminated and answers 200, `cancelled` with `error.code` ' +
    '`terminated`. Repeating the DELETE answers the same way; an already cancelled run answers 200.',
  tags: ['v1'],
  request: { params: runParams },
  responses: {
    200: v1RunResponse('The cancelled run (status `cancelled`)'),
    202: v1RunResponse('Cancellation requested; the run has not recorded it within the grace period (shown as last read)'),
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
    ...v1Conflict('run_finished: the run already completed or failed'),
  },
});

/** The `/workflow-runs` endpoints of the v1 API; the app mounts them under `/v1`. */
export function createV1WorkflowRunRoutes(deps: V1WorkflowRunRoutesDeps) {
  return createRouter()
    .openapi(resumeRoute, async (c) => {
      const { runId } = c.req.valid('param');
      const { waitMs } = c.req.valid('query');
      const { step, input, comment } = c.req.valid('json').input.resume;
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const snapshot = await deps.runs.resumeAndWait(c.get('project'), runId, { step, input, ...(comment !== undefined ? { comment } : {}) }, {
        waitMs: waitMs ?? deps.defaultWaitMs,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        by: c.get('caller'),
      });
      return c.json(toV1Run(snapshot), 200);
    })
    .openapi(listRoute, async (c) => {
      const { status, agent, limit, cursor } = c.req.valid('query');
      const page = await deps.runs.list(c.get('project'), { status, agent }, { pageSize: limit, cursor });
      return c.json({ data: page.runs.map(toV1RunListItem), next_cursor: page.nextCursor }, 200);
    })
    .openapi(getRoute, async (c) => {
      const snapshot = await deps.runs.get(c.get('project'), c.req.valid('param').runId);
      return c.json(toV1Run(snapshot), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { snapshot, settled } = await deps.runs.cancel(c.get('project'), c.req.valid('param').runId);
      return c.json(toV1Run(snapshot), settled ? 200 : 202);
    });
}
