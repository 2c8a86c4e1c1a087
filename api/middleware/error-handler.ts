import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorBody, type ErrorCode, errorHttpStatus } from '../../src/domain/errors.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { batonErrorOf } from '../../src/temporal/temporal-errors.ts';

/** Seconds a client should wait before retrying while Temporal is unreachable or rate limiting. */
export const ENGINE_RETRY_AFTER_SECONDS = 5;

const retryLaterCodes: ReadonlySet<ErrorCode> = new Set(['engine_unavailable', 'engine_busy', 'too_many_streams']);
// The operator has to act on these; the caller sees only the code and the gRPC status.
const operatorCodes: ReadonlySet<ErrorCode> = new Set(['engine_error', 'engine_access_denied']);

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * The app's single onError: every failure becomes `{error:{code,message,details}}` with the
 * documented status (Temporal's through one mapping); unknown errors answer 500 without a stack.
 */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof HTTPException) {
    const code = httpExceptionCode(error.status);
    return c.json(errorBody(code, error.message || defaultMessage[code] || 'Request failed.'), error.status);
  }
  const known = batonErrorOf(error);
  if (known) {
    if (retryLaterCodes.has(known.code)) c.header('Retry-After', String(ENGINE_RETRY_AFTER_SECONDS));
    if (operatorCodes.has(known.code)) loggerOf(c).error({ code: known.code, error: { type: error.name, message: error.message, stack: stackOf(error) } }, `${c.req.method} ${c.req.path}: ${known.code}: ${error.message}`);
    return c.json(errorBody(known.code, known.message, known.details), known.status as ContentfulStatusCode);
  }
  // The stack even below debug: an unexpected error is a bug to fix, and its stack says where.
  loggerOf(c).error({ error: { type: error.name, message: error.message, stack: stackOf(error) } }, `${c.req.method} ${c.req.path} failed: ${error.name}: ${error.message}`);
  return c.json(errorBody('internal', 'Internal error.'), 500);
}

// Outside the app's request log (a sub-app tested alone) there is no request logger: say it on stderr as before.
const fallbackLogger = createLogger({ level: 'info', format: 'json' });

function loggerOf(c: Context): Logger {
  return (c.get('log') as Logger | undefined) ?? fallbackLogger;
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

// The stack only: an error's own fields (a driver's query parameters, a client's request) may carry secrets.
function stackOf(error: Error): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}
