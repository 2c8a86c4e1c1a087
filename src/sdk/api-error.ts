import type { ErrorBody } from './api-types.ts';

/**
 * A request Baton answered with an error: `code` is the documented snake_case code (see the README's HTTP basics),
 * `status` the HTTP status, `details` whatever the server attached (zod issues, allowed options).
 *
 * @example
 * try {
 *   await client.workflowRuns.resume(runId, { input: { resume: { step: 'approval', input: 'maybe' } } })
 * } catch (error) {
 *   if (error instanceof BatonApiError && error.code === 'invalid_resume_input') console.log(error.details)
 *   else throw error
 * }
 */
export class BatonApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  /** Seconds the server asked to wait before retrying (503 engine_unavailable), if it said. */
  readonly retryAfter: number | null;
  constructor(init: { code: string; status: number; message: string; details?: unknown; retryAfter?: number | null }) {
    super(init.message);
    this.name = 'BatonApiError';
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.retryAfter = init.retryAfter ?? null;
  }
}

/** Builds the error for a non-2xx response; a body that is not Baton's (a proxy page) keeps its status. */
export async function apiErrorFromResponse(response: Response): Promise<BatonApiError> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below with the raw text as the message.
  }
  const retryAfterHeader = response.headers.get('retry-after');
  const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : null;
  const error = errorOfBody(body);
  if (error) return new BatonApiError({ code: error.code, status: response.status, message: error.message, details: error.details, retryAfter });
  return new BatonApiError({
    code: 'http_error',
    status: response.status,
    message: `HTTP ${response.status}: ${text.slice(0, 500) || response.statusText}`,
    retryAfter,
  });
}

/** The `error` of a body shaped as ErrorBody; checked by hand so the package needs no zod at runtime. */
function errorOfBody(body: unknown): ErrorBody['error'] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error: unknown = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' ? { code, message, details } : undefined;
}
