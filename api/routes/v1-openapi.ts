import { v1RunSchema } from '../../src/domain/v1-api.ts';
import { links } from './openapi-links.ts';
import { bodyErrors, engineErrors, errorResponse, notFound, unauthorized } from './openapi-errors.ts';

// Response declarations shared by the v1 routes, so /openapi.json documents every status a route
// can answer with.

export const v1RunResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: v1RunSchema } },
});

const runId = { runId: '$response.body#/run_id' };
/** Where a started run's `run_id` leads. */
export const v1RunLinks = links({
  GetRun: ['getWorkflowRunV1', runId],
  ResumeRun: ['resumeWorkflowRunV1', runId],
  CancelRun: ['cancelWorkflowRunV1', runId],
  ForkRun: ['forkWorkflowRunV1', runId],
  WatchRun: ['watchWorkflowRunV1', runId],
});

export const v1ErrorResponses = {
  400: errorResponse('invalid_request: the body, path or query does not match the schema (zod issues in details)'),
  ...unauthorized,
  ...engineErrors,
};

export const v1NotFound = notFound;
export const v1Conflict = (codes: string) => ({ 409: errorResponse(`${codes}: the run is not in a state that allows this`) });
export const v1Unprocessable = (codes: string) => ({ 422: errorResponse(codes) });
export const v1BodyErrors = bodyErrors;
