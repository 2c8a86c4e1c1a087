import { describe, expect, it } from 'vitest';
import { toV1Run, toV1RunListItem } from '../../src/domain/v1-shape.ts';
import type { RunSnapshot, StepRecord } from '../../src/domain/run.ts';
import { v1RunListItemSchema, v1RunSchema } from '../../src/domain/v1-api.ts';

const at = '2025-01-01T00:00:00.000Z';

function step(overrides: Partial<StepRecord>): StepRecord {
  return {
    name: 'classify', stepOrder: 1, type: 'agent', agentId: 'classifier', status: 'completed',
    input: null, output: { category: 'enterprise' }, startedAt: at, completedAt: at, ...overrides,
  };
}

function snapshot(overrides: Partial<RunSnapshot>): RunSnapshot {
  return {
    runId: 'wfr_abc123', project: 'default', definitionId: 'wf-lead', definitionName: 'Lead router',
    agent: 'lead-router', sessionId: 'ses_1', status: 'running', steps: [], currentStepOrder: 1,
    result: undefined, pendingAction: null, error: null, version: 1, createdAt: at, updatedAt: at,
    ...overrides,
  };
}

const seedPendingAction = {
  step: 'approval',
  type: 'confirmation' as const,
  message: 'Route to enterprise sales team?',
  options: ['approve', 'reject', 'escalate'],
};

describe('toV1Run', () => {
  it('renders a paused run exactly as the v1 specification shows it, leaving the waiting approval step to pendingAction', () => {
    const body = toV1Run(snapshot({
      status: 'paused',
      currentStepOrder: 2,
      steps: [step({}), step({ name: 'approval', stepOrder: 2, type: 'approval', agentId: null, status: 'running', output: undefined, completedAt: null })],
      pendingAction: seedPendingAction,
    }));
    expect(JSON.parse(JSON.stringify(body))).toStrictEqual({
      output: {
        status: 'paused',
        steps: [{ name: 'classify', status: 'completed', output: { category: 'enterprise' } }],
        result: null,
        pendingAction: seedPendingAction,
      },
      run_id: 'wfr_abc123',
    });
    expect(v1RunSchema.parse(body)).toStrictEqual(body);
  });

  it('lists answered human steps and gives the result only once completed', () => {
    const steps = [step({}), step({ name: 'approval', stepOrder: 2, type: 'approval', agentId: null, output: 'approve' })];
    const done = toV1Run(snapshot({ status: 'completed', steps, result: { team: 'enterprise' } }));
    expect(done.output).toStrictEqual({
      status: 'completed',
      steps: [
        { name: 'classify', status: 'completed', output: { category: 'enterprise' } },
        { name: 'approval', status: 'completed', output: 'approve' },
      ],
      result: { team: 'enterprise' },
      pendingAction: null,
    });
    expect(toV1Run(snapshot({ status: 'completed', steps, result: undefined })).output.result).toBeNull();
    expect(toV1Run(snapshot({ status: 'running', steps, result: { stale: true } })).output.result).toBeNull();
  });

  it('lists a running agent step with a null output so every documented key is in the JSON', () => {
    const body = toV1Run(snapshot({ steps: [step({ status: 'running', output: undefined, completedAt: null })] }));
    expect((JSON.parse(JSON.stringify(body)) as typeof body).output.steps).toStrictEqual([{ name: 'classify', status: 'running', output: null }]);
    expect(body.output).not.toHaveProperty('error');
  });

  it('adds the error to a failed run, a running run whose workflow task keeps failing and a terminated run', () => {
    const error = { code: 'pause_timeout', message: 'No answer within 7d', step: 'approval' };
    expect(toV1Run(snapshot({ status: 'failed', error })).output).toStrictEqual({
      status: 'failed', steps: [], result: null, pendingAction: null, error,
    });
    const failing = { code: 'workflow_task_failing', message: 'the run\'s workflow task keeps failing', step: null };
    expect(toV1Run(snapshot({ status: 'running', error: failing })).output.error).toStrictEqual(failing);
    const terminated = { code: 'terminated', message: 'the run was terminated', step: null };
    expect(toV1Run(snapshot({ status: 'cancelled', error: terminated })).output.error).toStrictEqual(terminated);
    expect(toV1Run(snapshot({ status: 'cancelled' })).output).not.toHaveProperty('error');
  });

  it('drops a stale pendingAction from a run that is no longer paused', () => {
    const body = toV1Run(snapshot({ status: 'cancelled', pendingAction: seedPendingAction }));
    expect(body.output.pendingAction).toBeNull();
    expect(body.output.status).toBe('cancelled');
  });
});

describe('toV1RunListItem', () => {
  it('renders a visibility summary in the snake case of run_id', () => {
    const item = toV1RunListItem({
      runId: 'wfr_abc123', project: 'default', definitionId: 'wf-lead', agent: 'lead-router', sessionId: 'ses_1',
      status: 'paused', currentStepOrder: 2, createdAt: at, updatedAt: '2025-01-01T00:00:05.000Z',
    });
    expect(item).toStrictEqual({
      run_id: 'wfr_abc123', status: 'paused', agent: 'lead-router', definition_id: 'wf-lead', session_id: 'ses_1',
      current_step_order: 2, created_at: at, updated_at: '2025-01-01T00:00:05.000Z',
    });
    expect(v1RunListItemSchema.parse(item)).toStrictEqual(item);
  });
});
