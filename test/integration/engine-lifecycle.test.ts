import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectKey, sessionIdKey, statusKey, stepOrderKey, definitionIdKey, agentKey, updatedAtKey } from '../../src/workflows/search-attribute-keys.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { defineRun, eventually, runResult, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('lifecycle');
});
afterAll(async () => engine?.close());

/** The durations of the timers a run started, from its history. */
const startedTimers = async (runId: string) => {
  const history = await engine.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const seconds = event.timerStartedEventAttributes?.startToFireTimeout?.seconds;
    return seconds === undefined || seconds === null ? [] : [`${String(seconds)}s`];
  });
};

const workflowFailure = async (runId: string) => {
  const error = await runResult(engine.client, runId).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause;
};

describe('agentRun lifecycle', () => {
  it('fails a run paused past its pause timeout with pause_timeout, and Temporal shows it failed', async () => {
    const project = uniqueProject('timeout');
    const definition = defineRun(project, [{ type: 'approval', name: 'wait', message: 'Go?', options: ['go'], pauseTimeout: '1s' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    expect(paused.status).toBe('paused');
    const cause = await workflowFailure(paused.runId);
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect([(cause as ApplicationFailure).type, (cause as ApplicationFailure).nonRetryable]).toEqual(['pause_timeout', true]);
    const failed = await engine.runs.get(project, paused.runId);
    expect([failed.status, failed.error?.code, failed.error?.step, failed.pendingAction]).toEqual(['failed', 'pause_timeout', 'wait', null]);
    expect(failed.steps).toMatchObject([{ name: 'wait', status: 'failed' }]);
  });

  it('takes the pause timeout from the definition, then from the run default', async () => {
    const project = uniqueProject('timeout2');
    const fromDefinition = defineRun(project, [{ type: 'approval', name: 'wait', message: 'Go?', options: ['go'] }], { pauseTimeout: '1s' });
    const paused = await engine.runs.startAndWait({ project, definition: fromDefinition, task: 't', state: {}, input: null });
    expect(((await workflowFailure(paused.runId)) as ApplicationFailure).type).toBe('pause_timeout');
    // 'never' on the step overrides a short definition timeout: still paused after the definition's would have fired.
    const never = defineRun(project, [{ type: 'approval', name: 'wait', message: 'Go?', options: ['go'], pauseTimeout: 'never' }], { pauseTimeout: '1s' });
    const waiting = await engine.runs.startAndWait({ project, definition: never, task: 't', state: {}, input: null });
    expect(waiting.status).toBe('paused');
    // No timer runs while it waits, so nothing can fail it; the definition's 1 s started one above.
    expect(await startedTimers(waiting.runId)).toEqual([]);
    expect(await startedTimers(paused.runId)).toEqual(['1s']);
    const done = await engine.runs.resumeAndWait(project, waiting.runId, { step: 'wait', input: 'go' });
    expect(done.status).toBe('completed');
    // Neither step nor definition says: BATON_PAUSE_TIMEOUT (RunService's default) applies.
    const shortDefault = new RunService({ client: engine.client, readModel: engine.store.runs, taskQueue: engine.taskQueue, defaultPauseTimeout: '1s' });
    const plain = defineRun(project, [{ type: 'approval', name: 'wait', message: 'Go?', options: ['go'] }]);
    const byDefault = await shortDefault.startAndWait({ project, definition: plain, task: 't', state: {}, input: null });
    expect(((await workflowFailure(byDefault.runId)) as ApplicationFailure).type).toBe('pause_timeout');
  });

  it('records a cancel while paused as cancelled and Temporal shows Canceled', async () => {
    const project = uniqueProject('cancel');
    const definition = defineRun(project, [{ name: 'first', agentId: 'echo' }, { type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
    await engine.runs.cancel(project, paused.runId);
    expect(await workflowFailure(paused.runId)).toBeInstanceOf(CancelledFailure);
    const cancelled = await engine.runs.get(project, paused.runId);
    expect([cancelled.status, cancelled.pendingAction]).toEqual(['cancelled', null]);
    expect(cancelled.steps.map((step) => [step.name, step.status])).toEqual([['first', 'completed'], ['gate', 'cancelled']]);
    const description = await engine.client.workflow.getHandle(paused.runId).describe();
    expect([description.status.name, description.typedSearchAttributes.get(statusKey)]).toEqual(['CANCELLED', 'cancelled']);
    // A repeated cancel answers as the first did: the cancelled run, not a conflict.
    expect((await engine.runs.cancel(project, paused.runId)).snapshot.status).toBe('cancelled');
    await expect(engine.runs.cancel('other-project', paused.runId)).rejects.toMatchObject({ code: 'run_not_found', status: 404 });
  });

  it('cancels a running agent step through its AbortSignal', async () => {
    const project = uniqueProject('cancelagent');
    let started!: () => void;
    const agentStarted = new Promise<void>((resolve) => (started = resolve));
    let aborted = false;
    engine.agents.register('slow-abortable', {
      kind: 'function',
      run: (_context, signal) =>
        new Promise((_resolve, reject) => {
          started();
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const definition = defineRun(project, [{ name: 'slow', agentId: 'slow-abortable' }]);
    const { runId } = await engine.runs.start({ project, definition, task: 't', state: {}, input: null });
    await agentStarted;
    await engine.runs.cancel(project, runId);
    expect(await workflowFailure(runId)).toBeInstanceOf(CancelledFailure);
    const cancelled = await engine.runs.get(project, runId);
    expect(cancelled.steps.map((step) => [step.name, step.status])).toEqual([['slow', 'cancelled']]);
    // The cancel reaches the activity with its next heartbeat, throttled to 80% of the 10 s heartbeat timeout.
    await eventually(async () => expect(aborted).toBe(true), 30_000);
  });

  it('retries a failing agent as the step says, then fails the run with its error', async () => {
    const project = uniqueProject('retry');
    let calls = 0;
    engine.agents.register('flaky', {
      kind: 'function',
      run: async () => {
        calls += 1;
        throw new Error(`upstream said no (call ${calls})`);
      },
    });
    const definition = defineRun(project, [{ name: 'call', agentId: 'flaky', retry: { attempts: 3, backoff: '100ms', backoffCoefficient: 1 } }]);
    const failed = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    expect(calls).toBe(3);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'step_failed', message: 'upstream said no (call 3)', step: 'call' });
    expect(failed.steps).toMatchObject([{ name: 'call', status: 'failed' }]);
    expect(((await workflowFailure(failed.runId)) as ApplicationFailure).type).toBe('step_failed');
  });

  it('fails at once, without retries, on an agent nobody registered', async () => {
    const project = uniqueProject('noagent');
    const definition = defineRun(project, [{ name: 'ghost', agentId: 'no-such-agent' }]);
    const failed = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    expect([failed.status, failed.error?.code, failed.error?.step]).toEqual(['failed', 'agent_not_found', 'ghost']);
    const history = await engine.client.workflow.getHandle(failed.runId).fetchHistory();
    const attempts = history.events?.filter((event) => event.activityTaskStartedEventAttributes).map((event) => event.activityTaskStartedEventAttributes?.attempt);
    expect(attempts).toEqual([1]);
  });

  it('finishes a run on a second worker after the first is shut down mid-step', async () => {
    const project = uniqueProject('restart');
    let calls = 0;
    engine.agents.register('long-step', {
      kind: 'function',
      run: (context, signal) =>
        new Promise((resolve, reject) => {
          calls += 1;
          // The first attempt outlives its worker; the retry on the second worker answers at once.
          const timer = setTimeout(() => resolve(`done after ${calls} attempts`), calls === 1 ? 60_000 : 10);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('worker shutting down'));
          });
        }),
    });
    const definition = defineRun(project, [{ name: 'long', agentId: 'long-step', retry: { attempts: 5, backoff: '200ms', backoffCoefficient: 1 } }, { name: 'after', agentId: 'echo' }]);
    const { runId } = await engine.runs.start({ project, definition, task: 't', state: {}, input: null });
    await eventually(async () => expect(calls).toBe(1));
    await engine.stack.stopWorker();
    await engine.stack.startWorker();
    const finished = await runResult(engine.client, runId);
    expect([finished.status, finished.result]).toEqual(['completed', 'done after 2 attempts']);
  });

  it('shows the static summary and Baton search attributes in describe()', async () => {
    const project = uniqueProject('describe');
    const definition = defineRun(project, [{ name: 'only', agentId: 'echo' }, { type: 'approval', name: 'ok', message: 'Fine?', options: ['yes'] }], { agent: 'desk-agent', name: 'Describe me' });
    const paused = await engine.runs.startAndWait({ project, definition, task: 'look', state: {}, input: 1, sessionId: 'ses-describe' });
    const description = await engine.client.workflow.getHandle(paused.runId).describe();
    expect(await description.staticSummary()).toBe(`Describe me (${definition.id}, agent desk-agent) · project ${project}`);
    const attributes = description.typedSearchAttributes;
    expect([attributes.get(projectKey), attributes.get(definitionIdKey), attributes.get(agentKey), attributes.get(sessionIdKey), attributes.get(statusKey), attributes.get(stepOrderKey)]).toEqual([
      project, definition.id, 'desk-agent', 'ses-describe', 'paused', 2,
    ]);
    expect(attributes.get(updatedAtKey)?.toISOString()).toBe(paused.updatedAt);
    const history = await engine.client.workflow.getHandle(paused.runId).fetchHistory();
    // echo is a function agent: its step is a local activity, whose marker carries the summary.
    const step = history.events?.find((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    const summary = step?.userMetadata?.summary?.data;
    expect(summary && Buffer.from(summary).toString()).toBe('"1/2 only · echo"');
    // The Web UI reads current details through the SDK's built-in metadata query.
    const metadata = await engine.client.workflow.getHandle(paused.runId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**Waiting for confirmation** on step `ok`');
    await engine.runs.cancel(project, paused.runId);
  });
});
