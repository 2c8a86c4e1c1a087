import { z } from 'zod';
import { actorSchema } from './actor.ts';
import { agentKindSchema } from './agent.ts';
import { pauseTimeoutSchema } from './duration.ts';
import { definitionSchema } from './definition.ts';
import { projectIdSchema, runIdSchema, sessionIdSchema } from './ids.ts';
import { pendingActionSchema } from './pending-action.ts';
import { stepTypeSchema } from './step.ts';

/** Lower case, as the v1 API spells them; the Agent Manager API upper-cases them. */
export const runStatusSchema = z.enum(['running', 'paused', 'completed', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const finishedStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export const stepStatusSchema = z.enum(['running', 'completed', 'failed', 'cancelled']);

export const stepRecordSchema = z.object({
  name: z.string(),
  stepOrder: z.number().int(),
  type: stepTypeSchema,
  agentId: z.string().nullable(),
  status: stepStatusSchema,
  input: z.unknown(),
  output: z.unknown(),
  startedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const runErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  step: z.string().nullable(),
}).meta({ id: 'RunError' });
export type RunError = z.infer<typeof runErrorSchema>;

export { actorSchema, type Actor } from './actor.ts';

/** One answer to a paused step, as the audit trail keeps it. */
export const answerRecordSchema = z.object({
  step: z.string(),
  /** The pending action's type: confirmation, input, review or tool_approval. */
  type: z.string(),
  by: actorSchema,
  at: z.iso.datetime(),
  input: z.unknown(),
  comment: z.string().nullable(),
}).meta({ id: 'AnswerRecord' });
export type AnswerRecord = z.infer<typeof answerRecordSchema>;

/** Everything a reader needs about a run; returned by the snapshot Query and the settled Update. */
export const runSnapshotSchema = z.object({
  runId: runIdSchema,
  project: projectIdSchema,
  definitionId: z.string(),
  definitionName: z.string(),
  agent: z.string().nullable(),
  sessionId: sessionIdSchema,
  status: runStatusSchema,
  steps: z.array(stepRecordSchema),
  /** 1-based order of the step being executed, or last executed once paused or finished. */
  currentStepOrder: z.number().int().min(0),
  result: z.unknown(),
  pendingAction: pendingActionSchema.nullable(),
  error: runErrorSchema.nullable(),
  /** Every answer given to this run, oldest first (absent on runs started before answers were recorded). */
  answers: z.array(answerRecordSchema).optional(),
  /** Bumped on every state change, so a waiter can ask for "anything after version N". */
  version: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type RunSnapshot = z.infer<typeof runSnapshotSchema>;

/** The agentRun workflow's single argument. */
export const runStartSchema = z.object({
  runId: runIdSchema,
  project: projectIdSchema,
  definition: definitionSchema,
  /** The task agents see; for the Agent Manager API it is the run's input text. */
  task: z.string(),
  state: z.record(z.string(), z.unknown()),
  /** The first step's input. */
  input: z.unknown(),
  sessionId: sessionIdSchema,
  /** BATON_PAUSE_TIMEOUT at start; the definition and step override it. */
  defaultPauseTimeout: pauseTimeoutSchema,
  /** The run's createdAt, chosen by the starter so the row it writes and the run agree; absent: the workflow's start time. */
  createdAt: z.iso.datetime().optional(),
  /**
   * True when the starter writes the run's first read-model row itself (or answers only once the
   * run has settled, which the workflow records): the workflow then skips its own write at start.
   */
  startRecorded: z.boolean().optional(),
  /**
   * The kind of an agent step's agent, by agent id, as the starter knew it: a `function` agent (quick
   * code in the worker) runs as a local activity. Agents missing here run as regular activities.
   */
  agentKinds: z.record(z.string(), agentKindSchema).optional(),
});
export type RunStart = z.infer<typeof runStartSchema>;


/**
 * What RunService.start needs: the definition is already loaded (and becomes the run's snapshot);
 * sessionId defaults to a new `ses_<ulid>`; an idempotencyKey makes a retried start return the
 * same run (the workflow id is derived from project + key).
 */
export const startRunRequestSchema = z.object({
  project: projectIdSchema,
  definition: definitionSchema,
  task: z.string(),
  state: z.record(z.string(), z.unknown()),
  input: z.unknown(),
  sessionId: sessionIdSchema.optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type StartRunRequest = z.infer<typeof startRunRequestSchema>;

/** Why the human answered as they did, kept in the run's audit trail: free text, at most 4000 characters. */
export const resumeCommentSchema = z.string().max(4000);

/** Argument of the resume Update. */
export const resumeRequestSchema = z.object({
  step: z.string().min(1),
  input: z.unknown(),
  /** Why the human answered as they did; kept in the audit trail. */
  comment: resumeCommentSchema.optional(),
});
export type ResumeRequest = z.infer<typeof resumeRequestSchema>;

/** One row of a run list. */
export const runSummarySchema = z.object({
  runId: runIdSchema,
  project: projectIdSchema,
  definitionId: z.string(),
  agent: z.string().nullable(),
  sessionId: z.string(),
  status: runStatusSchema,
  currentStepOrder: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export function summaryOf(snapshot: RunSnapshot): RunSummary {
  const { runId, project, definitionId, agent, sessionId, status, currentStepOrder, createdAt, updatedAt } = snapshot;
  return { runId, project, definitionId, agent, sessionId, status, currentStepOrder, createdAt, updatedAt };
}

export const runFilterSchema = z.object({
  status: runStatusSchema.optional(),
  agent: z.string().optional(),
  definitionId: z.string().optional(),
  sessionId: z.string().optional(),
});
export type RunFilter = z.infer<typeof runFilterSchema>;

/** The `Idempotency-Key` request header of both start endpoints: a retried start returns the same run. */
export const idempotencyKeyHeaderSchema = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });
