// Every run operation the API, SDK and CLI need, as Temporal calls (DESIGN §4): start (optionally
// update-with-start and wait), resume (Update), get (Query), list/count (visibility), cancel.
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import type { PauseTimeout } from '../domain/duration.ts';
import { BatonError } from '../domain/errors.ts';
import { runIdSchema } from '../domain/ids.ts';
import type { ResumeRequest, RunFilter, RunSnapshot, RunStart, RunSummary, StartRunRequest } from '../domain/run.ts';
import { AGENT_RUN_WORKFLOW, resumeUpdate, settledUpdate, snapshotQuery } from '../workflows/messages.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../workflows/search-attribute-keys.ts';
import { idempotentRunId, idempotentSessionId, newRunId, newSessionId } from './run-ids.ts';
import { decodeCursor, encodeCursor, runListQuery, toRunSummary } from './run-visibility.ts';
import { mapTemporalErrors } from './temporal-errors.ts';

export interface RunServiceOptions {
  client: Client;
  taskQueue: string;
  /** BATON_PAUSE_TIMEOUT: how long a run may stay paused unless its definition or step says otherwise. */
  defaultPauseTimeout: PauseTimeout;
}

export interface StartedRun {
  runId: string;
  sessionId: string;
  snapshot?: RunSnapshot;
  /** Temporal's run id of the execution this start created or joined; absent when it returned an already closed run. */
  executionRunId?: string;
}

const queryDeadlineMs = 10_000;

export class RunService {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly defaultPauseTimeout: PauseTimeout;

  constructor(options: RunServiceOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.defaultPauseTimeout = options.defaultPauseTimeout;
  }

  /** Starts a run and returns at once (Agent Manager API: 202). A repeated idempotency key returns the same run. */
  async start(request: StartRunRequest): Promise<StartedRun> {
    const { input, options } = this.startOptions(request);
    let handle;
    try {
      handle = await mapTemporalErrors(() => this.client.workflow.start(AGENT_RUN_WORKFLOW, options));
    } catch (error) {
      // The idempotent run already finished: the retried start returns it, not a second run.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const snapshot = await this.get(input.project, input.runId);
      assertSameDefinition(snapshot.definitionId, request);
      return { runId: input.runId, sessionId: snapshot.sessionId, snapshot, executionRunId: await this.executionRunId(input.runId) };
    }
    if (request.idempotencyKey === undefined) return { runId: input.runId, sessionId: input.sessionId, executionRunId: handle.firstExecutionRunId };
    // A retry may have joined a run started with another sessionId: answer with the run's own.
    const description = await mapTemporalErrors(() => handle.describe());
    assertSameDefinition(description.typedSearchAttributes.get(definitionIdKey), request);
    return { runId: input.runId, sessionId: description.typedSearchAttributes.get(sessionIdKey) ?? input.sessionId, executionRunId: description.runId };
  }

  private async executionRunId(runId: string): Promise<string> {
    return (await mapTemporalErrors(() => this.client.workflow.getHandle(runId).describe())).runId;
  }

