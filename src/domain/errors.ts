import { z } from 'zod';

/**
 * Every error code Baton answers with, and its HTTP status. Workflow update validators and
 * activities throw ApplicationFailure with `type` set to one of these codes; the API's onError
 * maps the code to the status here, so the mapping lives in one place.
 */
export const errorHttpStatus = {
  invalid_request: 400,
  unauthorized: 401,
  /** An approval step with a quorum counts people by label: an answer without one (a key without a label, or no keys configured) cannot count. */
  approver_label_required: 403,
  /** An approval step with a quorum lists its approvers, and this caller's label is not among them. */
  not_an_approver: 403,
  not_found: 404,
  run_not_found: 404,
  agent_not_found: 404,
  workflow_not_found: 404,
  step_not_found: 404,
  webhook_not_found: 404,
  method_not_allowed: 405,
  run_not_paused: 409,
  step_mismatch: 409,
  run_finished: 409,
  /** This person (by label) already answered this approval step's quorum: each counts once. */
  already_answered: 409,
  /** The run's workflow task keeps failing (a bug, or a definition the engine cannot run): it cannot take an answer. */
  workflow_task_failing: 409,
  conflict: 409,
  workflow_has_no_steps: 409,
  /** A fork names a step the parent run has not reached (not run, not waiting on it). */
  step_not_reached: 409,
  payload_too_large: 413,
  invalid_resume_input: 422,
  /** A fork names a step its parent run's definition does not have. */
  unknown_step: 422,
  /** A fork's output is not one the step could answer (not one of an approval's options, or fails an input step's schema). */
  invalid_fork_output: 422,
  unprocessable: 422,
  /** An agent references an environment variable its project is not granted (BATON_PROJECT_SECRETS). */
  secret_not_granted: 422,
  /** A URL Baton would have to call (a webhook's) is refused by the egress policy (BATON_EGRESS_ALLOW), or its host does not resolve. */
  egress_refused: 422,
  internal: 500,
  /** Temporal refused Baton's own credentials or namespace access: an operator must fix TEMPORAL_* settings. */
  engine_access_denied: 502,
  /** Temporal failed the call itself (INTERNAL, UNKNOWN, DATA_LOSS) or does not implement it (server too old). */
  engine_error: 502,
  engine_unavailable: 503,
  /** Temporal is rate limiting Baton (RESOURCE_EXHAUSTED); retry after the Retry-After header. */
  engine_busy: 503,
  model_unavailable: 503,
  /** This API process already holds BATON_MAX_EVENT_STREAMS open event streams; retry after the Retry-After header. */
  too_many_streams: 503,
} as const;
export type ErrorCode = keyof typeof errorHttpStatus;
export const errorCodeSchema = z.enum(Object.keys(errorHttpStatus) as [ErrorCode, ...ErrorCode[]]);

/**
 * Codes in a run's snapshot.error; not HTTP errors. `workflow_task_failing` marks a run still
 * `running` whose workflow task keeps failing; `terminated` a run ended from outside (a DELETE whose
 * grace period passed, or an operator), shown as `cancelled`.
 */
export const runFailureCodes = ['pause_timeout', 'step_failed', 'agent_not_found', 'model_unavailable', 'branch_failed', 'invalid_definition', 'secret_not_granted', 'egress_refused', 'store_write_failed', 'workflow_task_failing', 'terminated'] as const;
export type RunFailureCode = (typeof runFailureCodes)[number];

/** The one error body of every API answer that is not a success; OpenAPI names it `Error`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'A stable, machine-readable code such as `run_not_found`; each status lists its codes', examples: ['run_not_found'] }),
    message: z.string().meta({ description: 'What went wrong, for a person to read' }),
    details: z.unknown().optional().meta({ description: 'More about the error when there is more: e.g. the zod issues of an `invalid_request`' }),
  }),
}).meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An expected failure with a documented code; anything else is an internal error. */
export class BatonError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'BatonError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return errorHttpStatus[this.code];
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorHttpStatus, value);
}
