import { describe, expect, it } from 'vitest';
import { stepFromRow } from '../../src/store/definition-rows.ts';

const row = (body: Record<string, unknown>) => ({ project: 'p', definition_id: 'wf-1', id: 'st-1', name: 'shout', step_order: 1, type: 'agent' as const, body });

describe('stepFromRow', () => {
  it('reads durations stored before the schema was strict as the milliseconds the workflow runs them with', () => {
    const step = stepFromRow(row({ agentId: 'upper', action: 'a', requireApproval: false, timeout: '5\ts', pauseTimeout: '0s', retry: { attempts: 1, backoff: 0, backoffCoefficient: 2 } }));
    expect(step).toMatchObject({ timeout: 5000, pauseTimeout: 1, retry: { backoff: 1 } });
  });

  it('keeps durations the schema accepts exactly as stored', () => {
    const step = stepFromRow(row({ agentId: 'upper', action: 'a', requireApproval: false, timeout: '30s', pauseTimeout: 'never', retry: { attempts: 1, backoff: '1s', backoffCoefficient: 2 } }));
    expect(step).toMatchObject({ timeout: '30s', pauseTimeout: 'never', retry: { backoff: '1s' } });
  });
});
