// Reading a run from its Temporal history when its snapshot Query cannot answer: a run whose
// workflow task keeps failing (a bug, or a definition the engine cannot run) holds every Query
// until the task completes, and one terminated before its first task completed has no state at all.
import { setTimeout } from 'node:timers/promises';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import proto from '@temporalio/proto';
import { BatonError } from '../domain/errors.ts';
import type { RunError, RunSnapshot, RunStart, RunStatus } from '../domain/run.ts';
import { mapTemporalErrors } from './temporal-errors.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, stepOrderKey, updatedAtKey } from '../workflows/search-attribute-keys.ts';

// A default import: Node loads this CommonJS module without named exports.
const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/** What the snapshot Query came back with. */
export type QueryOutcome = { snapshot: RunSnapshot } | { error: unknown };

const failingCheckMs = 1_000;

/** Newest events read to find the last workflow task outcome; the failure is always among the last few. */
const tailEvents = 20;

export interface WorkflowTaskFailure {
  /** The attempt Temporal is on; failed retries after the first are not written to history. */
  attempt: number;
  message: string;
  cause: string | null;
}

/**
 * Why the open run's workflow task keeps failing, or null when it is not: its pending task is on a
 * retry and the last workflow task outcome in history is a failure (a timeout is a lost worker, not this).
 */
export async function workflowTaskFailure(client: Client, description: WorkflowExecutionDescription): Promise<WorkflowTaskFailure | null> {
  const attempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
  if (description.status.name !== 'RUNNING' || attempt < 2) return null;
  for (const event of await newestEvents(client, description.workflowId)) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED || event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) return null;
    const failed = event.workflowTaskFailedEventAttributes;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED && failed) {
      const cause = failed.cause ? (WorkflowTaskFailedCause[failed.cause] ?? null) : null;
      return { attempt, message: failed.failure?.message ?? 'workflow task failed', cause: cause?.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '') ?? null };
    }
  }
  return null;
}

/**
 * The Query's answer, unless the run's workflow task is failing: the Query waits for that task,
 * which never completes, so the failure is looked for now and every second while the Query waits.
 */
export async function queryUnlessWorkflowTaskFailing(
  client: Client,
  handle: WorkflowHandle,
  described: WorkflowExecutionDescription,
  querying: Promise<QueryOutcome>,
): Promise<QueryOutcome | { failing: WorkflowTaskFailure; description: WorkflowExecutionDescription }> {
  for (let description = described; ; description = await mapTemporalErrors(() => handle.describe())) {
    const failing = await mapTemporalErrors(() => workflowTaskFailure(client, description));
    if (failing) return { failing, description };
    if (description.status.name !== 'RUNNING') return await querying;
    const tick = new AbortController();
    const read = await Promise.race([querying, setTimeout(failingCheckMs, null, { signal: tick.signal }).catch(() => null)]);
    tick.abort();
    if (!read) continue;
    // Temporal refuses the Query outright once the task is in failed state.
    if (!('error' in read && read.error instanceof BatonError && read.error.code === 'workflow_task_failing')) return read;
    const latest = await mapTemporalErrors(() => handle.describe());
    const failure = await mapTemporalErrors(() => workflowTaskFailure(client, latest));
    return { failing: failure ?? { attempt: latest.raw.pendingWorkflowTask?.attempt ?? 0, message: 'its workflow task is in failed state', cause: null }, description: latest };
  }
}

/** The run-level error a GET shows for a run whose workflow task keeps failing. */
export function workflowTaskFailingError(failure: WorkflowTaskFailure): RunError {
  return {
    code: 'workflow_task_failing',
    message: `the run's workflow task keeps failing (attempt ${failure.attempt}${failure.cause ? `, ${failure.cause}` : ''}): ${failure.message}; DELETE the run to end it`,
    step: null,
  };
}

/** Why a closed run was terminated, from its last event; null when it was not. */
export async function terminationReason(client: Client, workflowId: string): Promise<string | null> {
  const [last] = await newestEvents(client, workflowId, 1);
  if (last?.eventType !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) return null;
  return last.workflowExecutionTerminatedEventAttributes?.reason || 'terminated';
}

/**
 * The run as far as Temporal alone knows it: identity from the start input and search attributes,
 * no steps (they live in the workflow's memory, which cannot be read), the given status and error.
 */
export async function snapshotFromHistory(client: Client, description: WorkflowExecutionDescription, status: RunStatus, error: RunError): Promise<RunSnapshot> {
  const start = await startInput(client, description.workflowId);
  const attributes = description.typedSearchAttributes;
  const createdAt = description.startTime.toISOString();
  return {
    runId: description.workflowId,
    project: attributes.get(projectKey) ?? start?.project ?? '',
    definitionId: attributes.get(definitionIdKey) ?? start?.definition.id ?? '',
    definitionName: start?.definition.name ?? '',
    agent: attributes.get(agentKey) ?? start?.definition.agent ?? null,
    sessionId: attributes.get(sessionIdKey) ?? start?.sessionId ?? '',
    status,
    steps: [],
    currentStepOrder: attributes.get(stepOrderKey) ?? 0,
    result: null,
    pendingAction: null,
    error,
    version: 0,
    createdAt,
    updatedAt: (description.closeTime ?? attributes.get(updatedAtKey) ?? description.startTime).toISOString(),
  };
}

/** The run's start (its definition snapshot, task, state, input), from the first event of its history. */
export async function startInput(client: Client, workflowId: string): Promise<RunStart | undefined> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: 1 });
  const payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  return payloads ? await decodeFromPayloadsAtIndex<RunStart>(client.options.loadedDataConverter, 0, payloads) : undefined;
}

async function newestEvents(client: Client, workflowId: string, count = tailEvents): Promise<HistoryEvent[]> {
  const { history } = await client.workflowService.getWorkflowExecutionHistoryReverse({ namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: count });
  return history?.events ?? [];
}
