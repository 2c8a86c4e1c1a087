// A visibility row → RunSummary: what the one-time backfill of the read model knows of a run whose
// state cannot be queried. Lists read the read model, never visibility (eventually consistent).
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { RunStatus, RunSummary } from '../domain/run.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../workflows/search-attribute-keys.ts';

// A run closed by Temporal itself never recorded its own final status. Terminated means ended from
// outside (a DELETE whose grace period passed, or an operator): cancelled, not failed on its own.
const closedStatus: Partial<Record<string, RunStatus>> = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', TERMINATED: 'cancelled', TIMED_OUT: 'failed' };

export function toRunSummary(info: Pick<WorkflowExecutionInfo, 'workflowId' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes'>): RunSummary {
  const attributes = info.typedSearchAttributes;
  const recorded = attributes.get(statusKey) as RunStatus | undefined;
  const closed = closedStatus[info.status.name];
  const status = closed && (recorded === undefined || recorded === 'running' || recorded === 'paused') ? closed : (recorded ?? 'running');
  const updatedAt = attributes.get(updatedAtKey) ?? info.closeTime ?? info.startTime;
  return {
    runId: info.workflowId,
    project: attributes.get(projectKey) ?? '',
    definitionId: attributes.get(definitionIdKey) ?? '',
    agent: attributes.get(agentKey) ?? null,
    sessionId: attributes.get(sessionIdKey) ?? '',
    status,
    currentStepOrder: attributes.get(stepOrderKey) ?? 0,
    createdAt: info.startTime.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}
