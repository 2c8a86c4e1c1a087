import { z } from 'zod';
import { pauseTimeoutSchema } from './duration.ts';
import { definitionIdSchema, slugSchema } from './ids.ts';
import { agentStepSchema, approvalStepSchema, checkApprovalStep, inputStepSchema, remindAfterSchema, remindEverySchema } from './step.ts';
import { definitionSchema } from './definition.ts';

// What callers send to create or change definitions and steps; the stored shapes live in
// definition.ts and step.ts. Ids, versions and timestamps are always assigned by the store.

// Step inputs are the stored step shapes (step.ts) without what the store assigns, so both
// stay one definition: only naming and ordering become optional here.
const assignedByStore = { id: true, name: true, stepOrder: true } as const;
const stepPlacement = {
  /** Defaults to `step-{order}` (or `step-{order}-2`, … when that name is taken). */
  name: slugSchema.optional(),
  /** 1-based; omitted or past the end appends, an existing order shifts that step and later ones down. */
  stepOrder: z.number().int().min(1).max(10_000).optional(),
};

/** The Agent Manager API's WorkflowStepDTO `{agentId, action, stepOrder?}`: `type` may be left out. */
export const agentStepInputSchema = agentStepSchema.omit(assignedByStore).extend({
  ...stepPlacement,
  type: z.literal('agent').optional(),
  action: z.string().min(1).max(20_000),
  requireApproval: z.boolean().optional(),
});
export const approvalStepInputSchema = approvalStepSchema.omit(assignedByStore).extend(stepPlacement);
export const inputStepInputSchema = inputStepSchema.omit(assignedByStore).extend(stepPlacement);
export const stepInputSchema = z.discriminatedUnion('type', [agentStepInputSchema, approvalStepInputSchema, inputStepInputSchema]).superRefine(checkApprovalStep).meta({ id: 'StepInput' });
export type StepInput = z.infer<typeof stepInputSchema>;

/** The Agent Manager API's WorkflowDTO `{name, description?}` plus Baton's optional agent slug, pause timeout and reminders. */
export const definitionCreateSchema = z.object({
  name: definitionSchema.shape.name,
  description: z.string().max(2000).nullish(),
  agent: slugSchema.nullish(),
  pauseTimeout: pauseTimeoutSchema.nullish(),
  remindAfter: remindAfterSchema.nullish(),
  remindEvery: remindEverySchema.nullish(),
}).meta({ id: 'WorkflowCreate' });
export type DefinitionCreate = z.infer<typeof definitionCreateSchema>;

/** PATCH: only the fields present change; `null` clears an optional field. */
export const definitionPatchSchema = definitionCreateSchema.partial().meta({ id: 'WorkflowPatch' });
export type DefinitionPatch = z.infer<typeof definitionPatchSchema>;

/** A built-in example, loaded at start under a stable id so loading it again is a no-op. */
export const exampleDefinitionSchema = definitionCreateSchema.extend({
  id: definitionIdSchema,
  steps: z.array(stepInputSchema),
});
export type ExampleDefinition = z.infer<typeof exampleDefinitionSchema>;

export const pageQuerySchema = z.object({
  page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  size: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** Spring Data's page shape, as the Agent Manager API answers lists. */
export function springPageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    content: z.array(item),
    totalElements: z.number().int().min(0),
    totalPages: z.number().int().min(0),
  });
}
export interface SpringPage<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
}
