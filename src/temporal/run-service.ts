// Every run operation the API, SDK and CLI need: start (optionally update-with-start and wait),
// resume (Update), get (Query) and cancel as Temporal calls; list and count from the store's run
// read model, which the workflow writes at start and at each settle (never Temporal visibility).
import { setTimeout } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import { newUlid } from '../domain/new-ulid.ts';
import type { AgentKind } from '../domain/agent.ts';
import type { PauseTimeout } from '../domain/duration.ts';
import type { ProjectSettings } from '../domain/project-settings.ts';
import { BatonError } from '../domain/errors.ts';
import { runIdSchema } from '../domain/ids.ts';
import { finishedStatuses, summaryOf, type Actor, type ResumeRequest, type RunFilter, type RunSnapshot, type RunStart, type RunSummary, type StartRunRequest } from '../domain/run.ts';
import type { RunRepository } from '../store/runs.ts';
import { initialSnapshot } from '../domain/initial-snapshot.ts';
import { newestEngineRevision } from '../workflows/engine-revision.ts';
import { AGENT_RUN_WORKFLOW, resumeAndSettleUpdate, resumeUpdate, settledUpdate, snapshotQuery } from '../workflows/messages.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../workflows/search-attribute-keys.ts';
import { planFork, type ForkRequest } from './run-fork.ts';
import { queryUnlessWorkflowTaskFailing, snapshotFromHistory, startInput, terminationReason, workflowTaskFailingError, workflowTaskFailure, type QueryOutcome } from './run-history.ts';
import { idempotentForkIds, idempotentResumeIds, idempotentRunId, idempotentSessionId, newRunId, newSessionId } from './run-ids.ts';
import { KnownRunVersions } from './known-run-versions.ts';
import { maxClientRetryDelayMs } from './connection.ts';
import { mapTemporalErrors, retryTransient, toBatonError } from './temporal-errors.ts';

export interface RunServiceOptions {
  client: Client;
  /** The store's run read model: lists and counts read it; the API records answers and terminations in it. */
  readModel: RunRepository;
  taskQueue: string;
  /** BATON_PAUSE_TIMEOUT: how long a run may stay paused unless its step, definition or project says otherwise. */
  defaultPauseTimeout: PauseTimeout;
  /**
   * The project's settings as a start should see them (the API's cache of the store's); resolved
   * into the run's start, so a later change reaches new runs only. Absent: the server's defaults.
   */
  projectSettings?: (project: string) => Promise<ProjectSettings>;
  /**
   * BATON_CANCEL_GRACE_MS: how long a cancel waits for the run to record `cancelled`; a run whose
   * workflow task keeps failing is terminated once it passes. Default 5 s.
   */
  cancelGraceMs?: number;
  /**
   * An agent's kind when known without a store read (the worker-local function agents of the
   * registry): written into the run's start so function agents run as local activities.
   */
  agentKindOf?: (agentId: string) => AgentKind | undefined;
  /** Told of every start and applied answer (the API's run metrics). */
  observer?: RunObserver;
}

export interface RunObserver {
  runStarted(): void;
  runResumed(): void;
}

export interface CancelledRun {
  snapshot: RunSnapshot;
  /** False when the run has not recorded the cancel within the grace period (it still will). */
  settled: boolean;
}

export interface StartedRun {
  runId: string;
  sessionId: string;
  snapshot?: RunSnapshot;
  /** Temporal's run id of the execution this start created or joined; absent when it returned an already closed run. */
  executionRunId?: string;
}

const queryDeadlineMs = 10_000;
/** How long resume-and-wait waits for the next settle before it records the answered run itself. */
const answeredRecordDelayMs = 2_000;
const defaultCancelGraceMs = 5_000;
const cancelPollMs = 100;

export class RunService {
  private readonly client: Client;
  private readonly readModel: RunRepository;
  private readonly writtenBack = new KnownRunVersions(10_000);
  private readonly taskQueue: string;
  private readonly defaultPauseTimeout: PauseTimeout;
  private readonly projectSettings: ((project: string) => Promise<ProjectSettings>) | undefined;
  private readonly cancelGraceMs: number;
  private readonly agentKindOf: ((agentId: string) => AgentKind | undefined) | undefined;
  private readonly observer: RunObserver | undefined;
  // When get() last gave up on a Query still in flight (see settleAbandonedCalls).
  private abandonedAt = 0;

