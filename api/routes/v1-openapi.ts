import { errorBodySchema } from '../../src/domain/errors.ts';
import { v1RunSchema } from '../../src/domain/v1-api.ts';
import { links } from './openapi-links.ts';

// Response declarations shared by the v1 routes, so /openapi.json documents the same error body
// (DESIGN §5) under every status a route can answer with.

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBodySchema } } };
}

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
});

export const v1ErrorResponses = {
  400: errorResponse('invalid_request: the body, path or query does not match the schema (zod issues in details)'),
  401: errorResponse('unauthorized: missing or unknown API key'),
  502: errorResponse('engine_error: Temporal failed the call or does not support it; engine_access_denied: Temporal refused Baton\'s credentials (an operator must fix TEMPORAL_* settings)'),
  503: errorResponse('engine_unavailable: Temporal is unreachable; engine_busy: Temporal is rate limiting Baton. Retry after the Retry-After header'),
};

export const v1NotFound = (codes: string) => ({ 404: errorResponse(`${codes}: not found in this project`) });
export const v1Conflict = (codes: string) => ({ 409: errorResponse(`${codes}: the run is not in a state that allows this`) });
export const v1Unprocessable = (codes: string) => ({ 422: errorResponse(codes) });
/** What a JSON body can be refused with before its schema is checked. */
export const v1BodyErrors = {
  413: errorResponse('payload_too_large: the body exceeds the size limit'),
  415: errorResponse('invalid_request: the body is not sent as application/json'),
};
