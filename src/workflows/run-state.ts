// The run as the workflow holds it. Message handlers are one-liners over this class (samples-typescript
// safe-message-handlers style); the interpreter in agent-run.ts drives the state changes.
import { ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import type { PendingAction } from '../domain/pending-action.ts';
import { initialSnapshot } from '../domain/initial-snapshot.ts';
import type { Actor, ResumeRequest, RunError, RunSnapshot, RunStart, RunStatus, StepRecord } from '../domain/run.ts';
import { applyQuorumAnswer } from '../domain/quorum.ts';
import type { Step } from '../domain/step.ts';
import type { ResumeAndSettleCaller, RunCaller, SettledRequest } from './messages.ts';
import { checkResume, type ResumeRejection } from './resume-check.ts';

const settledStatuses: readonly RunStatus[] = ['paused', 'completed', 'failed', 'cancelled'];
const finishedStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

interface PendingStep {
  step: Step;
  input: unknown;
  startedAt: string;
  /** The agent's record when a requireApproval step waits for review; human steps get one once answered. */
  record: StepRecord | null;
  /** False for a question asked inside a step (an llm tool approval): the answer is not the step's output. */
  answersStep: boolean;
}

export class RunState {
  readonly snapshot: RunSnapshot;
  /** Outputs by step name, as agents and templates see them (`steps.<name>.output`). */
  readonly outputs: Record<string, { output: unknown }> = {};
  private pending: PendingStep | null = null;
  private answer: { output: unknown } | null = null;
  /**
   * Set when the run writes the read model: a settle is then answered only once it is recorded,
   * so a client that saw it reads it back from lists and counts.
   */
  awaitsRecord = false;
  private recordedVersion = -1;
  private partialAnswers = 0;

  constructor(start: RunStart, createdAt: string) {
    this.snapshot = initialSnapshot(start, createdAt);
  }

  get finished(): boolean {
    return finishedStatuses.includes(this.snapshot.status);
  }

  /** An agent step starts: it is listed from now on, with status running. */
  startStep(step: Step, input: unknown): StepRecord {
    const record: StepRecord = {
      name: step.name,
      stepOrder: step.stepOrder,
      type: step.type,
      agentId: step.type === 'agent' ? step.agentId : null,
      status: 'running',
      input,
      output: null,
      startedAt: now(),
      completedAt: null,
    };
    this.snapshot.steps.push(record);
    this.snapshot.currentStepOrder = step.stepOrder;
    this.touch();
    return record;
  }

  completeStep(record: StepRecord, output: unknown): void {
    this.closeRecord(record, 'completed', output);
    this.outputs[record.name] = { output };
    this.touch();
  }

  /** A forked run's step whose output the fork request gave: listed as completed with it, never run. */
  givenStep(step: Step, input: unknown, output: unknown): void {
    const at = now();
    this.snapshot.steps.push({
      name: step.name,
      stepOrder: step.stepOrder,
      type: step.type,
      agentId: step.type === 'agent' ? step.agentId : null,
      status: 'completed',
      input,
      output: output ?? null,
      startedAt: at,
      completedAt: at,
      origin: 'given',
    });
    this.outputs[step.name] = { output };
    this.snapshot.currentStepOrder = step.stepOrder;
    this.touch();
  }

  failStep(record: StepRecord): void {
    this.closeRecord(record, 'failed', null);
    this.touch();
  }

  /** A human is asked; the step shows up in `steps` only once answered (or given up on). */
  pause(step: Step, action: PendingAction, input: unknown, record: StepRecord | null, answersStep = true): void {
    this.pending = { step, input, startedAt: record?.startedAt ?? now(), record, answersStep };
    this.answer = null;
    this.snapshot.pendingAction = action;
    this.snapshot.currentStepOrder = step.stepOrder;
    this.snapshot.status = 'paused';
    this.touch();
  }

  /** The waiting human is reminded (the `count`th time this pause): the pending action says so. */
  remind(count: number): void {
    const action = this.snapshot.pendingAction;
    if (!action) return;
    action.reminders = count;
    // The same stamp as the version's: it tells a reminder's snapshot apart (see eventTypeOf).
    action.remindedAt = now();
    this.touch(action.remindedAt);
  }

  /**
   * The pause timed out and the step's onTimeout goes on at step `goto`: the step ends as failed,
   * the audit trail says why (by Baton itself), and the run is running again.
   */
  escalate(goto: string, by: Actor, comment: string): void {
    const pending = this.pending;
    const action = this.snapshot.pendingAction;
    if (!pending || !action) return;
    (this.snapshot.answers ??= []).push({ step: action.step, type: action.type, by, at: now(), input: { goto }, comment });
    const record = pending.record ?? this.humanRecord(pending);
    this.closeRecord(record, 'failed', null);
    this.pending = null;
    this.snapshot.pendingAction = null;
    this.snapshot.status = 'running';
    this.touch();
  }

  validateResume(request: ResumeRequest, caller?: RunCaller): void {
    rejectWith(checkResume(this.snapshot, request, caller));
  }

  /**
   * Applies an accepted resume at once, so the update returns the run as it is right after it; the
   * answer joins the audit trail (who from the caller, when in workflow time) in the same version.
   * An answer toward a quorum that is not yet met leaves the run paused with the progress in its
   * pending action (see `progress`); `decides` (a timeout's default answer) resolves the step whatever its quorum.
   */
  resume(request: ResumeRequest, caller?: RunCaller, options: { decides?: boolean } = {}): RunSnapshot {
    const pending = this.pending;
    const action = this.snapshot.pendingAction;
    if (!pending || !action) throw ApplicationFailure.create({ type: 'run_not_paused', message: 'run is not paused' });
    // A caller without `by` (a client of the Update other than the API) is an anonymous API caller.
    const by = caller?.by ?? { via: 'api' as const, label: null };
    const at = now();
    // The constructor starts the trail; the snapshot type leaves it optional for snapshots read from older runs.
    (this.snapshot.answers ??= []).push({
      step: action.step,
      type: action.type,
      by,
      at,
      input: request.input ?? null,
      comment: typeof request.comment === 'string' ? request.comment : null,
    });
    let output = request.input;
    if (action.type === 'confirmation' && action.quorum && !options.decides) {
      const outcome = applyQuorumAnswer(action.quorum, { by, input: request.input as string, at });
      if (outcome.kind === 'partial') {
        this.snapshot.pendingAction = { ...action, quorum: outcome.progress };
        this.partialAnswers += 1;
        this.touch(at);
        return this.snapshot;
      }
      output = outcome.output;
    }
    if (pending.answersStep) {
      const record = pending.record ?? this.humanRecord(pending);
      this.closeRecord(record, 'completed', output);
      this.outputs[record.name] = { output };
    }
    this.answer = { output };
    this.pending = null;
    this.snapshot.pendingAction = null;
    this.snapshot.status = 'running';
    this.touch();
    return this.snapshot;
  }

  validateResumeAndSettle(request: ResumeRequest, caller?: ResumeAndSettleCaller): void {
    this.validateResume(request, caller);
    this.validateSettled({ ...(caller?.waitMs !== undefined ? { waitMs: caller.waitMs } : {}) });
  }

  /** Applies the answer as resume does, then answers at the next settle past it (as settled does). */
  async resumeAndSettle(request: ResumeRequest, caller?: ResumeAndSettleCaller): Promise<RunSnapshot> {
    const { waitMs, ...resumeCaller } = caller ?? {};
    // resume returns the live snapshot: its version must be read now, before the run moves on.
    const applied = this.resume(request, resumeCaller);
    // A partial quorum answer is itself the settle (still paused): wait only for it to be recorded.
    const afterVersion = applied.status === 'paused' ? applied.version - 1 : applied.version;
    return await this.settled({ afterVersion, ...(waitMs !== undefined ? { waitMs } : {}) });
  }

  /** The read model holds the run at `version` (or gave up on it: see RunRecorder). */
  recorded(version: number): void {
    this.recordedVersion = Math.max(this.recordedVersion, version);
  }

  /** Counts answers toward a quorum that left the step waiting: the step runner records each. */
  get progress(): number {
    return this.partialAnswers;
  }

  get answered(): boolean {
    return this.answer !== null;
  }

  /** The answer the interpreter continues with; consumed once. */
  takeAnswer(): unknown {
    const answer = this.answer;
    this.answer = null;
    return answer?.output;
  }

  complete(result: unknown): void {
    this.snapshot.result = result ?? null;
    this.finish('completed');
  }

  fail(error: RunError): void {
    this.closeOpenSteps('failed');
    // A run that failed after its result (its last session entry could not be stored) has none.
    this.snapshot.result = null;
    this.snapshot.error = error;
    this.finish('failed');
  }

  cancel(): void {
    this.closeOpenSteps('cancelled');
    this.finish('cancelled');
  }

  validateSettled(request: SettledRequest): void {
    if (request.project !== undefined && request.project !== this.snapshot.project) rejectWith({ code: 'run_not_found', message: 'run not found' });
    if (request.waitMs !== undefined && !(Number.isFinite(request.waitMs) && request.waitMs >= 0)) {
      rejectWith({ code: 'invalid_request', message: 'waitMs must be a non-negative number of milliseconds' });
    }
  }

  /** Resolves once the run is settled past `afterVersion`, or after `waitMs` with the run as it stands. */
  async settled(request: SettledRequest): Promise<RunSnapshot> {
    const done = () =>
      settledStatuses.includes(this.snapshot.status) &&
      (request.afterVersion === undefined || this.snapshot.version > request.afterVersion || this.finished) &&
      (!this.awaitsRecord || this.recordedVersion >= this.snapshot.version);
    // Not cancellable: a waiter on a cancelled run gets the `cancelled` snapshot, not a failure.
    if (!done() && request.waitMs !== 0) {
      const waitMs = request.waitMs;
      await CancellationScope.nonCancellable((): Promise<unknown> => (waitMs === undefined ? condition(done) : condition(done, waitMs)));
    }
    return this.snapshot;
  }

  private finish(status: RunStatus): void {
    this.pending = null;
    this.snapshot.pendingAction = null;
    this.snapshot.status = status;
    this.touch();
  }

  /** The waiting step (if any) and running agent steps end with the run, so the list is honest. */
  private closeOpenSteps(status: 'failed' | 'cancelled'): void {
    if (this.pending && !this.pending.record) this.humanRecord(this.pending);
    for (const record of this.snapshot.steps) if (record.status === 'running') this.closeRecord(record, status, null);
  }

  private humanRecord(pending: PendingStep): StepRecord {
    const record: StepRecord = {
      name: pending.step.name,
      stepOrder: pending.step.stepOrder,
      type: pending.step.type,
      agentId: null,
      status: 'running',
      input: pending.input,
      output: null,
      startedAt: pending.startedAt,
      completedAt: null,
    };
    this.snapshot.steps.push(record);
    return record;
  }

  private closeRecord(record: StepRecord, status: StepRecord['status'], output: unknown): void {
    record.status = status;
    record.output = output ?? null;
    record.completedAt = now();
  }

  /** A new version at `at` (workflow time: one value per activation, so stamps taken in it agree). */
  private touch(at = now()): void {
    this.snapshot.version += 1;
    this.snapshot.updatedAt = at;
  }
}

function rejectWith(rejection: ResumeRejection | null): void {
  if (!rejection) return;
  throw ApplicationFailure.create({ type: rejection.code, message: rejection.message, details: rejection.details === undefined ? [] : [rejection.details], nonRetryable: true });
}

/** Workflow time: deterministic on replay. */
function now(): string {
  return new Date().toISOString();
}