  constructor(options: RunServiceOptions) {
    this.client = options.client;
    this.readModel = options.readModel;
    this.taskQueue = options.taskQueue;
    this.defaultPauseTimeout = options.defaultPauseTimeout;
    this.projectSettings = options.projectSettings;
    this.cancelGraceMs = options.cancelGraceMs ?? defaultCancelGraceMs;
    this.agentKindOf = options.agentKindOf;
    this.observer = options.observer;
  }

  /** Starts a run and returns at once (Agent Manager API: 202). A repeated idempotency key returns the same run. */
  async start(request: StartRunRequest): Promise<StartedRun> {
    // Unkeyed, the start is surely a new run: listed here, and the workflow skips its own write.
    // A keyed retry may join a run another attempt started (with its own createdAt): that run lists itself.
    const { input, options } = this.startOptions(request, { startRecorded: request.idempotencyKey === undefined }, await this.settingsOf(request.project));
    let handle;
    try {
      handle = await this.client.workflow.start(AGENT_RUN_WORKFLOW, options);
      this.observer?.runStarted();
    } catch (error) {
      // The idempotent run already finished: the retried start returns it, not a second run.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw toBatonError(error);
      const snapshot = await this.get(input.project, input.runId);
      assertSameDefinition(snapshot.definitionId, request);
      return { runId: input.runId, sessionId: snapshot.sessionId, snapshot, executionRunId: await this.executionRunId(input.runId) };
    }
    if (request.idempotencyKey === undefined) {
      // Listed before the 202: version 0, so anything the run records itself replaces it.
      await this.readModel.record(initialSnapshot(input, input.createdAt!)).catch(() => {});
      return { runId: input.runId, sessionId: input.sessionId, executionRunId: handle.firstExecutionRunId };
    }
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
    // The answer comes at the first settle, which the workflow records before answering; the
    // workflow's write at start would only cost the start leg a store write.
    const { input, options } = this.startOptions(request, { startRecorded: true }, await this.settingsOf(request.project));
    const startWorkflowOperation = new WithStartWorkflowOperation(AGENT_RUN_WORKFLOW, options);
    try {
      const snapshot = await this.client.workflow.executeUpdateWithStart(settledUpdate, {
        args: [{ project: input.project, ...(request.waitMs !== undefined ? { waitMs: request.waitMs } : {}) }],
        startWorkflowOperation,
      });
      this.observer?.runStarted();
      // Not settled within waitMs: the caller now knows a run no list shows yet.
      if (snapshot.status === 'running') await this.readModel.record(snapshot).catch(() => {});
      return snapshot;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw toBatonError(error);
      return await this.get(input.project, input.runId);
    }
  }

  /**
   * Answers the paused step; resolves with the run right after the answer is applied (status
   * `running`, or still `paused` after an answer toward a quorum that is not yet met).
   * `updateId` names the Update in the run's history; Temporal dedupes Updates by id, so sending the
   * same id again (a retry after a lost answer, or a repeated Idempotency-Key) returns the first outcome.
   * `by` (who answers) goes in the Update's caller argument, so it is in Temporal history and the run's answers.
   */
  async resume(project: string, runId: string, request: ResumeRequest, options: { updateId?: string; by?: Actor } = {}): Promise<RunSnapshot> {
    const applied = await this.applyAnswer(project, runId, request, options);
    // The workflow records settles only; this takes an answered run out of the paused lists (the
    // inbox) at once. Not awaited: a newer write from the workflow wins anyway (by version).
    this.readModel.record(applied).catch(() => {});
    return applied;
  }

