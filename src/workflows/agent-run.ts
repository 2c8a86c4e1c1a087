// The agentRun workflow: interprets the definition snapshot in its input, step by step.
import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { nextStepIndex, resolveNext } from '../domain/branching.ts';
import type { ResumeRequest, RunSnapshot, RunStart } from '../domain/run.ts';
import type { Step } from '../domain/step.ts';
import { resumeAndSettleUpdate, resumeUpdate, settledUpdate, snapshotQuery, type ResumeAndSettleCaller, type RunCaller, type SettledRequest } from './messages.ts';
import { changeApplies, useStartRevision } from './engine-revision.ts';
import { RunPublisher } from './run-publisher.ts';
import { RunRecorder } from './run-recorder.ts';
import { RunState } from './run-state.ts';
import { RunFailure, StepEscalation, StepRunner } from './step-runner.ts';

// `next` may loop back; a bound keeps a mistaken loop from growing history without end.
export const maxStepExecutions = 1_000;

export async function agentRun(start: RunStart): Promise<RunSnapshot> {
  useStartRevision(start.engineRevision);
  const run = new RunState(start, start.createdAt ?? workflowInfo().startTime.toISOString());
  const publisher = new RunPublisher();
  const recorder = new RunRecorder(start.project, start.sessionId);
  run.awaitsRecord = recorder.enabled;
  publisher.settlesOnly = recorder.enabled;
  setHandler(snapshotQuery, () => run.snapshot);
  setHandler(resumeUpdate, (request: ResumeRequest, caller?: RunCaller) => run.resume(request, caller), { validator: (request: ResumeRequest, caller?: RunCaller) => run.validateResume(request, caller) });
  setHandler(settledUpdate, (request: SettledRequest) => run.settled(request), { validator: (request: SettledRequest) => run.validateSettled(request) });
  // A new handler adds no command: recorded histories replay unchanged.
  setHandler(resumeAndSettleUpdate, (request: ResumeRequest, caller?: ResumeAndSettleCaller) => run.resumeAndSettle(request, caller), {
    validator: (request: ResumeRequest, caller?: ResumeAndSettleCaller) => run.validateResumeAndSettle(request, caller),
  });

  try {
    // Listed from its first moment, before any step runs, unless its starter lists it (RunService does).
    if (!start.startRecorded) await recorder.record(run);
    run.complete(await interpret(start, run, publisher, recorder));
  } catch (error) {
    if (isCancellation(error)) {
      // Bookkeeping must outlive the cancellation it records; then Temporal shows the run Canceled.
      await CancellationScope.nonCancellable(async () => {
        run.cancel();
        publisher.publish(run.snapshot);
        await recorder.record(run).catch((failure: unknown) => {
          if (!(failure instanceof RunFailure)) throw failure;
          // The run is cancelled either way; its last answer's session entry is lost, so say so.
          log.error('a cancelled run could not store its last session entry', { runId: run.snapshot.runId, error: failure.message });
          return recorder.record(run);
        });
        await condition(allHandlersFinished);
      });
      throw error;
    }
    if (!(error instanceof RunFailure)) throw error;
    run.fail({ code: error.code, message: error.message, step: error.step });
  }
  publisher.publish(run.snapshot);
  await CancellationScope.nonCancellable(async () => {
    try {
      await recorder.record(run);
    } catch (error) {
      // A session entry carried into this last write could not be stored: the run fails as it did
      // when the entry was stored before the run went on.
      if (!(error instanceof RunFailure)) throw error;
      if (run.snapshot.status === 'failed') log.error('a failed run could not store its last session entry', { runId: run.snapshot.runId, error: error.message });
      else run.fail({ code: error.code, message: error.message, step: error.step });
      publisher.publish(run.snapshot);
      await recorder.record(run);
    }
  });
  // Settled waiters answer with the final snapshot before the workflow closes.
  if (!allHandlersFinished()) await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  const failure = run.snapshot.error;
  if (failure) throw ApplicationFailure.create({ type: failure.code, message: failure.message, details: [failure], nonRetryable: true });
  return run.snapshot;
}

/**
 * Runs steps from the first in stepOrder, each on the previous one's output; resolves with the result.
 * A forked run starts at its fork's step instead, with the parent's earlier outputs in place.
 */
async function interpret(start: RunStart, run: RunState, publisher: RunPublisher, recorder: RunRecorder): Promise<unknown> {
  const steps = orderSteps(start.definition.steps);
  const runner = new StepRunner(start, run, publisher, recorder, steps.length);
  let input = start.input;
  let index = 0;
  // Checked only for a fork, so plain runs record no marker for it.
  const fork = start.fork && changeApplies('run-fork') ? start.fork : undefined;
  if (fork) {
    index = steps.findIndex((step) => step.name === fork.fromStep);
    if (index === -1) throw new RunFailure('invalid_definition', `the fork's step "${fork.fromStep}" is not a step of this definition`, fork.fromStep);
    Object.assign(run.outputs, fork.outputs);
    input = fork.input;
    if (fork.output) {
      // The given output ends the step as an answer would: its `next` decides where the run goes.
      const step = steps[index]!;
      const output = fork.output.value;
      run.givenStep(step, input, output);
      const next = route(steps, index, step, output);
      if (next.kind === 'end') return output;
      index = next.index;
      input = output;
    }
  }
  for (let executed = 1; index < steps.length; executed++) {
    const step = steps[index]!;
    if (executed > maxStepExecutions) throw new RunFailure('step_failed', `more than ${maxStepExecutions} step executions: check the definition's next loops`, step.name);
    let output: unknown;
    try {
      output = await runner.execute(step, index + 1, input);
    } catch (error) {
      if (!(error instanceof StepEscalation)) throw error;
      // The step timed out and escalates: the target step gets what the timed-out step was given.
      const target = nextStepIndex(steps, index, { kind: 'goto', step: error.step });
      if (target.kind !== 'step') throw new RunFailure('invalid_definition', `step "${step.name}" escalates to "${error.step}", which is not a step of this definition`, step.name);
      index = target.index;
      continue;
    }
    const next = route(steps, index, step, output);
    if (next.kind === 'end') return output;
    index = next.index;
    input = output;
  }
  // No steps: the input passes through as the result.
  return input;
}

/** Where the run goes after `step` answered `output`: the next step's index, or the end; a failure throws. */
function route(steps: readonly Step[], index: number, step: Step, output: unknown): { kind: 'end' } | { kind: 'step'; index: number } {
  const next = nextStepIndex(steps, index, resolveNext(step.next, output));
  switch (next.kind) {
    case 'end':
    case 'step':
      return next;
    case 'fail':
      throw new RunFailure('branch_failed', `step "${step.name}" answered "${next.value}", which ends the run as failed`, step.name);
    case 'unknown_step':
      throw new RunFailure('invalid_definition', `step "${step.name}" branches to "${next.step}", which is not a step of this definition`, step.name);
  }
}

function orderSteps(steps: readonly Step[]): Step[] {
  return [...steps].sort((a, b) => a.stepOrder - b.stepOrder);
}
