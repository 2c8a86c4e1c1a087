// How Temporal's errors cross into Baton's: one mapping, so the API's onError sees only BatonError
// for everything it can explain (DESIGN §5) and an internal error for the rest.
import { isGrpcServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { BatonError, isErrorCode } from '../domain/errors.ts';

// gRPC status codes meaning "the engine is not answering": UNAVAILABLE, DEADLINE_EXCEEDED.
const unavailableGrpcCodes = new Set([14, 4]);

/** The BatonError for a Temporal error, or the error itself when it means nothing to a caller. */
export function toBatonError(error: unknown): unknown {
  if (error instanceof BatonError) return error;
  if (error instanceof WorkflowNotFoundError) return new BatonError('run_not_found', 'run not found');
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && isErrorCode(error.cause.type)) {
    return new BatonError(error.cause.type, error.cause.message, error.cause.details?.[0]);
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable(error);
  const grpcCode = grpcCodeOf(error);
  if (grpcCode === 5) return new BatonError('run_not_found', 'run not found');
  if ((grpcCode !== undefined && unavailableGrpcCodes.has(grpcCode)) || isConnectionRefused(error)) return unavailable(error);
  // FAILED_PRECONDITION "no poller seen": the server is up but no worker serves the task queue.
  if (grpcCode === 9 && /no poller/i.test(errorMessages(error))) {
    return new BatonError('engine_unavailable', 'no Baton worker is polling the task queue; start one (baton worker) and retry', { cause: errorMessages(error) });
  }
  return error;
}

/** Runs a Temporal call and rethrows its failure as a BatonError where one applies. */
export async function mapTemporalErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toBatonError(error);
  }
}

function unavailable(error: unknown): BatonError {
  return new BatonError('engine_unavailable', 'the workflow engine (Temporal) is not reachable; retry shortly', {
    cause: error instanceof Error ? error.message : String(error),
  });
}

/** The gRPC status code of the error or of a cause (the client wraps gRPC errors in ServiceError). */
function grpcCodeOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (isGrpcServiceError(current)) return current.code;
  }
  return undefined;
}

function isConnectionRefused(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED' || /ECONNREFUSED|UNAVAILABLE|DEADLINE_EXCEEDED/.test(current.message)) return true;
  }
  return false;
}

function errorMessages(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) messages.push(current.message);
  return messages.join(': ');
}
