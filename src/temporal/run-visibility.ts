// Reading runs from Temporal visibility: the list query over Baton's search attributes, the
// page cursor, and the row → RunSummary mapping. Visibility is eventually consistent.
import { createHash } from 'node:crypto';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { BatonError } from '../domain/errors.ts';
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

/**
 * A single-quoted visibility literal; backslash and quote are escaped so a value cannot end the
 * string. NUL is refused: SQL visibility stores cannot hold it and answer as if unreachable.
 */
export function quote(value: string): string {
  if (value.includes('\u0000')) throw new BatonError('invalid_request', 'a filter value must not contain NUL characters');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// A cursor's last bytes are a digest of the token, so a cursor this API did not issue is refused
// at once (Temporal answers an unreadable token with UNKNOWN, which its client retries for ~20 s).
const checkBytes = 8;

/** Cursors are visibility page tokens plus a check, in base64url: opaque to callers, safe in a query string. */
export function encodeCursor(token: Uint8Array | null | undefined): string | null {
  if (!token || token.length === 0) return null;
  return Buffer.concat([token, tokenCheck(token)]).toString('base64url');
}

/** The page token of a cursor; one that cannot be ours is refused rather than read as the first page. */
export function decodeCursor(cursor: string | undefined): Uint8Array | undefined {
  if (!cursor) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  const bytes = Buffer.from(cursor, 'base64url');
  const token = bytes.subarray(0, bytes.length - checkBytes);
  if (token.length === 0 || !tokenCheck(token).equals(bytes.subarray(token.length))) throw invalidCursor();
  return token;
}

function tokenCheck(token: Uint8Array): Buffer {
  return createHash('sha256').update('baton-cursor').update(token).digest().subarray(0, checkBytes);
}

export function invalidCursor(): BatonError {
  return new BatonError('invalid_request', 'cursor is not one this API issued; pass next_cursor from the previous page as is');
}

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
