// What a fork of a run starts with: the parent's definition snapshot (from its start), and from the
// parent's run as it stands the records, outputs and input of the steps before the fork's step.
import { BatonError } from '../domain/errors.ts';
import type { PendingAction } from '../domain/pending-action.ts';
import type { ForkedFrom, RunFork, RunSnapshot, RunStart, StepRecord } from '../domain/run.ts';
import type { Step } from '../domain/step.ts';
import { checkResume } from '../workflows/resume-check.ts';

export interface ForkRequest {
  /** The step's name; with `acceptStepIds`, its id (`st-…`) too. */
  fromStep: string;
  /** Wrapped, so null is an output too; absent: the step runs again. */
  output?: { value: unknown };
}

/**
 * The fork of `parent` (started as `parentStart`) at `request.fromStep`, or the documented refusal:
 * unknown_step (not in the parent's definition), step_not_reached (the parent never ran it nor
 * waits on it), invalid_fork_output (an output the step could not have answered).
 */
export function planFork(parentStart: RunStart, parent: RunSnapshot, request: ForkRequest, options: { acceptStepIds?: boolean } = {}): RunFork {
  const steps = parentStart.definition.steps;
  const step = steps.find((candidate) => candidate.name === request.fromStep) ?? (options.acceptStepIds ? steps.find((candidate) => candidate.id === request.fromStep) : undefined);
  if (!step) {
    throw new BatonError('unknown_step', `the run's workflow has no step ${JSON.stringify(request.fromStep)}`, { steps: [...steps].sort((a, b) => a.stepOrder - b.stepOrder).map((known) => known.name) });
  }
  const reached = reachedAt(parent, step.name);
  if (!reached) {
    throw new BatonError('step_not_reached', `the run has not reached step "${step.name}": fork from a step it ran or waits on`, { status: parent.status });
  }
  if (request.output) checkOutput(step, request.output.value);
  const copied: StepRecord[] = parent.steps.slice(0, reached.before).map((record) => ({ ...record, origin: 'copied' }));
  const outputs: RunFork['outputs'] = {};
  // As the parent saw them: a later record of the same step (a loop) replaces an earlier one.
  for (const record of copied) if (record.status === 'completed') outputs[record.name] = { output: record.output ?? null };
  const input = reached.record ? reached.record.input : (copied.at(-1)?.output ?? parentStart.input);
  return {
    runId: parent.runId,
    fromStep: step.name,
    steps: copied,
    outputs,
    input: input ?? null,
    ...(request.output ? { output: request.output } : {}),
  };
}

/**
 * Where the parent reached `name` last (a step run again by a `next` loop forks from its latest
 * run): its record and how many records came before it. A human step still waiting has no record
 * yet; it got the output of the last record (or the run's input when it is the first step).
 */
function reachedAt(parent: RunSnapshot, name: string): { record: StepRecord | null; before: number } | null {
  const last = parent.steps.at(-1);
  if (parent.status === 'paused' && parent.pendingAction?.step === name && !(last?.name === name && last.status === 'running')) {
    return { record: null, before: parent.steps.length };
  }
  for (let index = parent.steps.length - 1; index >= 0; index--) {
    if (parent.steps[index]!.name === name) return { record: parent.steps[index]!, before: index };
  }
  return null;
}

/** The checks a resume of the step would make: an approval's options, an input step's schema; an agent step takes any JSON. */
function checkOutput(step: Step, output: unknown): void {
  let pending: PendingAction;
  if (step.type === 'approval') pending = { step: step.name, type: 'confirmation', message: '', options: step.options };
  else if (step.type === 'input') pending = { step: step.name, type: 'input', message: '', ...(step.schema ? { schema: step.schema } : {}) };
  else return;
  const rejection = checkResume({ project: '', status: 'paused', pendingAction: pending }, { step: step.name, input: output }, undefined);
  if (rejection) throw new BatonError('invalid_fork_output', rejection.message.replace(/^input /, 'output '), rejection.details);
}

/**
 * An Idempotency-Key names one fork of a run: a retry that joined a fork made from another step is
 * a client bug (the key reused), not a retry, so it is refused rather than answered with that fork.
 */
export function assertSameFork(existing: ForkedFrom | undefined, fork: RunFork, idempotencyKey: string | undefined): void {
  if (existing === undefined || idempotencyKey === undefined || existing.step === fork.fromStep) return;
  throw new BatonError('conflict', `Idempotency-Key ${JSON.stringify(idempotencyKey)} already forked this run from step "${existing.step}"`, { forkedFrom: existing });
}