  /**
   * Starts a run and waits until it pauses or finishes, in one update-with-start call (the
   * `settled` Update). After `waitMs` the run is returned as it stands (status `running`).
   */
  async startAndWait(request: StartRunRequest & { waitMs?: number }): Promise<RunSnapshot> {
    const { input, options } = this.startOptions(request);
    const startWorkflowOperation = new WithStartWorkflowOperation(AGENT_RUN_WORKFLOW, options);
    try {
      return await mapTemporalErrors(() =>
        this.client.workflow.executeUpdateWithStart(settledUpdate, {
          args: [{ project: input.project, ...(request.waitMs !== undefined ? { waitMs: request.waitMs } : {}) }],
          startWorkflowOperation,
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return await this.get(input.project, input.runId);
    }
  }

  /**
   * Answers the paused step; resolves with the run right after the answer is applied (status `running`).
   * `updateId` names the Update in the run's history (Temporal generates one otherwise).
   */
  async resume(project: string, runId: string, request: ResumeRequest, options: { updateId?: string } = {}): Promise<RunSnapshot> {
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    try {
      return await mapTemporalErrors(() => handle.executeUpdate(resumeUpdate, { args: [request, { project }], ...(options.updateId ? { updateId: options.updateId } : {}) }));
    } catch (error) {
      // Temporal answers an Update to a closed workflow as "not found"; to the caller it is finished.
      if (error instanceof BatonError && error.code === 'run_not_found') {
        const snapshot = await this.get(project, runId);
        throw new BatonError('run_finished', `run is ${snapshot.status}`, { status: snapshot.status });
      }
      throw error;
    }
  }

  /** Answers the paused step and waits until the run pauses again or finishes (or `waitMs` passes). */
  async resumeAndWait(project: string, runId: string, request: ResumeRequest, options: { waitMs?: number } = {}): Promise<RunSnapshot> {
    const applied = await this.resume(project, runId, request);
    const handle = this.client.workflow.getHandle(runId);
    try {
      return await mapTemporalErrors(() =>
        handle.executeUpdate(settledUpdate, {
          args: [{ project, afterVersion: applied.version, ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}) }],
        }),
      );
    } catch (error) {
      // The run finished between the two Updates: a closed run still answers the Query.
      if (error instanceof BatonError && error.code === 'run_not_found') return await this.get(project, runId);
      throw error;
    }
  }

  /** The run as it stands (open or closed); another project's run is `run_not_found`. */
  async get(project: string, runId: string): Promise<RunSnapshot> {
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    // A query needs a worker; without one the server would hold it ~30 s, so answer 503 sooner.
    const snapshot = await mapTemporalErrors(() => this.client.withDeadline(Date.now() + queryDeadlineMs, () => handle.query(snapshotQuery)));
    if (snapshot.project !== project) throw notFound();
    return snapshot;
  }

  /** Cancels a running or paused run; the workflow records `cancelled` before Temporal shows it Canceled. */
  async cancel(project: string, runId: string): Promise<void> {
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    const description = await mapTemporalErrors(() => handle.describe());
    if (description.typedSearchAttributes.get(projectKey) !== project) throw notFound();
    if (description.status.name !== 'RUNNING') throw new BatonError('run_finished', `run is already ${description.status.name.toLowerCase()}`);
    await mapTemporalErrors(() => handle.cancel());
  }

  /**
   * One page of the project's runs from visibility, in Temporal's order (SQL visibility has no
   * ORDER BY): open runs first, newest start first, then closed runs, most recently closed first.
   */
  async list(project: string, filter: RunFilter, page: { pageSize: number; cursor?: string }): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    const { workflowService, options } = this.client;
    const response = await mapTemporalErrors(() =>
      workflowService.listWorkflowExecutions({
        namespace: options.namespace,
        query: runListQuery(project, filter),
        pageSize: page.pageSize,
        nextPageToken: decodeCursor(page.cursor) ?? null,
      }),
    );
    const infos = await Promise.all(response.executions.map((raw) => executionInfoFromRaw(raw, options.loadedDataConverter, raw, options.namespace)));
    return { runs: infos.map(toRunSummary), nextCursor: encodeCursor(response.nextPageToken) };
  }

  /** How many of the project's runs match `filter` (visibility count). */
  async count(project: string, filter: RunFilter): Promise<number> {
    const result = await mapTemporalErrors(() => this.client.workflow.count(runListQuery(project, filter)));
    return result.count;
  }

  private startOptions(request: StartRunRequest): { input: RunStart; options: WorkflowStartOptions<(input: RunStart) => Promise<RunSnapshot>> & { workflowIdConflictPolicy: 'USE_EXISTING' } } {
    const key = request.idempotencyKey;
    const input: RunStart = {
      runId: key ? idempotentRunId(request.project, key) : newRunId(),
      project: request.project,
      definition: request.definition,
      task: request.task,
      state: request.state,
      input: request.input,
      sessionId: request.sessionId ?? (key ? idempotentSessionId(request.project, key) : newSessionId()),
      defaultPauseTimeout: this.defaultPauseTimeout,
    };
    const { definition } = request;
    const now = new Date();
    return {
      input,
      options: {
        taskQueue: this.taskQueue,
        workflowId: input.runId,
        args: [input],
        // A retried start with the same idempotency key joins the run it already started, and
        // never starts a second one under the same id once the first has closed.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${definition.name} (${definition.id}${definition.agent ? `, agent ${definition.agent}` : ''}) · project ${request.project}`,
        staticDetails: `Task: ${request.task}\n\nSession: ${input.sessionId}\n\nSteps: ${[...definition.steps].sort((a, b) => a.stepOrder - b.stepOrder).map((step) => step.name).join(' → ')}`,
        typedSearchAttributes: [
          { key: projectKey, value: request.project },
          { key: definitionIdKey, value: definition.id },
          ...(definition.agent ? [{ key: agentKey, value: definition.agent }] : []),
          { key: sessionIdKey, value: input.sessionId },
          { key: statusKey, value: 'running' },
          { key: stepOrderKey, value: 0 },
          { key: updatedAtKey, value: now },
        ],
      },
    };
  }
}

function checkedRunId(runId: string): string {
  // An id that cannot be a run never reaches Temporal.
  if (!runIdSchema.safeParse(runId).success) throw notFound();
  return runId;
}

function notFound(): BatonError {
  return new BatonError('run_not_found', 'run not found');
}

/** A key names one start: reusing it for another workflow is a client bug, not a retry. */
function assertSameDefinition(existing: string | undefined, request: StartRunRequest): void {
  if (existing !== undefined && existing !== request.definition.id) {
    throw new BatonError('conflict', `Idempotency-Key ${JSON.stringify(request.idempotencyKey)} was already used to start a run of workflow ${JSON.stringify(existing)}`, { workflowId: existing });
  }
}
