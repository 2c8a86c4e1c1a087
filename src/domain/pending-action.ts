import { z } from 'zod';
import { actorSchema } from './actor.ts';
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

/** Where an approval step with a quorum stands: who answered what, and how many approvals are still needed. */
export const quorumProgressSchema = z.object({
  required: z.number().int().min(1).meta({ description: 'How many different people must choose `option`' }),
  option: z.string().meta({ description: 'The option that counts toward the quorum; the step\'s output once the quorum is met' }),
  otherAnswerEnds: z.boolean().meta({ description: 'Whether any other option ends the step at once, with that option as its output' }),
  approvers: z.array(z.string()).optional().meta({ description: 'The labels allowed to answer; absent: anyone of the project with a label' }),
  answers: z.array(z.object({ by: actorSchema, input: z.string(), at: z.iso.datetime() })).meta({ description: 'The answers so far, oldest first' }),
  remaining: z.number().int().min(0).meta({ description: 'How many more people must choose `option`' }),
}).meta({ id: 'QuorumProgress' });
export type QuorumProgress = z.infer<typeof quorumProgressSchema>;

export const confirmationActionSchema = z.object({
  ...pendingCommon,
  type: z.literal('confirmation'),
  options: z.array(z.string()),
  /** An approval step that needs several people: its progress so far. */
  quorum: quorumProgressSchema.optional(),
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
