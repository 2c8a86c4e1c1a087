// How Temporal's errors cross into Baton's: one mapping, so the API's onError sees a BatonError with
// a documented code for every failure Temporal can report, and an internal error only for Baton's own bugs.
import { setTimeout } from 'node:timers/promises';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { BatonError, type ErrorCode, errorHttpStatus, isErrorCode } from '../domain/errors.ts';

/** gRPC status names by number, as Temporal's frontend answers them. */
export const grpcStatusNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;
export type GrpcStatusName = (typeof grpcStatusNames)[number];

/**
 * The Baton code for each gRPC status Temporal can answer with. FAILED_PRECONDITION is refined by
 * its message first (see `failedPrecondition`); this is what is left.
 */
export const grpcStatusCodes: Record<GrpcStatusName, { code: ErrorCode; message: string }> = {
  // Not an error; seen only if a call fails without one, which Temporal should never do.
  OK: { code: 'engine_error', message: 'the workflow engine (Temporal) failed the call without saying why' },
  // The call was cancelled before Temporal answered (client shutdown, a dropped connection): nothing to blame on the request.
  CANCELLED: { code: 'engine_unavailable', message: 'the call to the workflow engine (Temporal) was cancelled; retry shortly' },
  UNKNOWN: { code: 'engine_error', message: 'the workflow engine (Temporal) failed the call' },
  INVALID_ARGUMENT: { code: 'invalid_request', message: 'the workflow engine (Temporal) refused a value of this request' },
  DEADLINE_EXCEEDED: { code: 'engine_unavailable', message: 'the workflow engine (Temporal) did not answer in time; retry shortly' },
  NOT_FOUND: { code: 'run_not_found', message: 'run not found' },
  ALREADY_EXISTS: { code: 'conflict', message: 'the workflow engine (Temporal) already holds what this request would create' },
  PERMISSION_DENIED: { code: 'engine_access_denied', message: 'the workflow engine (Temporal) refused Baton access to its namespace; check the TEMPORAL_* settings' },
  RESOURCE_EXHAUSTED: { code: 'engine_busy', message: 'the workflow engine (Temporal) is rate limiting Baton; retry after the Retry-After header' },
  FAILED_PRECONDITION: { code: 'conflict', message: 'the run is not in a state that allows this' },
  ABORTED: { code: 'conflict', message: 'the run changed while this request was applied; retry' },
  OUT_OF_RANGE: { code: 'invalid_request', message: 'a value of this request is out of the range the workflow engine (Temporal) accepts' },
  UNIMPLEMENTED: { code: 'engine_error', message: 'the workflow engine (Temporal) does not support this call; it may be older than Baton needs' },
  INTERNAL: { code: 'engine_error', message: 'the workflow engine (Temporal) failed the call' },
  UNAVAILABLE: { code: 'engine_unavailable', message: 'the workflow engine (Temporal) is not reachable; retry shortly' },
  DATA_LOSS: { code: 'engine_error', message: 'the workflow engine (Temporal) reported lost data' },
  UNAUTHENTICATED: { code: 'engine_access_denied', message: 'the workflow engine (Temporal) did not accept Baton\'s credentials; check TEMPORAL_API_KEY or the TLS settings' },
};

/** The BatonError a Temporal (or Baton) failure means to a caller, or undefined for anything else. */
export function batonErrorOf(error: unknown): BatonError | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof BatonError) return current;
    // An update validator or activity rejected with a documented code.
    if (current instanceof ApplicationFailure && isErrorCode(current.type)) return new BatonError(current.type, current.message, current.details?.[0]);
    if (current instanceof WorkflowNotFoundError) return new BatonError('run_not_found', 'run not found');
    if (current instanceof WorkflowExecutionAlreadyStartedError) return new BatonError('conflict', 'a run with this id already exists');
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return fromGrpcStatus('DEADLINE_EXCEEDED', current);
    if (isGrpcServiceError(current)) {
      const name = grpcStatusNames[current.code] ?? 'UNKNOWN';
      return name === 'FAILED_PRECONDITION' ? failedPrecondition(current) : fromGrpcStatus(name, current);
    }
  }
  if (isConnectionRefused(error)) return fromGrpcStatus('UNAVAILABLE', error);
  return undefined;
}

