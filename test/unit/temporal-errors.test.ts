import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createRouter } from '../../api/router.ts';
import { BatonError, errorHttpStatus, type ErrorCode } from '../../src/domain/errors.ts';
import { batonErrorOf, grpcStatusCodes, grpcStatusNames, isTransient, retryTransient, type GrpcStatusName } from '../../src/temporal/temporal-errors.ts';

/** An error as @temporalio/client throws it: a ServiceError around grpc-js's status error. */
function temporalError(name: GrpcStatusName, details: string): ServiceError {
  const code = grpcStatusNames.indexOf(name);
  const grpc = Object.assign(new Error(`${code} ${name}: ${details}`), { code, details, metadata: {} });
  return new ServiceError('Temporal call failed', { cause: grpc });
}

// Every status Temporal's frontend can answer, with the code and HTTP status a caller sees.
const table: Array<[GrpcStatusName, ErrorCode, number]> = [
  ['OK', 'engine_error', 502],
  ['CANCELLED', 'engine_unavailable', 503],
  ['UNKNOWN', 'engine_error', 502],
  ['INVALID_ARGUMENT', 'invalid_request', 400],
  ['DEADLINE_EXCEEDED', 'engine_unavailable', 503],
  ['NOT_FOUND', 'run_not_found', 404],
  ['ALREADY_EXISTS', 'conflict', 409],
  ['PERMISSION_DENIED', 'engine_access_denied', 502],
  ['RESOURCE_EXHAUSTED', 'engine_busy', 503],
  ['FAILED_PRECONDITION', 'conflict', 409],
  ['ABORTED', 'conflict', 409],
  ['OUT_OF_RANGE', 'invalid_request', 400],
  ['UNIMPLEMENTED', 'engine_error', 502],
  ['INTERNAL', 'engine_error', 502],
  ['UNAVAILABLE', 'engine_unavailable', 503],
  ['DATA_LOSS', 'engine_error', 502],
  ['UNAUTHENTICATED', 'engine_access_denied', 502],
];

function appThrowing(error: unknown) {
  const routes = createRouter();
  routes.get('/fail', () => { throw error; });
  return createApp({ apiKeys: new Map(), maxBodyBytes: 1024, readiness: {}, routes: [{ path: '/v1', app: routes }] });
}

describe('Temporal error mapping', () => {
  it('covers every gRPC status', () => {
    expect(table.map(([name]) => name)).toStrictEqual([...grpcStatusNames]);
    expect(Object.keys(grpcStatusCodes).sort()).toStrictEqual([...grpcStatusNames].sort());
  });

  it.each(table)('maps %s to %s (%i)', async (name, code, status) => {
    const mapped = batonErrorOf(temporalError(name, 'some detail'));
    expect(mapped).toBeInstanceOf(BatonError);
    expect(mapped?.code).toBe(code);
    expect(errorHttpStatus[code]).toBe(status);
    expect(mapped?.details).toMatchObject({ grpcStatus: name });
    // The engine's own words reach a caller only when they are about the request.
    if (status >= 500) expect(mapped?.details).not.toHaveProperty('cause');
    else expect((mapped?.details as { cause?: string }).cause).toContain('some detail');

    const response = await appThrowing(temporalError(name, 'some detail')).request('/v1/fail');
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(response.headers.get('Retry-After')).toBe(code === 'engine_unavailable' || code === 'engine_busy' ? '5' : null);
  });

  it('tells FAILED_PRECONDITION apart by what failed', () => {
    expect(batonErrorOf(temporalError('FAILED_PRECONDITION', 'no poller seen for task queue recently'))?.code).toBe('engine_unavailable');
    expect(batonErrorOf(temporalError('FAILED_PRECONDITION', 'Unable to perform workflow execution update due to Workflow Task in failed state.'))?.code).toBe('workflow_task_failing');
    expect(batonErrorOf(temporalError('FAILED_PRECONDITION', 'Workflow execution closed before WorkflowTaskStarted event'))?.code).toBe('run_finished');
    expect(batonErrorOf(temporalError('FAILED_PRECONDITION', 'something else'))?.code).toBe('conflict');
  });

  it('maps the client\'s own errors and leaves Baton bugs internal', () => {
    expect(batonErrorOf(new WorkflowNotFoundError('gone', 'wfr_1', undefined))?.code).toBe('run_not_found');
    expect(batonErrorOf(new WorkflowUpdateRPCTimeoutOrCancelledError('timed out'))?.code).toBe('engine_unavailable');
    const rejected = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'step_mismatch', message: 'step "a" is waiting', details: [{ expected: 'a' }] }));
    expect(batonErrorOf(rejected)).toMatchObject({ code: 'step_mismatch', details: { expected: 'a' } });
    expect(batonErrorOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' }))?.code).toBe('engine_unavailable');
    expect(batonErrorOf(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'NotOurs', message: 'x' })))).toBeUndefined();
    expect(batonErrorOf(new TypeError('undefined is not a function'))).toBeUndefined();
  });

  it('treats only "not reached" and "rate limited" as worth sending again', () => {
    expect(table.filter(([name]) => isTransient(temporalError(name, 'x'))).map(([name]) => name)).toStrictEqual(['CANCELLED', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE']);
  });

  it('sends an Update again after Temporal timed out waiting on it, even past the retry window, but at most twice', async () => {
    let calls = 0;
    const timingOut = async () => {
      calls++;
      if (calls < 3) throw new WorkflowUpdateRPCTimeoutOrCancelledError('timed out waiting for the update');
      return 'answered';
    };
    expect(await retryTransient(timingOut, { windowMs: 0 })).toBe('answered');
    expect(calls).toBe(3);
    calls = -10;
    await expect(retryTransient(timingOut, { windowMs: 0 })).rejects.toMatchObject({ code: 'engine_unavailable' });
    expect(calls).toBe(-7);
  });

  it('does not send a call again past the retry window when Temporal could not be reached', async () => {
    let calls = 0;
    const unreachable = async () => {
      calls++;
      throw temporalError('UNAVAILABLE', 'connection refused');
    };
    await expect(retryTransient(unreachable, { windowMs: 0 })).rejects.toMatchObject({ code: 'engine_unavailable' });
    expect(calls).toBe(1);
  });
});
