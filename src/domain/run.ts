import { z } from 'zod';
import { actorSchema } from './actor.ts';
import { agentKindSchema } from './agent.ts';
import { pauseTimeoutSchema } from './duration.ts';
import { definitionSchema } from './definition.ts';
import { projectIdSchema, runIdSchema, sessionIdSchema } from './ids.ts';
import { pendingActionSchema } from './pending-action.ts';
import { remindAfterSchema, remindEverySchema, stepTypeSchema } from './step.ts';

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
  /**
   * Only on a forked run's records it did not execute itself: `copied` from the parent run (as the
   * parent had them when it reached the fork's step), or `given`, the fork's step with the output
   * the fork request supplied.
   */
  origin: z.enum(['copied', 'given']).optional(),
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

/** Where a forked run came from: its parent run and the step it re-runs (or was given the output of). */
export const forkedFromSchema = z.object({
  runId: runIdSchema,
  step: z.string(),
}).meta({ id: 'ForkedFrom' });
export type ForkedFrom = z.infer<typeof forkedFromSchema>;

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
  /** The run and step this run was forked from; absent on runs that were started, not forked. */
  forkedFrom: forkedFromSchema.optional(),
});
export type RunSnapshot = z.infer<typeof runSnapshotSchema>;

/**
 * How a forked run starts: at step `fromStep` of the parent's definition snapshot, with the steps the
 * parent ran before it copied (their records and outputs), on `input` (what fromStep got in the parent).
 * With `output`, fromStep is not run: that value is its output and the run goes on from its `next`.
 */
export const runForkSchema = z.object({
  /** The parent run. */
  runId: runIdSchema,
  fromStep: z.string(),
  /** The parent's step records before fromStep, each with origin `copied`. */
  steps: z.array(stepRecordSchema),
  /** Outputs by step name as `steps.<name>.output` shows them, from the copied records. */
  outputs: z.record(z.string(), z.object({ output: z.unknown() })),
  input: z.unknown(),
  /** Wrapped, so null is an output too. */
  output: z.object({ value: z.unknown() }).optional(),
});
export type RunFork = z.infer<typeof runForkSchema>;

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
  /**
   * True when the starter made sessionId up for this run (the caller named none): no entry can be
   * in the session before the run writes one, so its first agent step does not read the transcript.
   */
  newSession: z.boolean().optional(),
  /** The project's pauseTimeout at start, else BATON_PAUSE_TIMEOUT; the definition and step override it. */
  defaultPauseTimeout: pauseTimeoutSchema,
  /** The project's remindAfter at start (absent: none); the definition and step override it. */
  defaultRemindAfter: remindAfterSchema.optional(),
  /** The project's remindEvery at start (absent: none); the definition and step override it. */
  defaultRemindEvery: remindEverySchema.optional(),
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
  /** Present on a forked run only; plain runs start at their first step. */
  fork: runForkSchema.optional(),
  /**
   * The engine revision (the set of workflow changes) the run takes, named by its starter: the
   * newest the starter knows. Absent, or unknown to the worker: the worker records its own newest
   * revision as a patch marker instead.
   */
  engineRevision: z.string().optional(),
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
  /** Set by RunService.fork: the run starts at the fork's step (its id then derives from the parent and the key). */
  fork: runForkSchema.optional(),
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
