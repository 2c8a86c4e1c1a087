import { z } from 'zod';
import { springPageSchema } from './definition-input.ts';
import { pendingActionSchema, pendingActionTypeSchema } from './pending-action.ts';
import { actorSchema, forkedFromSchema, resumeCommentSchema, runErrorSchema, type AnswerRecord, type RunSnapshot, type RunStatus, type RunSummary, type StepRecord } from './run.ts';
import { sessionIdSchema } from './ids.ts';

// The Agent Manager API's run endpoints: request and response bodies, and the pure
// mapping from the engine's run shapes. Statuses are upper case here, lower case in v1.

export const agentManagerRunStatusSchema = z.enum(['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED']);
export type AgentManagerRunStatus = z.infer<typeof agentManagerRunStatusSchema>;
export const agentManagerStepStatusSchema = z.enum(['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED']);

/** `POST /workflows/{id}/run`: the input text is the first step's input and the task agents see. */
export const runWorkflowBodySchema = z.object({
  input: z.string().max(100_000),
  /** Runs sharing a session see the transcript of its earlier steps; a new `ses_…` when omitted. */
  sessionId: sessionIdSchema.optional(),
}).meta({ id: 'RunWorkflowBody' });
export type RunWorkflowBody = z.infer<typeof runWorkflowBodySchema>;

export const runAcceptedSchema = z.object({
  /** `job-` + the Temporal execution's run id: the unit of work Temporal queued for this run. */
  jobId: z.string(),
  workflowId: z.string(),
  sessionId: z.string(),
  runId: z.string(),
}).meta({ id: 'RunAccepted' });
export type RunAccepted = z.infer<typeof runAcceptedSchema>;

/** Any JSON value except null: a text answer usually, an object for steps that take one. */
const resumeOutputSchema = z.union([z.string().max(100_000), z.record(z.string(), z.unknown()), z.array(z.unknown()), z.number(), z.boolean()]);

/** `POST /workflows/runs/{runId}/resume`: the paused step's output, and the next step's input. */
export const resumeRunBodySchema = z.object({
  output: resumeOutputSchema,
  /** Why you answered so (at most 4000 characters): kept with the answer in the run's `answers`. */
  comment: resumeCommentSchema.optional(),
}).meta({ id: 'ResumeRunBody' });
export type ResumeRunBody = z.infer<typeof resumeRunBodySchema>;

/** `POST /workflows/runs/{runId}/fork`: where the new run starts, and optionally that step's output. */
export const forkRunBodySchema = z.object({
  /** The step to start from, by name or id (`st-…`): it runs again on the input it got in the parent run. */
  fromStep: z.string().min(1).max(200),
  /** Taken as fromStep's output instead of running it (an approval's option, input valid against the step's schema, any JSON for an agent step); the run goes on from its `next`. */
  output: z.union([z.string().max(100_000), z.record(z.string(), z.unknown()), z.array(z.unknown()), z.number(), z.boolean(), z.null()]).optional(),
}).meta({ id: 'ForkRunBody' });
export type ForkRunBody = z.infer<typeof forkRunBodySchema>;

export const resumeAcceptedSchema = z.object({
  /** `job-` + the id of the Temporal Update that applied the answer (visible in the run's history). */
  jobId: z.string(),
  runId: z.string(),
}).meta({ id: 'ResumeAccepted' });
export type ResumeAccepted = z.infer<typeof resumeAcceptedSchema>;

/** One row of `GET /workflows/{workflowId}/runs`, exactly the specification's fields. */
export const agentManagerRunSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  sessionId: z.string(),
  status: agentManagerRunStatusSchema,
  currentStepOrder: z.number().int().min(0),
  /** updatedAt − createdAt. */
  durationMs: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'WorkflowRun' });
export type AgentManagerRun = z.infer<typeof agentManagerRunSchema>;
export const agentManagerRunPageSchema = springPageSchema(agentManagerRunSchema).meta({ id: 'WorkflowRunPage' });

export const agentManagerStepSchema = z.object({
  name: z.string(),
  stepOrder: z.number().int(),
  agentId: z.string().nullable(),
  status: agentManagerStepStatusSchema,
  input: z.unknown(),
  output: z.unknown(),
  startedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  /** Only in a forked run, for steps it did not run: `copied` from the parent, or `given` (the fork's output). */
  origin: z.enum(['copied', 'given']).optional(),
}).meta({ id: 'WorkflowRunStep' });

