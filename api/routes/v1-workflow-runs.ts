import { createRoute, z } from '@hono/zod-openapi';
import { idempotencyKeyHeaderSchema } from '../../src/domain/run.ts';
import {
  v1ForkBodySchema,
  v1ListRunsQuerySchema,
  v1ResumeBodySchema,
  v1RunListSchema,
  v1WaitQuerySchema,
} from '../../src/domain/v1-api.ts';
import { assertSameFork } from '../../src/temporal/run-fork.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { createRouter } from '../router.ts';
import { quorumForbidden, resumeConflictCodes } from './openapi-errors.ts';
import {
  v1Conflict,
  v1ErrorResponses,
  v1NotFound,
  v1RunLinks,
  v1RunResponse,
  v1BodyErrors,
  v1Unprocessable,
} from './v1-openapi.ts';
import { toV1Run, toV1RunDetail, toV1RunListItem } from '../../src/domain/v1-shape.ts';

export interface V1WorkflowRunRoutesDeps {
  runs: Pick<RunService, 'resumeAndWait' | 'get' | 'list' | 'cancel' | 'forks' | 'prepareFork' | 'startAndWait'>;
  /** How long a resume or fork waits for the run to settle again when the caller names no `?waitMs=`. */
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

const forkRoute = createRoute({
  method: 'post',
  path: '/workflow-runs/{runId}/fork',
  operationId: 'forkWorkflowRunV1',
  summary: 'Start a new run from a step of this run',
  description:
    'Starts a new run of the same workflow as this run ran it (its definition snapshot, task and state, not the ' +
    'workflow as it is now) at step `fromStep`, with the outputs of the steps this run ran before it copied ' +
    '(listed in `steps` with `origin: copied`). Without `output` the step runs again on the input it got in this ' +
    'run; with `output` that value is the step\'s output (`origin: given`: an approval\'s option, input valid ' +
    'against an input step\'s schema, any JSON for an agent step) and the run goes on from the step\'s `next`. ' +
    'Works on running, paused and finished runs; this run is not changed. A step run more than once (a `next` ' +
    'loop) is forked from its latest run. The fork has a new session, `forkedFrom` names this run and this ' +
    'run\'s GET lists it in `forks`. Answers like a start: once the fork is paused, completed or failed, or ' +
    '`running` after `waitMs`. A retried request with the same Idempotency-Key returns the same fork.',
  tags: ['v1'],
  request: {
    params: runParams,
    query: v1WaitQuerySchema,
    headers: idempotencyKeyHeaderSchema,
    body: { required: true, content: { 'application/json': { schema: v1ForkBodySchema } } },
  },
  responses: {
    200: { ...v1RunResponse('The new run once paused, completed or failed (or still running after waitMs)'), links: v1RunLinks },
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
    ...v1Conflict('step_not_reached: the run has neither run nor waits on `fromStep`; conflict: the Idempotency-Key already forked this run from another step'),
    ...v1BodyErrors,
    ...v1Unprocessable('unknown_step: the run\'s workflow has no step `fromStep`; invalid_fork_output: `output` is not one of the approval\'s options, or fails the input step\'s schema'),
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
    'it is absent until the first answer. A forked run names its parent in `forkedFrom`; `forks` lists the runs forked ' +
    'from this one, oldest first (absent when there are none).',
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
    .openapi(forkRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      const { waitMs } = c.req.valid('query');
      const body = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const request = await deps.runs.prepareFork(project, runId, { fromStep: body.fromStep, ...('output' in body ? { output: { value: body.output } } : {}) }, idempotencyKey ? { idempotencyKey } : {});
      const snapshot = await deps.runs.startAndWait({ ...request, waitMs: waitMs ?? deps.defaultWaitMs });
      assertSameFork(snapshot.forkedFrom, request.fork!, idempotencyKey);
      return c.json(toV1Run(snapshot), 200);
    })
    .openapi(listRoute, async (c) => {
      const { status, agent, limit, cursor } = c.req.valid('query');
      const page = await deps.runs.list(c.get('project'), { status, agent }, { pageSize: limit, cursor });
      return c.json({ data: page.runs.map(toV1RunListItem), next_cursor: page.nextCursor }, 200);
    })
    .openapi(getRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      const [snapshot, forks] = await Promise.all([deps.runs.get(project, runId), deps.runs.forks(project, runId)]);
      return c.json(toV1RunDetail(snapshot, forks), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { snapshot, settled } = await deps.runs.cancel(c.get('project'), c.req.valid('param').runId);
      return c.json(toV1Run(snapshot), settled ? 200 : 202);
    });
}
