import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BatonError, type ErrorBody, type ErrorCode, errorHttpStatus, isErrorCode } from '../../src/domain/errors.ts';

/** Seconds a client should wait before retrying while Temporal is unreachable. */
export const ENGINE_RETRY_AFTER_SECONDS = 5;

// gRPC status codes that mean "the engine cannot be reached right now", not "your request is wrong".
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const unreachableMessage = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|connection refused|failed to connect|transport error|deadline exceeded|UNAVAILABLE|Failed to call server/i;

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * The app's single onError (DESIGN §5): every failure becomes `{error:{code,message,details}}`
 * with the documented status; unknown errors answer 500 without leaking a stack.
 */
export function handleError(error: Error, c: Context): Response {
  const known = toBatonError(error);
  if (known) {
    // RunService already maps an unreachable Temporal to this code; clients still need to know when to retry.
    if (known.code === 'engine_unavailable') c.header('Retry-After', String(ENGINE_RETRY_AFTER_SECONDS));
    return c.json(errorBody(known.code, known.message, known.details), known.status as ContentfulStatusCode);
  }
  if (isEngineUnavailable(error)) {
    c.header('Retry-After', String(ENGINE_RETRY_AFTER_SECONDS));
    return c.json(errorBody('engine_unavailable', 'The workflow engine (Temporal) is unreachable; retry shortly.'), 503);
  }
  if (error instanceof HTTPException) {
    const code = httpExceptionCode(error.status);
    return c.json(errorBody(code, error.message || defaultMessage[code] || 'Request failed.'), error.status);
  }
  // The stack only: an error's own fields (a driver's query parameters, a client's request) may carry secrets.
  console.error(`[api] ${c.req.method} ${c.req.path} failed: ${error.stack ?? `${error.name}: ${error.message}`}`);
  return c.json(errorBody('internal', 'Internal error.'), 500);
}

/** BatonError as is; an ApplicationFailure (from an update validator or activity) whose type is a Baton code; a missing run. */
function toBatonError(error: unknown): BatonError | undefined {
  if (error instanceof BatonError) return error;
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
      return new BatonError(cause.type, cause.message, cause.details?.[0]);
    }
    if (cause instanceof WorkflowNotFoundError) {
      return new BatonError('run_not_found', `Run ${cause.workflowId} not found.`);
    }
  }
  return undefined;
}

export function isEngineUnavailable(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return true;
    if (cause.name === 'ServiceError' || cause.name === 'TransportError' || (typeof code === 'string' && code.startsWith('E'))) {
      if (unreachableMessage.test(cause.message)) return true;
    }
  }
  return false;
}

function httpExceptionCode(status: number): ErrorCode {
  if (status === 413) return 'payload_too_large';
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status >= 400 && status < 500) return 'invalid_request';
  const byStatus = (Object.entries(errorHttpStatus) as Array<[ErrorCode, number]>).find(([, s]) => s === status);
  return byStatus?.[0] ?? 'internal';
}

const defaultMessage: Partial<Record<ErrorCode, string>> = {
  payload_too_large: 'The request body is too large.',
  invalid_request: 'The request is invalid.',
};
