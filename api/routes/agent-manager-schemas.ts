import { z } from '@hono/zod-openapi';
import { agentSchema } from '../../src/domain/agent.ts';
import { definitionSchema } from '../../src/domain/definition.ts';
import { springPageSchema } from '../../src/domain/definition-input.ts';
import { stepSchema } from '../../src/domain/step.ts';
import { errorResponse, unauthorized } from './openapi-errors.ts';

// Response shapes and error declarations shared by the Agent Manager definition and agent routes,
// so /openapi.json documents every status a route can answer with.

/** A definition as the API shows it: the caller's own project is implied by the key. */
export const definitionResponseSchema = definitionSchema.omit({ project: true }).meta({ id: 'Workflow' });
export const definitionPageSchema = springPageSchema(definitionResponseSchema).meta({ id: 'WorkflowPage' });
export const stepListSchema = z.array(stepSchema);
export const agentPageSchema = springPageSchema(agentSchema).meta({ id: 'AgentPage' });

/** Path ids are free text up to 200 characters: an id of the wrong form is simply not found (404). */
export const pathIdSchema = z.string().min(1).max(200);

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
  ...unauthorized,
};
export const conflict = (description: string) => ({ 409: errorResponse(`conflict: ${description}`) });
export const noContent = { 204: { description: 'Done; no body' } };