  /** The resume Update alone: the answer applied, the read model not yet told. */
  private async applyAnswer(project: string, runId: string, request: ResumeRequest, options: { updateId?: string; by?: Actor }): Promise<RunSnapshot> {
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    const updateId = options.updateId ?? `resume-${newUlid()}`;
    // No describe first: the validator checks the project, and a run whose workflow task keeps
    // failing is refused by Temporal itself (~20 s later, as workflow_task_failing) rather than
    // every resume paying a round trip for that rare case.
    try {
      const applied = await retryTransient(() => handle.executeUpdate(resumeUpdate, { args: [request, { project, ...(options.by ? { by: options.by } : {}) }], updateId }));
      this.observer?.runResumed();
      return applied;
    } catch (error) {
      throw await this.explainRefusal(project, runId, error);
    }
  }

  /** What a refused answer means to the caller. */
  private async explainRefusal(project: string, runId: string, error: unknown): Promise<unknown> {
    // Temporal answers an Update to a closed workflow as "not found"; to the caller it is finished.
    if (error instanceof BatonError && error.code === 'run_not_found') {
      const snapshot = await this.get(project, runId);
      return new BatonError('run_finished', `run is ${snapshot.status}`, { status: snapshot.status });
    }
    // A run stuck before its first pause may still validate an answer between two attempts of its
    // failing task (and refuse it as not paused): say why it will never be paused. Read as a GET
    // reads it, which keeps looking while the task's next attempt is under way.
    if (error instanceof BatonError && error.code === 'run_not_paused') {
      const read = await this.get(project, runId).catch(() => null);
      if (read?.error?.code === 'workflow_task_failing') return new BatonError('workflow_task_failing', read.error.message);
    }
    return error;
  }

  /** Whether the resume Update `updateId` was applied to the run (it is in its history). */
  async resumeApplied(project: string, runId: string, updateId: string): Promise<boolean> {
    await this.get(project, runId);
    try {
      await mapTemporalErrors(() => this.client.workflow.getHandle(runId).getUpdateHandle(updateId).result());
      return true;
    } catch (error) {
      if (error instanceof BatonError && error.code === 'run_not_found') return false;
      throw error;
    }
  }