/** The BatonError for a Temporal error, or the error itself when it means nothing to a caller. */
export function toBatonError(error: unknown): unknown {
  return batonErrorOf(error) ?? error;
}

/** Runs a Temporal call and rethrows its failure as a BatonError where one applies. */
export async function mapTemporalErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toBatonError(error);
  }
}

// A resume or cancel whose answer was lost is sent again for this long (Temporal dedupes both).
const retryWindowMs = 5_000;
const retryDelaysMs = [200, 800];

/**
 * Sends a call again while Temporal reports it as not reached or rate limited, within a bounded
 * window; and, past the window, once or twice more after Temporal timed out waiting on it (an
 * Update a busy worker has not taken yet: sent again with its id, it waits on the same Update).
 */
export async function retryTransient<T>(call: () => Promise<T>, options: { windowMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.windowMs ?? retryWindowMs);
  for (let attempt = 0; ; attempt++) {
    try {
      return await mapTemporalErrors(call);
    } catch (error) {
      const delay = retryDelaysMs[attempt];
      if (delay === undefined || !isTransient(error)) throw error;
      if (!timedOutWaiting(error) && Date.now() + delay > deadline) throw error;
      await setTimeout(delay);
    }
  }
}

function timedOutWaiting(error: unknown): boolean {
  const details = batonErrorOf(error)?.details as { grpcStatus?: string } | undefined;
  return details?.grpcStatus === 'DEADLINE_EXCEEDED';
}

/** Codes that say nothing was decided: the same request may succeed if sent again. */
export function isTransient(error: unknown): boolean {
  const code = batonErrorOf(error)?.code;
  return code === 'engine_unavailable' || code === 'engine_busy';
}

function fromGrpcStatus(name: GrpcStatusName, error: unknown): BatonError {
  const { code, message } = grpcStatusCodes[name];
  // Temporal's own words help a caller fix a request; on a 5xx they would only show the engine's internals (logged instead).
  return new BatonError(code, message, errorHttpStatus[code] < 500 ? { grpcStatus: name, cause: errorMessages(error) } : { grpcStatus: name });
}

// FAILED_PRECONDITION is Temporal's "not now": which precondition failed is only in its message.
function failedPrecondition(error: Error): BatonError {
  const messages = errorMessages(error);
  if (/no poller/i.test(messages)) {
    return new BatonError('engine_unavailable', 'no Baton worker is polling the task queue; start one (baton worker) and retry', { grpcStatus: 'FAILED_PRECONDITION' });
  }
  if (/workflow task in failed state/i.test(messages)) {
    return new BatonError('workflow_task_failing', 'the run\'s workflow task keeps failing, so it cannot take this request; cancel it (DELETE) or fix the worker', { grpcStatus: 'FAILED_PRECONDITION', cause: messages });
  }
  if (/already completed|already finished|execution closed/i.test(messages)) {
    return new BatonError('run_finished', 'run is already finished', { grpcStatus: 'FAILED_PRECONDITION', cause: messages });
  }
  return fromGrpcStatus('FAILED_PRECONDITION', error);
}

const unreachableMessage = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|connection refused|failed to connect|transport error|deadline exceeded|UNAVAILABLE|Failed to call server/i;

// Before any gRPC status: the connection itself failed (socket errors, the client's transport errors).
function isConnectionRefused(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return true;
    const transport = current.name === 'ServiceError' || current.name === 'TransportError' || (typeof code === 'string' && code.startsWith('E'));
    if (transport && unreachableMessage.test(current.message)) return true;
  }
  return false;
}

function errorMessages(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) messages.push(current.message);
  return messages.join(': ');
}
