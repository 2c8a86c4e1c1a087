import { createRoute, z } from '@hono/zod-openapi';
import { toAgentManagerRunDetail } from '../../src/domain/agent-manager-runs.ts';
import { lastEventIdHeaderSchema, v1RunEventQuerySchema } from '../../src/domain/v1-api.ts';
import { currentRun, runEventStream } from '../run-event-streams.ts';
import { createRouter } from '../router.ts';
import { commonErrors, pathIdSchema } from './agent-manager-schemas.ts';
import { engineErrors, notFound } from './openapi-errors.ts';
import { eventStreamFormat, eventStreamResponse, finishedNoContent, runEventSchema, streamLimitError } from './run-event-openapi.ts';
import type { V1RunEventRoutesDeps } from './v1-run-events.ts';

/** The same as the v1 stream's: the run service (runs not yet recorded), the read model and the stream hub. */
export type AgentManagerRunEventRoutesDeps = V1RunEventRoutesDeps;

const runEventsRoute = createRoute({
  method: 'get',
  path: '/workflows/runs/{runId}/events',
  tags: ['Agent Manager: runs'],
  operationId: 'watchWorkflowRun',
  summary: 'Stream a run\'s changes (Server-Sent Events)',
  description:
    `${eventStreamFormat} The data is the run with each step's input and output, as \`GET /workflows/runs/{runId}\` ` +
    'answers it. The run\'s current state comes first, then each change; the stream ends after the run has completed, ' +
    'failed or been cancelled. Reconnecting with the Last-Event-ID header skips the state the client already has; once ' +
    'that is the final state, the answer is 204. An unknown run, or another project\'s, is 404 before any event.',
  request: { params: z.object({ runId: pathIdSchema }), query: v1RunEventQuerySchema, headers: lastEventIdHeaderSchema },
  responses: {
    200: eventStreamResponse('The event stream', runEventSchema('WorkflowRunEvent', 'WorkflowRunDetail')),
    ...finishedNoContent,
    ...commonErrors,
    ...notFound('run_not_found'),
    ...engineErrors,
    ...streamLimitError,
  },
});

/** The Agent Manager API's run event stream; the app mounts it under `/api/v1`. */
export function createAgentManagerRunEventRoutes(deps: AgentManagerRunEventRoutesDeps) {
  return createRouter().openapi(runEventsRoute, async (c) => {
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
      toData: toAgentManagerRunDetail,
    });
  });
}