/** One answer to a paused step, as the run's audit trail keeps it: what was sent, why, by whom, when. */
export const agentManagerAnswerSchema = z.object({
  /** The step that was waiting. */
  step: z.string(),
  /** The pending action's type. */
  type: pendingActionTypeSchema,
  /** The answer, as sent in the resume's `output`. */
  output: z.unknown(),
  /** As sent in the resume's `comment`; null without one. */
  comment: z.string().nullable(),
  /** Who answered: `via: api` with the API key's label (null for a key without one, or when no keys are configured). */
  answeredBy: actorSchema,
  answeredAt: z.iso.datetime(),
}).meta({ id: 'WorkflowRunAnswer' });
export type AgentManagerAnswer = z.infer<typeof agentManagerAnswerSchema>;

/** `GET /workflows/runs/{runId}`: the row plus what each step received and answered. */
export const agentManagerRunDetailSchema = agentManagerRunSchema.extend({
  /** The run's input text: what the first step received (absent until a step has started). */
  input: z.unknown().optional(),
  steps: z.array(agentManagerStepSchema),
  pendingAction: pendingActionSchema.nullable(),
  result: z.unknown(),
  error: runErrorSchema.nullable(),
  /** Every answer given to the run (resumes), oldest first: the audit trail. */
  answers: z.array(agentManagerAnswerSchema),
  /** A forked run's parent run and the step it was forked at; absent on runs that were started. */
  forkedFrom: forkedFromSchema.optional(),
  /** The runs forked from this one, oldest first (GET only); absent when there are none. */
  forks: z.array(z.string()).optional(),
}).meta({ id: 'WorkflowRunDetail' });
export type AgentManagerRunDetail = z.infer<typeof agentManagerRunDetailSchema>;

export function toAgentManagerStatus(status: RunStatus): AgentManagerRunStatus {
  return status.toUpperCase() as AgentManagerRunStatus;
}

function durationMs(createdAt: string, updatedAt: string): number {
  return Math.max(0, Date.parse(updatedAt) - Date.parse(createdAt));
}

export function toAgentManagerRun(run: Pick<RunSummary, 'runId' | 'definitionId' | 'sessionId' | 'status' | 'currentStepOrder' | 'createdAt' | 'updatedAt'>): AgentManagerRun {
  return {
    id: run.runId,
    workflowId: run.definitionId,
    sessionId: run.sessionId,
    status: toAgentManagerStatus(run.status),
    currentStepOrder: run.currentStepOrder,
    durationMs: durationMs(run.createdAt, run.updatedAt),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
}

function toAgentManagerStep(step: StepRecord): z.infer<typeof agentManagerStepSchema> {
  return {
    name: step.name,
    stepOrder: step.stepOrder,
    agentId: step.agentId,
    status: step.status.toUpperCase() as z.infer<typeof agentManagerStepStatusSchema>,
    input: step.input ?? null,
    output: step.output ?? null,
    startedAt: step.startedAt,
    completedAt: step.completedAt,
    ...(step.origin ? { origin: step.origin } : {}),
  };
}

function toAgentManagerAnswer(answer: AnswerRecord): AgentManagerAnswer {
  return {
    step: answer.step,
    // The workflow records the pending action's own type, always one of these.
    type: answer.type as AgentManagerAnswer['type'],
    output: answer.input ?? null,
    comment: answer.comment,
    answeredBy: answer.by,
    answeredAt: answer.at,
  };
}

export function toAgentManagerRunDetail(snapshot: RunSnapshot): AgentManagerRunDetail {
  const first = snapshot.steps[0];
  return {
    ...toAgentManagerRun(snapshot),
    // The first executed step always received the run's input; the snapshot keeps no other copy.
    ...(first ? { input: first.input ?? null } : {}),
    steps: snapshot.steps.map(toAgentManagerStep),
    pendingAction: snapshot.status === 'paused' ? snapshot.pendingAction : null,
    result: snapshot.status === 'completed' ? (snapshot.result ?? null) : null,
    error: snapshot.error,
    // Runs started before answers were recorded have none to show.
    answers: (snapshot.answers ?? []).map(toAgentManagerAnswer),
    ...(snapshot.forkedFrom ? { forkedFrom: snapshot.forkedFrom } : {}),
  };
}

/** The detail a GET answers: with the runs forked from it, which only the read model knows. */
export function toAgentManagerRunDetailWithForks(snapshot: RunSnapshot, forks: readonly string[]): AgentManagerRunDetail {
  const detail = toAgentManagerRunDetail(snapshot);
  if (forks.length > 0) detail.forks = [...forks];
  return detail;
}
