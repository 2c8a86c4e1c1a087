// Reading runs from Temporal visibility: the list query over Baton's search attributes, the
// page cursor, and the row → RunSummary mapping. Visibility is eventually consistent.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { RunFilter, RunStatus, RunSummary } from '../domain/run.ts';
import { AGENT_RUN_WORKFLOW } from '../workflows/messages.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../workflows/search-attribute-keys.ts';

/** The visibility query for one project's runs matching `filter`. */
export function runListQuery(project: string, filter: RunFilter): string {
  const clauses = [`WorkflowType = ${quote(AGENT_RUN_WORKFLOW)}`, `${projectKey.name} = ${quote(project)}`];
  if (filter.status) clauses.push(`${statusKey.name} = ${quote(filter.status)}`);
  if (filter.agent) clauses.push(`${agentKey.name} = ${quote(filter.agent)}`);
  if (filter.definitionId) clauses.push(`${definitionIdKey.name} = ${quote(filter.definitionId)}`);
  if (filter.sessionId) clauses.push(`${sessionIdKey.name} = ${quote(filter.sessionId)}`);
  return clauses.join(' AND ');
}

/** A single-quoted visibility literal; backslash and quote are escaped so a value cannot end the string. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Cursors are visibility page tokens in base64url: opaque to callers, safe in a query string. */
export function encodeCursor(token: Uint8Array | null | undefined): string | null {
  return token && token.length > 0 ? Buffer.from(token).toString('base64url') : null;
}

export function decodeCursor(cursor: string | undefined): Uint8Array | undefined {
  if (!cursor) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url');
}

// A run closed by Temporal itself (terminated, timed out) never recorded its own final status.
const closedStatus: Partial<Record<string, RunStatus>> = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', TERMINATED: 'failed', TIMED_OUT: 'failed' };

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
