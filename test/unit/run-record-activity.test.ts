import { describe, expect, it } from 'vitest';
import { createRunRecordActivities } from '../../src/activities/run-record-activity.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';

const failed = {
  runId: 'wfr_1', project: 'acme', definitionId: 'def_1', definitionName: 'd', agent: null, sessionId: 'ses_1', status: 'failed',
  steps: [], currentStepOrder: 1, result: null, pendingAction: null, error: { code: 'step_failed', message: 'the agent answered 500', step: 'fetch' },
  version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z',
} satisfies RunSnapshot;

describe('recordRun', () => {
  it('tells of a failed run once: when its write lands, not when a repeated write is a no-op', async () => {
    const landed = [true, false];
    const told: RunSnapshot[] = [];
    const activities = createRunRecordActivities({ record: async () => landed.shift()! }, (snapshot) => told.push(snapshot));
    await activities.recordRun(failed);
    await activities.recordRun(failed);
    expect(told).toEqual([failed]);
  });

  it('tells nothing of runs that did not fail', async () => {
    const told: RunSnapshot[] = [];
    const activities = createRunRecordActivities({ record: async () => true }, (snapshot) => told.push(snapshot));
    await activities.recordRun({ ...failed, status: 'completed', error: null });
    await activities.recordRun({ ...failed, status: 'paused', error: null });
    expect(told).toEqual([]);
  });
});
