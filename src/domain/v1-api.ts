import { z } from 'zod';
import { pendingActionSchema, pendingActionTypeSchema } from './pending-action.ts';
import { actorSchema, forkedFromSchema, resumeCommentSchema, runStatusSchema, stepStatusSchema } from './run.ts';

// The v1 agent-workflow API, request and response bodies exactly as its specification shows
// them: `run_id` in snake case, everything under `output` in camel case. The route handlers, the
// OpenAPI document and the SDK types are all derived from these schemas; `meta({ id })` names
// them as components in /openapi.json, so generated clients get readable type names.

/** Longest a start or resume may hold the HTTP request open waiting for the run to settle. */
export const v1MaxWaitMs = 120_000;

/** Any JSON value; a resume answer is usually an option string or an object. */
const jsonValueSchema = z.union([
  z.string(),
  z.record(z.string(), z.unknown()),
  z.array(z.unknown()),
  z.number(),
  z.boolean(),
  z.null(),
]);

export const v1StartWorkflowBodySchema = z.object({
  input: z.object({
    /** Description of the task for the workflow to execute. */
    task: z.string().max(100_000),
    /** Initial state passed into the workflow; available to all steps. */
    state: z.record(z.string(), z.unknown()).optional(),
  }),
}).meta({ id: 'V1StartWorkflowBody' });
export type V1StartWorkflowBody = z.infer<typeof v1StartWorkflowBodySchema>;

export const v1ResumeBodySchema = z.object({
  input: z.object({
    resume: z.object({
      /** The name of the paused step to resume. */
      step: z.string().min(1).max(200),
      /** Must be one of the pending action's options when it lists them. */
      input: jsonValueSchema,
      /** Why you answered so (at most 4000 characters): kept with the answer in the run's `answers`. */
      comment: resumeCommentSchema.optional(),
    }),
  }),
}).meta({ id: 'V1ResumeBody' });
export type V1ResumeBody = z.infer<typeof v1ResumeBodySchema>;

/** `POST /v1/workflow-runs/{runId}/fork`: where the new run starts, and optionally that step's output. */
export const v1ForkBodySchema = z.object({
  /** The step to start from: it runs again on the input it got in the parent run. */
  fromStep: z.string().min(1).max(200),
  /** Taken as fromStep's output instead of running it (an approval's option, input valid against the step's schema, any JSON for an agent step); the run goes on from its `next`. */
  output: jsonValueSchema.optional(),
}).meta({ id: 'V1ForkBody' });
export type V1ForkBody = z.infer<typeof v1ForkBodySchema>;

/** `?waitMs=`: how long to wait for the run to pause, complete or fail before answering `running`. */
export const v1WaitQuerySchema = z.object({
  waitMs: z.coerce.number().int().min(0).max(v1MaxWaitMs).optional(),
});

export const v1StepSchema = z.object({
  name: z.string(),
  status: stepStatusSchema,
  output: z.unknown(),
  /** Only in a forked run, for steps it did not run: `copied` from the parent, or `given` (the fork's output). */
  origin: z.enum(['copied', 'given']).optional(),
});
export type V1Step = z.infer<typeof v1StepSchema>;

/**
 * Why a run failed (`failed`); or, with `running`, that its workflow task keeps failing
 * (`workflow_task_failing`); or, with `cancelled`, that it was terminated (`terminated`).
 * Absent otherwise (the v1 specification is silent on it).
 */
export const v1RunErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  step: z.string().nullable(),
});

/** One answer to a paused step, as the run's audit trail keeps it: what was sent, why, by whom, when. */
export const v1AnswerSchema = z.object({
  /** The step that was waiting. */
  step: z.string(),
  /** The pending action's type. */
  type: pendingActionTypeSchema,
  /** The answer, as sent in `input.resume.input`. */
  input: z.unknown(),
  /** As sent in `input.resume.comment`; null without one. */
  comment: z.string().nullable(),
  /** `via: api` and the API key's label (null for a key without one, or when no keys are configured). */
  answeredBy: actorSchema,
  answeredAt: z.iso.datetime(),
}).meta({ id: 'V1Answer' });
export type V1Answer = z.infer<typeof v1AnswerSchema>;

