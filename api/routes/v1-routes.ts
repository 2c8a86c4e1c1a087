import type { MountedRoutes } from '../app.ts';
import { createV1AgentRoutes, type V1AgentRoutesDeps } from './v1-agents.ts';
import { createV1RunEventRoutes, type V1RunEventRoutesDeps } from './v1-run-events.ts';
import { createV1WorkflowRunRoutes, type V1WorkflowRunRoutesDeps } from './v1-workflow-runs.ts';

export type V1RoutesDeps = V1AgentRoutesDeps & V1WorkflowRunRoutesDeps & V1RunEventRoutesDeps;

/** The v1 API under `/v1`, ready for `createApp({ routes })`. */
export function createV1Routes(deps: V1RoutesDeps): MountedRoutes[] {
  return [
    { path: '/v1', app: createV1AgentRoutes(deps) },
    // Before the run routes: Hono tries routes in the order they were added, and `/workflow-runs/{runId}` matches `/workflow-runs/events` too.
    { path: '/v1', app: createV1RunEventRoutes(deps) },
    { path: '/v1', app: createV1WorkflowRunRoutes(deps) },
  ];
}
