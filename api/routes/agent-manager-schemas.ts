import { z } from '@hono/zod-openapi';
import { agentSchema } from '../../src/domain/agent.ts';
import { definitionSchema } from '../../src/domain/definition.ts';
import { springPageSchema } from '../../src/domain/definition-input.ts';
import { errorBodySchema } from '../../src/domain/errors.ts';
import { stepSchema } from '../../src/domain/step.ts';

// Response shapes and error declarations shared by the Agent Manager definition and agent routes,
// so /openapi.json documents every status a route can answer with.

/** A definition as the API shows it: the caller's own project is implied by the key. */
export const definitionResponseSchema = definitionSchema.omit({ project: true });
export const definitionPageSchema = springPageSchema(definitionResponseSchema);
export const stepListSchema = z.array(stepSchema);
export const agentPageSchema = springPageSchema(agentSchema);

/** Path ids are free text up to 200 characters: an id of the wrong form is simply not found (404). */
export const pathIdSchema = z.string().min(1).max(200);

export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBodySchema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  // required: a missing or non-JSON body is refused instead of validated as `{}`.
  return { required: true, content: { 'application/json': { schema } } };
}

/** A JSON Merge Patch (RFC 7396) body, also accepted as plain application/json. */
export function mergePatchBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/merge-patch+json': { schema }, 'application/json': { schema } } };
}

export const commonErrors = {
  400: errorResponse('invalid_request: malformed JSON or a body, path or query that does not match the schema (zod issues in details)'),
  401: errorResponse('unauthorized: missing or unknown API key'),
};
export const notFound = (codes: string) => ({ 404: errorResponse(`${codes}: not found in this project`) });
export const conflict = (description: string) => ({ 409: errorResponse(`conflict: ${description}`) });
/** What any route with a JSON body can be refused with before its schema is checked. */
export const bodyErrors = {
  413: errorResponse('payload_too_large: the body exceeds the size limit'),
  415: errorResponse('invalid_request: the body is not sent as application/json'),
};
/** What a route that calls Temporal can answer when Temporal, not the request, is the problem. */
export const unavailable = {
  502: errorResponse('engine_error: Temporal failed the call or does not support it; engine_access_denied: Temporal refused Baton\'s credentials (an operator must fix TEMPORAL_* settings)'),
  503: errorResponse('engine_unavailable: Temporal is unreachable; engine_busy: Temporal is rate limiting Baton. Retry after the Retry-After header'),
};
export const noContent = { 204: { description: 'Done; no body' } };
