import { z } from 'zod';
import { durationSchema, pauseTimeoutSchema } from './duration.ts';
import { actorLabelSchema } from './actor.ts';
import { slugSchema, stepIdSchema } from './ids.ts';
import { inputSchemaProblems } from './input-schema.ts';
import { quorumProblems } from './quorum.ts';
import { messageTemplateProblems } from './template.ts';

/** A message shown to a human: checked with the reader the workflow renders it with. */
const messageTemplateSchema = z
  .string()
  .min(1)
  .max(20_000)
  .superRefine((message, ctx) => {
    for (const problem of messageTemplateProblems(message)) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Where a run goes after a step, keyed by the step's output (or chosen option). */
export const nextTargetSchema = z.union([z.enum(['continue', 'end', 'fail']), slugSchema]);
export const nextMapSchema = z.record(z.string(), nextTargetSchema);

/** When a waiting human is reminded first ('never': not at all); a duration counts from the pause. */
export const remindAfterSchema = z.union([durationSchema, z.literal('never')]);
/** How often a reminder repeats after the first ('never': once only). */
export const remindEverySchema = z.union([durationSchema, z.literal('never')]);

/** Any JSON value, as a resume's input may be. */
const jsonAnswerSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/**
 * What a human step does when its pause timeout passes unanswered: fail the run (`pause_timeout`,
 * the default), answer as a human could have (`{answer}`), or carry on at another step (`{goto}`).
 */
export const onTimeoutSchema = z.union([
  z.literal('fail'),
  z.strictObject({ answer: jsonAnswerSchema.meta({ description: 'Answered as if a human had: one of an approval step\'s options, input matching an input step\'s schema, or a reviewed agent step\'s output' }) }),
  z.strictObject({ goto: slugSchema.meta({ description: 'The name of a step of this workflow; the run continues there with the timed-out step\'s input' }) }),
]).meta({ id: 'OnTimeout' });
export type OnTimeout = z.infer<typeof onTimeoutSchema>;

export const retryPolicySchema = z.object({
  attempts: z.number().int().min(1).max(100).default(3),
  backoff: durationSchema.default('1s'),
  backoffCoefficient: z.number().min(1).max(10).default(2),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

const stepCommon = {
  id: stepIdSchema,
  name: slugSchema,
  stepOrder: z.number().int().min(1),
  retry: retryPolicySchema.optional(),
  timeout: durationSchema.optional(),
  pauseTimeout: pauseTimeoutSchema.optional(),
  next: nextMapSchema.optional(),
  // Human steps only (approval, input, agent steps with requireApproval): see step-deadline-checks.ts.
  remindAfter: remindAfterSchema.optional(),
  remindEvery: remindEverySchema.optional(),
  onTimeout: onTimeoutSchema.optional(),
};

export const agentStepSchema = z.object({
  ...stepCommon,
  type: z.literal('agent'),
  agentId: slugSchema,
  action: z.string().max(20_000),
  /** Pause after the agent answers so a human can accept or replace its output. */
  requireApproval: z.boolean().default(false),
});

/**
 * N-of-M approvals: the step resolves once `required` different people (by label) chose `option`.
 * How it fits the step's options is checked with the step (stepSchema's refinement).
 */
export const approvalQuorumSchema = z.strictObject({
  required: z.number().int().min(1).max(100).meta({ description: 'How many different people must choose `option` (at most the number of approvers when they are listed)' }),
  approvers: z.array(actorLabelSchema).min(1).max(100).optional()
    .meta({ description: 'The labels (of API keys, and so of inbox users) allowed to answer; omitted: anyone of the project whose key has a label' }),
  option: z.string().min(1).max(200).optional()
    .meta({ description: 'The option that counts toward the quorum, one of the step\'s options; omitted: `approve` when it is an option, else the first option' }),
  otherAnswerEnds: z.boolean().optional()
    .meta({ description: 'Whether another option (e.g. `reject`) ends the step at once with that option as its output; omitted: true. When false it only counts as that person\'s answer' }),
}).meta({ id: 'ApprovalQuorum' });
export type ApprovalQuorum = z.infer<typeof approvalQuorumSchema>;

export const approvalStepSchema = z.object({
  ...stepCommon,
  type: z.literal('approval'),
  message: messageTemplateSchema,
  options: z.array(z.string().min(1).max(200)).min(1).max(50),
  quorum: approvalQuorumSchema.optional(),
});

export const inputStepSchema = z.object({
  ...stepCommon,
  type: z.literal('input'),
  message: messageTemplateSchema,
  /** JSON Schema (2020-12) the human's input must satisfy; compiled here with the resume check's validator. */
  schema: z
    .record(z.string(), z.unknown())
    .superRefine((schema, ctx) => {
      for (const problem of inputSchemaProblems(schema)) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

/** Checks across an approval step's fields: its quorum must fit its options (a step union refines with it). */
export function checkApprovalStep(step: { type?: string; options?: string[]; quorum?: ApprovalQuorum | undefined }, ctx: z.RefinementCtx): void {
  if (step.type !== 'approval' || !step.quorum || !step.options) return;
  for (const problem of quorumProblems(step.options, step.quorum)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}

export const stepSchema = z.discriminatedUnion('type', [agentStepSchema, approvalStepSchema, inputStepSchema]).superRefine(checkApprovalStep).meta({ id: 'Step' });
export type Step = z.infer<typeof stepSchema>;
export type AgentStep = z.infer<typeof agentStepSchema>;
export type ApprovalStep = z.infer<typeof approvalStepSchema>;
export type InputStep = z.infer<typeof inputStepSchema>;
export const stepTypeSchema = z.enum(['agent', 'approval', 'input']);