  /**
   * Answers the paused step and waits until the run pauses again or finishes (or `waitMs` passes),
   * in one round trip: the `resumeAndSettle` Update. With an `idempotencyKey` the Update ids derive
   * from it and the answer, so the same request sent again answers exactly as the first did, even
   * after the run moved on or finished. The comment is not part of the ids: a retry that rewords it
   * is still the same answer, and the run keeps the first one's comment (as it keeps the first one's `by`).
   */
  async resumeAndWait(project: string, runId: string, request: ResumeRequest, options: { waitMs?: number; idempotencyKey?: string; by?: Actor } = {}): Promise<RunSnapshot> {
    const ids = options.idempotencyKey === undefined ? undefined : idempotentResumeIds(project, runId, options.idempotencyKey, request.input);
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    // Chosen once, so a resend after a lost answer is the same Update (Temporal dedupes by id).
    const updateId = ids?.resumeAndSettle ?? `resume-${newUlid()}`;
    const caller = { project, ...(options.by ? { by: options.by } : {}), ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}) };
    // Most runs settle again within moments, and that settle is recorded anyway; only a run still
    // busy after a while is written as answered (so the inbox stops offering its question): read
    // back then, which records what it finds.
    const recordIfSlow = globalThis.setTimeout(() => { this.get(project, runId).catch(() => {}); }, answeredRecordDelayMs);
    try {
      const settled = await retryTransient(() => handle.executeUpdate(resumeAndSettleUpdate, { args: [request, caller], updateId }));
      this.observer?.runResumed();
      return settled;
    } catch (error) {
      clearTimeout(recordIfSlow);
      // A worker from before this Update, or (keyed) a resend of an answer a two-Update resume gave:
      // the two Updates either repeat that first outcome or refuse as they always did.
      if (unknownUpdate(error) || (ids && error instanceof BatonError && movedOnCodes.has(error.code))) return await this.resumeThenSettle(project, runId, request, options, ids);
      throw await this.explainRefusal(project, runId, error);
    } finally {
      clearTimeout(recordIfSlow);
    }
  }

  /** resumeAndWait as two Updates (`resume`, then `settled`), for workers that lack `resumeAndSettle`. */
  private async resumeThenSettle(project: string, runId: string, request: ResumeRequest, options: { waitMs?: number; by?: Actor }, ids: ReturnType<typeof idempotentResumeIds> | undefined): Promise<RunSnapshot> {
    const applied = await this.applyAnswer(project, runId, request, { ...(ids ? { updateId: ids.resume } : {}), ...(options.by ? { by: options.by } : {}) });
    // The answer is applied: nothing after this may fail the request, or a retry would meet its own success as a 409.
    const handle = this.client.workflow.getHandle(runId);
    const recordIfSlow = globalThis.setTimeout(() => { this.readModel.record(applied).catch(() => {}); }, answeredRecordDelayMs);
    try {
      return await retryTransient(() =>
        handle.executeUpdate(settledUpdate, {
          // A partial quorum answer leaves the run paused: that version is the settle to wait for.
          args: [{ project, afterVersion: applied.status === 'paused' ? applied.version - 1 : applied.version, ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}) }],
          ...(ids ? { updateId: ids.settled } : {}),
        }),
      );
    } catch {
      // Finished between the two Updates (a closed run still answers the Query), or Temporal went away.
      return await this.get(project, runId).catch(() => applied);
    } finally {
      clearTimeout(recordIfSlow);
    }
  }

  /**
   * The run as it stands (open or closed); another project's run is `run_not_found`. A run whose
   * workflow task keeps failing is `running` with error `workflow_task_failing`, read from its
   * history (its Query would wait for a task that never completes).
   */
  async get(project: string, runId: string): Promise<RunSnapshot> {
    const handle = this.client.workflow.getHandle(checkedRunId(runId));
    const abandon = new AbortController();
    let settled = false;
    // A query needs a worker; without one the server would hold it ~30 s, so answer 503 sooner.
    const querying = mapTemporalErrors(() =>
      this.client.withAbortSignal(abandon.signal, () => this.client.withDeadline(Date.now() + queryDeadlineMs, () => handle.query(snapshotQuery))),
    ).then((snapshot): QueryOutcome => ({ snapshot }), (error: unknown): QueryOutcome => ({ error }))
      .then((outcome) => { settled = true; return outcome; });
    try {
      const described = await mapTemporalErrors(() => handle.describe());
      if (described.typedSearchAttributes.get(projectKey) !== project) throw notFound();
      const read = await queryUnlessWorkflowTaskFailing(this.client, handle, described, querying);
      if ('failing' in read) return await mapTemporalErrors(() => snapshotFromHistory(this.client, read.description, 'running', workflowTaskFailingError(read.failing)));
      if (described.status.name === 'TERMINATED' && !('snapshot' in read && finishedStatuses.includes(read.snapshot.status))) {
        // Ended from outside; before its first workflow task completed there is no state to query.
        const error = { code: 'terminated', message: `the run was terminated: ${await mapTemporalErrors(() => terminationReason(this.client, runId))}`, step: null };
        if ('snapshot' in read) return { ...read.snapshot, status: 'cancelled', pendingAction: null, error };
        return await mapTemporalErrors(() => snapshotFromHistory(this.client, described, 'cancelled', error));
      }
      if ('error' in read) throw read.error;
      if (read.snapshot.project !== project) throw notFound();
      // Runs started before the read model existed do not record themselves: what a read finds
      // newer than their row is written back (a no-op, by version, for every other run), once.
      const { runId: id, version } = read.snapshot;
      if (!this.writtenBack.holds(id, version)) this.readModel.record(read.snapshot).then(() => this.writtenBack.add(id, version), () => {});
      return read.snapshot;
    } finally {
      if (!settled) this.abandonedAt = Date.now();
      abandon.abort();
    }
  }

  /**
   * Resolves once no Query that get() abandoned can still start a gRPC retry: call it before
   * closing the client's connection, or a pending retry would start on a closed channel and throw.
   */
  async settleAbandonedCalls(): Promise<void> {
    const wait = this.abandonedAt + maxClientRetryDelayMs * 1.5 - Date.now();
    if (wait > 0) await setTimeout(wait);
  }

  /**
   * Cancels a running or paused run and waits up to the grace period for it to record `cancelled`.
   * A run whose workflow task keeps failing can never record it, so once the grace period passes it
   * is terminated (shown as `cancelled`, error `terminated`). Cancelling a cancelled run answers it
   * as it is, so a repeated DELETE answers like the first; a completed or failed run is `run_finished`.
   */
  async cancel(project: string, runId: string): Promise<CancelledRun> {
    // Read first: with no worker to answer, the request fails (503) before anything is cancelled.
    const before = await this.get(project, runId);
    if (before.status === 'cancelled') return { snapshot: before, settled: true };
    if (finishedStatuses.includes(before.status)) throw new BatonError('run_finished', `run is already ${before.status}`, { status: before.status });
    const handle = this.client.workflow.getHandle(runId);
    // Temporal accepts a repeated cancel request, so a retry after a lost answer is safe.
    await retryTransient(() => handle.cancel());
    // The cancel is applied: a read that fails from here on means "not yet" (202), never an error.
    const deadline = Date.now() + this.cancelGraceMs;
    let latest = before;
    for (;;) {
      const read = await this.get(project, runId).catch(() => null);
      if (read) latest = read;
      if (finishedStatuses.includes(latest.status)) return { snapshot: latest, settled: true };
      if (Date.now() >= deadline) break;
      await setTimeout(Math.min(cancelPollMs, Math.max(0, deadline - Date.now())));
    }
    return await this.terminateIfStuck(project, handle, latest).catch(() => ({ snapshot: latest, settled: false }));
  }

  private async terminateIfStuck(project: string, handle: WorkflowHandle, latest: RunSnapshot): Promise<CancelledRun> {
    const failure = await mapTemporalErrors(async () => workflowTaskFailure(this.client, await handle.describe()));
    if (!failure) return { snapshot: latest, settled: false };
    await mapTemporalErrors(() => handle.terminate(`cancelled; its workflow task kept failing through the ${this.cancelGraceMs} ms grace period: ${failure.message}`));
    const snapshot = await this.get(project, handle.workflowId);
    // A terminated run records nothing itself: the API writes its end, one version past what it read.
    await this.readModel.record({ ...snapshot, version: Math.max(snapshot.version, latest.version) + 1 }).catch(() => {});
    return { snapshot, settled: true };
  }

  /**
   * What a fork of the project's run `runId` at `request.fromStep` starts as (for start or
   * startAndWait): the parent's definition snapshot, task, state and run input as its start had them
   * (read from the first event of its history, so edits to the workflow since never reach the fork),
   * the parent's records before that step copied, and a new session. The parent is not touched.
   */
  async prepareFork(project: string, runId: string, request: ForkRequest, options: { acceptStepIds?: boolean; idempotencyKey?: string } = {}): Promise<StartRunRequest> {
    const parent = await this.get(project, runId);
    const start = await mapTemporalErrors(() => startInput(this.client, runId));
    if (!start) throw new BatonError('engine_error', `the start of run ${runId} cannot be read from its history`);
    const fork = planFork(start, parent, request, options);
    return {
      project,
      definition: start.definition,
      task: start.task,
      state: start.state,
      input: start.input,
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      fork,
    };
  }

  /** The runs forked from the project's run `runId`, oldest first, from the read model. */
  async forks(project: string, runId: string): Promise<string[]> {
    return await this.readModel.forksOf(project, runId);
  }

  /** One page of the project's runs, newest first (by createdAt, then run id), from the read model. */
  async list(project: string, filter: RunFilter, page: { pageSize: number; cursor?: string }): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    const read = await this.readModel.list(project, checkedFilter(filter), { limit: page.pageSize, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) });
    return { runs: read.runs.map(summaryOf), nextCursor: read.nextCursor };
  }

  /** Runs `offset` to `offset + limit` of the same order as list (Spring-style pages). */
  async page(project: string, filter: RunFilter, page: { offset: number; limit: number }): Promise<RunSummary[]> {
    return (await this.readModel.page(project, checkedFilter(filter), page)).map(summaryOf);
  }

  /** How many of the project's runs match `filter`: exact, as of the last settle recorded. */
  async count(project: string, filter: RunFilter): Promise<number> {
    return await this.readModel.count(project, checkedFilter(filter));
  }

  /** The known kinds of the definition's step agents; undefined when none is known. */
  private agentKindsOf(definition: StartRunRequest['definition']): Record<string, AgentKind> | undefined {
    if (!this.agentKindOf) return undefined;
    const kinds: Record<string, AgentKind> = {};
    for (const step of definition.steps) {
      if (step.type !== 'agent') continue;
      const kind = this.agentKindOf(step.agentId);
      if (kind) kinds[step.agentId] = kind;
    }
    return Object.keys(kinds).length > 0 ? kinds : undefined;
  }

  private async settingsOf(project: string): Promise<ProjectSettings> {
    return this.projectSettings ? await this.projectSettings(project) : {};
  }

  private startOptions(request: StartRunRequest, recording: { startRecorded: boolean }, settings: ProjectSettings): { input: RunStart; options: WorkflowStartOptions<(input: RunStart) => Promise<RunSnapshot>> & { workflowIdConflictPolicy: 'USE_EXISTING' } } {
    const key = request.idempotencyKey;
    const keyed = key === undefined ? undefined : request.fork ? idempotentForkIds(request.project, request.fork.runId, key) : { runId: idempotentRunId(request.project, key), sessionId: idempotentSessionId(request.project, key) };
    const input: RunStart = {
      runId: keyed?.runId ?? newRunId(),
      project: request.project,
      definition: request.definition,
      task: request.task,
      state: request.state,
      input: request.input,
      sessionId: request.sessionId ?? keyed?.sessionId ?? newSessionId(),
      // A session id only this start knows: nothing is in that session yet (a keyed start's may be a retry's).
      ...(request.sessionId === undefined && keyed === undefined ? { newSession: true } : {}),
      // Step, then definition, then these: the project's settings, then the server's default.
      defaultPauseTimeout: settings.pauseTimeout ?? this.defaultPauseTimeout,
      ...(settings.remindAfter !== undefined ? { defaultRemindAfter: settings.remindAfter } : {}),
      ...(settings.remindEvery !== undefined ? { defaultRemindEvery: settings.remindEvery } : {}),
      createdAt: new Date().toISOString(),
      ...(recording.startRecorded ? { startRecorded: true } : {}),
      // Named here, the revision costs the run no patch marker (see src/workflows/engine-revision.ts).
      engineRevision: newestEngineRevision,
    };
    const agentKinds = this.agentKindsOf(request.definition);
    if (agentKinds) input.agentKinds = agentKinds;
    if (request.fork) input.fork = request.fork;
    const forkDetails = request.fork ? `\n\nForked from ${request.fork.runId} at step ${request.fork.fromStep}${request.fork.output ? ' (output given)' : ''}` : '';
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
        staticDetails: `Task: ${request.task}\n\nSession: ${input.sessionId}\n\nSteps: ${[...definition.steps].sort((a, b) => a.stepOrder - b.stepOrder).map((step) => step.name).join(' → ')}${forkDetails}`,
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

// Refusals a keyed resend meets once its first answer (two Updates, by an older API) moved the run on.
const movedOnCodes = new Set(['run_not_paused', 'step_mismatch', 'run_finished', 'run_not_found']);

/** A worker without the `resumeAndSettle` handler refused the Update (the SDK's words for it). */
function unknownUpdate(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof ApplicationFailure && /No registered handler for update: resumeAndSettle/.test(current.message)) return true;
  }
  return false;
}

function checkedRunId(runId: string): string {
  // An id that cannot be a run never reaches Temporal.
  if (!runIdSchema.safeParse(runId).success) throw notFound();
  return runId;
}

/** PostgreSQL text cannot hold NUL: a filter with one matches nothing we could have stored, so it is refused. */
function checkedFilter(filter: RunFilter): RunFilter {
  for (const value of Object.values(filter)) {
    if (typeof value === 'string' && value.includes('\u0000')) throw new BatonError('invalid_request', 'a filter value must not contain NUL characters');
  }
  return filter;
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
