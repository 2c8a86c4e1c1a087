import { setTimeout } from 'node:timers/promises';
import { createRoute, z } from '@hono/zod-openapi';
import { finishedStatuses, type RunSnapshot } from '../../src/domain/run.ts';
import {
  v1ListRunsQuerySchema,
  v1ResumeBodySchema,
  v1RunListSchema,
  v1WaitQuerySchema,
} from '../../src/domain/v1-api.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { createRouter } from '../router.ts';
import {
  v1Conflict,
  v1ErrorResponses,
  v1NotFound,
  v1RunResponse,
  v1BodyErrors,
  v1Unprocessable,
} from './v1-openapi.ts';
import { toV1Run, toV1RunListItem } from './v1-shape.ts';

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
    '(or `running` after `waitMs`). A rejected resume changes nothing.',
  tags: ['v1'],
  request: {
    params: runParams,
    query: v1WaitQuerySchema,
    body: { required: true, content: { 'application/json': { schema: v1ResumeBodySchema } } },
  },
  responses: {
    200: v1RunResponse('The run after it settled again'),
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
    ...v1Conflict('run_not_paused, step_mismatch, run_finished'),
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
    'Open runs first, then the most recently closed (Temporal visibility order; eventually consistent). ' +
    'Pass `next_cursor` back as `?cursor=` for the next page; it is null on the last.',
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
  description: 'Answers with the run once it has recorded `cancelled` (200), or 202 if it has not within 5 s.',
  tags: ['v1'],
  request: { params: runParams },
  responses: {
    200: v1RunResponse('The cancelled run (status `cancelled`)'),
    202: v1RunResponse('Cancellation requested; the run has not recorded it within 5 s (shown as last read)'),
    ...v1ErrorResponses,
    ...v1NotFound('run_not_found'),
    ...v1Conflict('run_finished'),
  },
});

// Temporal delivers a cancel request asynchronously; the run records `cancelled` within a workflow
// task or two. Until then (or if the worker went away meanwhile) the caller gets 202 and the run as
// last read; the answer never waits much longer than this.
const cancelSettleMs = 5_000;
const cancelPollMs = 50;

async function settledAfterCancel(runs: Pick<RunService, 'get'>, project: string, runId: string, lastRead: RunSnapshot): Promise<RunSnapshot> {
  const deadline = Date.now() + cancelSettleMs;
  let latest = lastRead;
  while (Date.now() < deadline) {
    // The cancel is already accepted: a read that fails or is too slow only means 202, never an error.
    const reading = runs.get(project, runId).catch(() => null);
    const timer = new AbortController();
    const timeLeft = setTimeout(deadline - Date.now(), null, { signal: timer.signal }).catch(() => null);
    const read = await Promise.race([reading, timeLeft]).finally(() => timer.abort());
    if (read === null) break;
    latest = read;
    if (finishedStatuses.includes(read.status)) break;
    await setTimeout(cancelPollMs);
  }
  return latest;
}

/** The `/workflow-runs` endpoints of seed 000; the app mounts them under `/v1`. */
export function createV1WorkflowRunRoutes(deps: V1WorkflowRunRoutesDeps) {
  return createRouter()
    .openapi(resumeRoute, async (c) => {
      const { runId } = c.req.valid('param');
      const { waitMs } = c.req.valid('query');
      const { step, input } = c.req.valid('json').input.resume;
      const snapshot = await deps.runs.resumeAndWait(c.get('project'), runId, { step, input }, {
        waitMs: waitMs ?? deps.defaultWaitMs,
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
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      // Read first: with no worker to answer, the request fails (503) before anything is cancelled.
      const before = await deps.runs.get(project, runId);
      await deps.runs.cancel(project, runId);
      const snapshot = await settledAfterCancel(deps.runs, project, runId, before);
      return c.json(toV1Run(snapshot), snapshot.status === 'cancelled' ? 200 : 202);
    });
}
