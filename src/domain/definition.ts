import { z } from 'zod';
import { pauseTimeoutSchema } from './duration.ts';
import { definitionIdSchema, projectIdSchema, slugSchema } from './ids.ts';
import { remindAfterSchema, remindEverySchema, stepSchema } from './step.ts';

/** A workflow template. Runs carry a snapshot of it, so edits never reach a run in flight. */
export const definitionSchema = z.object({
  id: definitionIdSchema,
  project: projectIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullish(),
  /** When set, the definition is published as POST /v1/agents/{agent}/workflow. */
  agent: slugSchema.nullish(),
  steps: z.array(stepSchema),
  pauseTimeout: pauseTimeoutSchema.nullish(),
  /** Reminders of this workflow's human steps, unless a step sets its own; null: the project's. */
  remindAfter: remindAfterSchema.nullish(),
  remindEvery: remindEverySchema.nullish(),
  version: z.number().int().min(1),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Definition = z.infer<typeof definitionSchema>;
