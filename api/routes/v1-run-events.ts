import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { lastEventIdHeaderSchema, v1RunEventQuerySchema, v1RunEventsQuerySchema } from '../../src/domain/v1-api.ts';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import type { AppEnv } from '../env.ts';
import { errorBody } from '../middleware/error-handler.ts';
import type { RunEventHub } from '../run-event-hub.ts';
import { currentRun, projectEventStream, runEventStream } from '../run-event-streams.ts';
import { createRouter } from '../router.ts';
import { engineErrors, notFound } from './openapi-errors.ts';
import { eventStreamFormat, eventStreamResponse, finishedNoContent, runEventSchema, streamLimitError } from './run-event-openapi.ts';
import { v1ErrorResponses } from './v1-openapi.ts';
import { toV1Run } from '../../src/domain/v1-shape.ts';

export interface V1RunEventRoutesDeps {
  runs: Pick<RunService, 'get'>;
  store: { runs: Pick<Store['runs'], 'get'> };
  runEvents: RunEventHub;
}

const v1RunEventSchema = runEventSchema('V1RunEvent', 'V1Run');

const projectEventsRoute = createRoute({
  method: 'get',
  path: '/workflow-runs/events',
  operationId: 'watchWorkflowRunsV1',
  summary: 'Stream changes of the project\'s runs (Server-Sent Events)',
  description:
    `${eventStreamFormat} This stream sends every change of the caller's project's runs from the moment it connects ` +
    '(nothing from before: list the runs first to know where they stand); `status` and `agent` keep only changes whose ' +
    'new state matches, so a run leaving that status is not sent. Last-Event-ID is not honoured here: changes made while a ' +
    'client was disconnected are not replayed (list the runs again after reconnecting). The stream stays open until the ' +
    'client closes it or `timeoutMs` passes.',
  tags: ['v1'],
  request: { query: v1RunEventsQuerySchema, headers: lastEventIdHeaderSchema },
  responses: {
    200: eventStreamResponse('The event stream', v1RunEventSchema),
    ...v1ErrorResponses,
    ...streamLimitError,
  },
});

const runEventsRoute = createRoute({
  method: 'get',
  path: '/workflow-runs/{runId}/events',
  operationId: 'watchWorkflowRunV1',
  summary: 'Stream one run\'s changes (Server-Sent Events)',
  description:
    `${eventStreamFormat} This stream sends the run's current state first, then each change, and ends after the run ` +
    'has completed, failed or been cancelled. Reconnecting with the Last-Event-ID header (EventSource does it by itself) ' +
    'skips the state the client already has; once that is the final state, the answer is 204. An unknown run, or another ' +
    'project\'s, is 404 before any event.',
  tags: ['v1'],
  request: { params: z.object({ runId: z.string().min(1).max(200) }), query: v1RunEventQuerySchema, headers: lastEventIdHeaderSchema },
  responses: {
    200: eventStreamResponse('The event stream', v1RunEventSchema),
    ...finishedNoContent,
    ...v1ErrorResponses,
    ...notFound('run_not_found'),
    ...engineErrors,
    ...streamLimitError,
  },
});

/**
 * `/workflow-runs/events` is also what `/workflow-runs/{runId}` matches: a method the stream does not
 * serve must be 405 here, not reach the run routes as a run named "events".
 */
const onlyGetOnProjectEvents = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return await next();
  c.header('Allow', 'GET, HEAD');
  return c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use GET, HEAD.`), 405);
});

/** The run event streams of the v1 API; mounted under `/v1` before the other `/workflow-runs` routes. */
export function createV1RunEventRoutes(deps: V1RunEventRoutesDeps) {
  const router = createRouter();
  router.use('/workflow-runs/events', onlyGetOnProjectEvents);
  return router
    .openapi(projectEventsRoute, async (c) => {
      const { status, agent, timeoutMs } = c.req.valid('query');
      return await projectEventStream({ hub: deps.runEvents, method: c.req.method, project: c.get('project'), timeoutMs, toData: toV1Run, filter: { status, agent } });
    })
    .openapi(runEventsRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      return await runEventStream({
        hub: deps.runEvents,
        method: c.req.method,
        project,
        runId,
        timeoutMs: c.req.valid('query').timeoutMs,
        lastEventId: c.req.valid('header')['last-event-id'],
        read: currentRun(deps.store, deps.runs, project, runId),
        toData: toV1Run,
      });
    });
}