export const v1RunOutputSchema = z.object({
  status: runStatusSchema,
  steps: z.array(v1StepSchema),
  /** Final result once completed; null while running, paused, failed or cancelled. */
  result: z.unknown(),
  /** Present when paused: what input is needed to continue. */
  pendingAction: pendingActionSchema.nullable(),
  error: v1RunErrorSchema.optional(),
  /** Every answer given to the run, oldest first; absent until the first answer (so bodies stay as the v1 specification shows them). */
  answers: z.array(v1AnswerSchema).optional(),
  /** A forked run's parent run and the step it was forked at; absent on runs that were started. */
  forkedFrom: forkedFromSchema.optional(),
  /** The runs forked from this one, oldest first (GET only); absent when there are none. */
  forks: z.array(z.string()).optional(),
});

/** The body of a start, resume, get and delete: `{ output, run_id }`. */
export const v1RunSchema = z.object({
  output: v1RunOutputSchema,
  run_id: z.string(),
}).meta({ id: 'V1Run' });
export type V1Run = z.infer<typeof v1RunSchema>;

/** Filters and cursor of `GET /v1/workflow-runs`. */
export const v1ListRunsQuerySchema = z.object({
  status: runStatusSchema.optional(),
  agent: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2000).optional(),
});
/** What a caller passes: every filter optional, `limit` a number. */
export type V1ListRunsQuery = Partial<z.output<typeof v1ListRunsQuerySchema>>;

/** One row of a run list: the run's summary, without steps or outputs. */
export const v1RunListItemSchema = z.object({
  run_id: z.string(),
  status: runStatusSchema,
  agent: z.string().nullable(),
  definition_id: z.string(),
  session_id: z.string(),
  current_step_order: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: 'V1RunListItem' });
export type V1RunListItem = z.infer<typeof v1RunListItemSchema>;

export const v1RunListSchema = z.object({
  data: z.array(v1RunListItemSchema),
  /** Pass as `?cursor=` for the next page; null on the last page. */
  next_cursor: z.string().nullable(),
}).meta({ id: 'V1RunList' });
export type V1RunList = z.infer<typeof v1RunListSchema>;

/** Longest an event stream may be asked to stay open with `?timeoutMs=` (one hour). */
export const v1MaxEventStreamMs = 3_600_000;

const eventStreamTimeoutSchema = z.coerce.number().int().min(0).max(v1MaxEventStreamMs).optional().meta({
  description: 'End the stream after this many milliseconds (reconnect to go on watching). Without it the stream stays open while the client reads it.',
});

/** Filters of `GET /v1/workflow-runs/events`: only changes whose new state matches them are sent. */
export const v1RunEventsQuerySchema = z.object({
  status: runStatusSchema.optional().meta({ description: 'Only runs that changed to this status' }),
  agent: z.string().min(1).max(64).optional().meta({ description: 'Only runs of the workflow published under this agent' }),
  timeoutMs: eventStreamTimeoutSchema,
});
export type V1RunEventsQuery = Partial<z.output<typeof v1RunEventsQuerySchema>>;

/** `GET /v1/workflow-runs/{runId}/events` (and the Agent Manager API's equivalent). */
export const v1RunEventQuerySchema = z.object({ timeoutMs: eventStreamTimeoutSchema });

/** What a reconnecting client last received: the `id` of its last event, `<runId>:<version>`. */
export const lastEventIdHeaderSchema = z.object({
  'last-event-id': z.string().max(1000).optional().meta({
    description: 'The `id` of the last event received (`<runId>:<version>`), sent by EventSource on reconnect: a run\'s stream then skips the state the client already has.',
  }),
});
