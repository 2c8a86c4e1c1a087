import { z } from 'zod';

/**
 * Every error code Baton answers with, and its HTTP status. Workflow update validators and
 * activities throw ApplicationFailure with `type` set to one of these codes; the API's onError
 * maps the code to the status here, so the mapping lives in one place.
 */
export const errorHttpStatus = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  run_not_found: 404,
  agent_not_found: 404,
  workflow_not_found: 404,
  step_not_found: 404,
  run_not_paused: 409,
  step_mismatch: 409,
  run_finished: 409,
  conflict: 409,
  payload_too_large: 413,
  invalid_resume_input: 422,
  unprocessable: 422,
  internal: 500,
  engine_unavailable: 503,
  model_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorHttpStatus;
export const errorCodeSchema = z.enum(Object.keys(errorHttpStatus) as [ErrorCode, ...ErrorCode[]]);

/** Codes a run can fail with (snapshot.error.code); not HTTP errors. */
export const runFailureCodes = ['pause_timeout', 'step_failed', 'agent_not_found', 'model_unavailable', 'branch_failed', 'invalid_definition', 'store_write_failed'] as const;
export type RunFailureCode = (typeof runFailureCodes)[number];

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
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
