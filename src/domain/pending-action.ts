import { z } from 'zod';
import { slugSchema } from './ids.ts';

const pendingCommon = {
  step: slugSchema,
  message: z.string(),
  /** When the pause timeout passes (from the pause, in the run's own time); null: it never does. Absent on runs paused before deadlines were shown. */
  expiresAt: z.iso.datetime().nullable().optional(),
  /** How many run.reminder events this pause has sent so far (absent: none). */
  reminders: z.number().int().min(1).optional(),
  /** When the last of them was sent. */
  remindedAt: z.iso.datetime().optional(),
};

export const confirmationActionSchema = z.object({
  ...pendingCommon,
  type: z.literal('confirmation'),
  options: z.array(z.string()),
});
export const inputActionSchema = z.object({
  ...pendingCommon,
  type: z.literal('input'),
  schema: z.record(z.string(), z.unknown()).optional(),
});
/** An agent step with requireApproval: the human accepts proposedOutput or sends a replacement. */
export const reviewActionSchema = z.object({
  ...pendingCommon,
  type: z.literal('review'),
  proposedOutput: z.unknown(),
});
/** An llm agent wants to call a tool marked requiresApproval. */
export const toolApprovalActionSchema = z.object({
  ...pendingCommon,
  type: z.literal('tool_approval'),
  options: z.array(z.string()),
  tool: z.object({ name: z.string(), arguments: z.unknown() }),
});

export const pendingActionSchema = z.discriminatedUnion('type', [
  confirmationActionSchema,
  inputActionSchema,
  reviewActionSchema,
  toolApprovalActionSchema,
]).meta({ id: 'PendingAction' });
export type PendingAction = z.infer<typeof pendingActionSchema>;
export const pendingActionTypeSchema = z.enum(['confirmation', 'input', 'review', 'tool_approval']);
