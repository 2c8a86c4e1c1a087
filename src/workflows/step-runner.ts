// Runs one step of a run: an agent step as an activity, a human step as a pause on the resume
// Update with a deadline (condition(pred, timeout), as in samples-typescript expense).
import { ActivityFailure, ApplicationFailure, condition, isCancellation, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities, AgentStepRequest, AgentStepResult } from '../activities/index.ts';
import type { SessionEntry } from '../domain/agent.ts';
import type { CarriedSession } from '../domain/session-append.ts';
import type { PendingAction } from '../domain/pending-action.ts';
import type { RunStart, StepRecord } from '../domain/run.ts';
import type { AgentStep, ApprovalStep, InputStep, OnTimeout, Step } from '../domain/step.ts';
import { maxDurationMs, temporalMs } from '../domain/duration-ms.ts';
import { initialProgress } from '../domain/quorum.ts';
import { renderTemplate } from '../domain/template.ts';
import { changeApplies, type EngineChange } from './engine-revision.ts';
import { runLlmAgentLoop, toolApprovalDecision } from './llm-agent-loop.ts';
import type { RunPublisher } from './run-publisher.ts';
import type { RunRecorder } from './run-recorder.ts';
import { checkResume } from './resume-check.ts';
import { RunFailure } from './run-failure.ts';
import type { RunState } from './run-state.ts';
import { type SessionCarry, sessionAppendFailedType } from './session-carry.ts';

export { RunFailure };

// Codes an activity failure may carry through to snapshot.error; anything else is step_failed.
const passThroughCodes = new Set(['agent_not_found', 'model_unavailable', 'secret_not_granted', 'egress_refused', 'store_write_failed']);
// Agent, model and tool registrations, secret grants and the operator's egress allow-list do not
// change by retrying; a value the store refuses stays refused.
const nonRetryableTypes = ['agent_not_found', 'tool_not_registered', 'secret_not_granted', 'egress_refused', 'store_write_failed'];
// Short enough that a dead worker's step is retried elsewhere quickly; activities beat every second.
const agentHeartbeatTimeout = '10s';
const defaultStepTimeoutMs = 600_000;
const defaultRetry = { attempts: 3, backoff: 1000, backoffCoefficient: 2 } as const;
// About five minutes of a store that is down (1s doubling to 1m); then the run fails rather than hangs.
const sessionAppendAttempts = 10;
/** patched() id: the session append after a human decision runs as a local activity. */
export const sessionAppendLocalPatch = 'session-append-local-activity' satisfies EngineChange;
/** patched() id: the session append retries a bounded number of times, then fails the run with store_write_failed. */
export const sessionAppendBoundedPatch = 'session-append-bounded-retry' satisfies EngineChange;
/** patched() id: an approval step with a quorum waits for several people's answers. */
export const approvalQuorumPatch = 'approval-quorum' satisfies EngineChange;
/** patched() id: an agent step whose agent the starter saw as a function agent runs as a local activity. */
export const functionAgentLocalPatch = 'function-agent-local-activity' satisfies EngineChange;

/** patched() id: a session entry after a human answer rides with the next activity instead of its own. */
export const sessionAppendCarriedChange = 'session-append-carried' satisfies EngineChange;

/** patched() id: reminders, onTimeout answer/goto and the deadline actions of a human step. */
export const humanStepDeadlineChange = 'human-step-deadline' satisfies EngineChange;
/** The most run.reminder events one pause sends, however short its remindEvery. */
export const maxRemindersPerPause = 100;

interface DeadlinePlan {
  /** After how long the first reminder goes out; null: none. */
  firstMs: number | null;
  /** The period of the reminders after the first; null: none. */
  everyMs: number | null;
  onTimeout: 'fail' | Exclude<OnTimeout, 'fail'>;
}

/** Thrown past the step when its onTimeout goes to another step; the interpreter carries on there. */
export class StepEscalation extends Error {
  readonly step: string;
  constructor(step: string) {
    super(`escalated to step "${step}"`);
    this.name = 'StepEscalation';
    this.step = step;
  }
}

export class StepRunner {
  private readonly start: RunStart;
  private readonly run: RunState;
  private readonly publisher: RunPublisher;
  private readonly recorder: RunRecorder;
  private readonly total: number;
  /** Whether this run has asked for anything to be written to its session (an agent step, an answer). */
  private sessionWritten = false;

  constructor(start: RunStart, run: RunState, publisher: RunPublisher, recorder: RunRecorder, total: number) {
    this.start = start;
    this.run = run;
    this.publisher = publisher;
    this.recorder = recorder;
    this.total = total;
  }

  /**
   * Runs `step` (at 1-based `position` of the ordered steps) on `input`; resolves with its output.
   * Not async, like the other pass-throughs here: each promise a workflow creates costs worker CPU
   * per step, and far more with stack traces on (the SDK then captures a stack for every one).
   */
  execute(step: Step, position: number, input: unknown): Promise<unknown> {
    return step.type === 'agent' ? this.agentStep(step, position, input) : this.humanStep(step, position, input);
  }

  private async agentStep(step: AgentStep, position: number, input: unknown): Promise<unknown> {
    const record = this.run.startStep(step, input);
    this.publisher.publish(this.run.snapshot);
    let output: unknown;
    try {
      const request = this.agentRequest(step, input);
      const result = await this.runAgent(step, agentActivityOptions(step, `${position}/${this.total} ${step.name} · ${step.agentId}`), request);
      output = result.kind === 'output' ? result.output : await this.llmLoop(step, position, request, result, record);
    } catch (error) {
      const failure = isCancellation(error) ? null : stepFailure(error, step);
      if (!failure) throw error;
      this.run.failStep(record);
      throw failure;
    }
    if (!step.requireApproval) {
      this.run.completeStep(record, output);
      return output;
    }
    const message = `Review the answer of agent "${step.agentId}" for step "${step.name}": accept it as it is or send a replacement.`;
    const reviewed = await this.waitForHuman(step, { step: step.name, type: 'review', message, proposedOutput: output }, input, record);
    const appending = this.recordInSession(step, position, input, reviewed, step.agentId);
    if (appending) await appending;
    return reviewed;
  }

  /**
   * A function agent (quick code in the worker, as the starter saw it) runs as a local activity: in
   * the workflow task that reached the step, so no activity task and no extra workflow task. Other
   * agents, and runs started before the patch, use a regular activity.
   */
  private async runAgent(step: AgentStep, options: ActivityOptions, request: AgentStepRequest): Promise<Exclude<AgentStepResult, { kind: 'remote' }>> {
    if (this.start.agentKinds?.[step.agentId] === 'function' && changeApplies(functionAgentLocalPatch)) {
      // Same attempts, backoff and per-attempt timeout; backoffs past a minute become workflow timers.
      const { startToCloseTimeout, retry, summary } = options;
      const local = await this.carrying(request, (carried) => proxyLocalActivities<Activities>({ startToCloseTimeout, retry, summary }).runAgentStep({ ...carried, localOnly: true }));
      if (local.kind !== 'remote') return local;
    }
    const result = await this.carrying(request, (carried) => proxyActivities<Activities>(options).runAgentStep(carried));
    if (result.kind === 'remote') throw new RunFailure('step_failed', `agent "${step.agentId}" answered as a local activity would`, step.name);
    return result;
  }

  /**
   * Runs the step's activity with the session entries waiting to be stored (none: the request as it
   * always was), which it stores before the agent reads the transcript. When it could not store
   * them, they are stored on their own and the activity runs again without them.
   */
  private carrying(request: AgentStepRequest, run: (request: AgentStepRequest) => Promise<AgentStepResult>): Promise<AgentStepResult> {
    const carry = this.recorder.carry;
    const carried = carry?.pending();
    return carry && carried ? this.runCarrying(request, run, carry, carried) : run(request);
  }

  private async runCarrying(request: AgentStepRequest, run: (request: AgentStepRequest) => Promise<AgentStepResult>, carry: SessionCarry, carried: CarriedSession): Promise<AgentStepResult> {
    try {
      const result = await run({ ...request, carriedSession: carried });
      carry.stored(carried);
      return result;
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      if (!(cause instanceof ApplicationFailure && cause.type === sessionAppendFailedType)) throw error;
    }
    await carry.flush(`${request.step} · session`);
    return await run(request);
  }

  private async humanStep(step: ApprovalStep | InputStep, position: number, input: unknown): Promise<unknown> {
    const message = renderTemplate(step.message, { task: this.start.task, state: this.start.state, input, steps: this.run.outputs });
    const action: PendingAction =
      step.type === 'approval'
        ? { step: step.name, type: 'confirmation', message, options: step.options, ...(step.quorum && changeApplies(approvalQuorumPatch) ? { quorum: initialProgress(step.options, step.quorum) } : {}) }
        : { step: step.name, type: 'input', message, ...(step.schema ? { schema: step.schema } : {}) };
    const answer = await this.waitForHuman(step, action, input, null);
    const appending = this.recordInSession(step, position, input, answer, null);
    if (appending) await appending;
    return answer;
  }

  /**
   * Pauses until the resume Update answers; when the pause timeout passes first, the step's
   * onTimeout applies (by default the run fails with pause_timeout). Reminders, an onTimeout other
   * than 'fail', and the goto that escalates are the human-step-deadline change: a step that uses
   * none of them schedules exactly the commands it always did.
   */
  async waitForHuman(step: Step, action: PendingAction, input: unknown, record: StepRecord | null, answersStep = true): Promise<unknown> {
    const timeout = step.pauseTimeout ?? this.start.definition.pauseTimeout ?? this.start.defaultPauseTimeout;
    // Workflow time, so the deadline shown is the one the timer keeps (and replays the same).
    const pausedAt = Date.now();
    const shownMs = timeout === 'never' ? null : temporalMs(timeout);
    if (timeout === 'never' || shownMs !== null) action.expiresAt = shownMs === null ? null : new Date(pausedAt + shownMs).toISOString();
    const plan = this.deadlinePlan(step, answersStep);
    this.run.pause(step, action, input, record, answersStep);
    this.publisher.publish(this.run.snapshot);
    this.publisher.showPending(action);
    try {
      await this.recorder.record(this.run);
    } catch (error) {
      // Carried session entries could not be stored: the run fails instead of pausing.
      if (error instanceof RunFailure) this.publisher.clearPending();
      throw error;
    }
    const timeoutMs = timeout === 'never' ? null : durationOf(timeout, step, 'pauseTimeout');
    const quorum = action.type === 'confirmation' && action.quorum !== undefined;
    if (!quorum && (plan === null || !changeApplies(humanStepDeadlineChange))) {
      const answered = timeoutMs === null ? await condition(() => this.run.answered).then(() => true) : await condition(() => this.run.answered, timeoutMs);
      this.publisher.clearPending();
      if (!answered) throw new RunFailure('pause_timeout', `step "${step.name}" was not answered within its pause timeout (${String(timeout)})`, step.name);
      this.publisher.publish(this.run.snapshot);
      return this.run.takeAnswer();
    }
    const deadlinePlan = plan !== null && changeApplies(humanStepDeadlineChange) ? plan : null;
    const answered = await this.waitForAnswer(deadlinePlan, timeoutMs === null ? null : pausedAt + timeoutMs);
    this.publisher.clearPending();
    if (!answered) this.applyOnTimeout(step, deadlinePlan?.onTimeout ?? 'fail', String(timeout));
    this.publisher.publish(this.run.snapshot);
    return this.run.takeAnswer();
  }

  /** The step's reminders and timeout action (step, then definition, then project); null when it uses none. */
  private deadlinePlan(step: Step, answersStep: boolean): DeadlinePlan | null {
    const { definition } = this.start;
    const remindAfter = step.remindAfter ?? definition.remindAfter ?? this.start.defaultRemindAfter;
    const remindEvery = step.remindEvery ?? definition.remindEvery ?? this.start.defaultRemindEvery;
    // A question asked inside a step (an llm tool approval) is not the step's own: an answer meant
    // for the step cannot answer it, so there its timeout fails the run, or escalates.
    const onTimeout = step.onTimeout === undefined || step.onTimeout === 'fail' || (!answersStep && 'answer' in step.onTimeout) ? 'fail' : step.onTimeout;
    // remindEvery alone reminds first after one period.
    const firstMs = remindAfter === 'never' ? null : remindAfter !== undefined ? durationOf(remindAfter, step, 'remindAfter') : remindEvery !== undefined && remindEvery !== 'never' ? durationOf(remindEvery, step, 'remindEvery') : null;
    const everyMs = firstMs === null || remindEvery === undefined || remindEvery === 'never' ? null : durationOf(remindEvery, step, 'remindEvery');
    if (firstMs === null && onTimeout === 'fail') return null;
    return { firstMs, everyMs, onTimeout };
  }

  /**
   * Waits for the answer until `deadline` (workflow ms; null: none), reminding as `plan` says (null:
   * no reminders); resolves with whether it came. An answer toward a quorum that leaves it unmet is
   * recorded (`run.answered`), so waiters on it, lists, the inbox and webhooks see the progress.
   */
  private async waitForAnswer(plan: DeadlinePlan | null, deadline: number | null): Promise<boolean> {
    let reminders = 0;
    let nextReminder = plan?.firstMs == null ? null : Date.now() + plan.firstMs;
    for (;;) {
      // A reminder due at or after the deadline is not sent: the deadline speaks for itself.
      if (nextReminder !== null && deadline !== null && nextReminder >= deadline) nextReminder = null;
      const wakeAt = nextReminder ?? deadline;
      const seen = this.run.progress;
      const moved = () => this.run.answered || this.run.progress !== seen;
      const woke = wakeAt === null ? await condition(moved).then(() => true) : await condition(moved, Math.max(1, wakeAt - Date.now()));
      if (this.run.answered) return true;
      if (woke) {
        this.publisher.showPending(this.run.snapshot.pendingAction!);
        await this.recorder.record(this.run, 'run.answered');
        continue;
      }
      if (nextReminder === null || (deadline !== null && Date.now() >= deadline)) return false;
      reminders += 1;
      this.run.remind(reminders);
      await this.recorder.record(this.run, 'run.reminder');
      // Bounded, so a long wait with a short period cannot grow the history without end.
      nextReminder = plan!.everyMs === null || reminders >= maxRemindersPerPause ? null : nextReminder + plan!.everyMs;
      if (this.run.answered) return true;
    }
  }

  /** The pause timeout passed: fail the run, answer for the human, or go on at another step. */
  private applyOnTimeout(step: Step, onTimeout: DeadlinePlan['onTimeout'], timeout: string): void {
    if (onTimeout === 'fail') throw new RunFailure('pause_timeout', `step "${step.name}" was not answered within its pause timeout (${timeout})`, step.name);
    const by = { via: 'system', label: null } as const;
    if ('goto' in onTimeout) {
      if (!this.start.definition.steps.some((candidate) => candidate.name === onTimeout.goto)) {
        throw new RunFailure('invalid_definition', `step "${step.name}" timed out and its onTimeout goes to "${onTimeout.goto}", which is not a step of this definition`, step.name);
      }
      this.run.escalate(onTimeout.goto, by, `not answered within the pause timeout (${timeout}); onTimeout went on at step "${onTimeout.goto}"`);
      throw new StepEscalation(onTimeout.goto);
    }
    const request = { step: this.run.snapshot.pendingAction?.step ?? step.name, input: onTimeout.answer, comment: `not answered within the pause timeout (${timeout}); answered with the step's onTimeout default` };
    // The check a human's answer passes; the API checked it too, so this refuses only a value stored
    // before that check. The default decides the step outright: a quorum counts people, not Baton.
    const pending = this.run.snapshot.pendingAction;
    const asked = pending?.type === 'confirmation' && pending.quorum ? { ...this.run.snapshot, pendingAction: withoutQuorum(pending) } : this.run.snapshot;
    const rejection = checkResume(asked, request, { by });
    if (rejection) throw new RunFailure('invalid_definition', `step "${step.name}" timed out and its onTimeout answer cannot answer it: ${rejection.message}`, step.name);
    this.run.resume(request, { by }, { decides: true });
  }

  /** An llm agent's tool loop, here in the workflow: each model and tool call is a recorded activity. */
  private async llmLoop(step: AgentStep, position: number, request: AgentStepRequest, result: Extract<AgentStepResult, { kind: 'llm' }>, record: StepRecord): Promise<unknown> {
    const label = `${position}/${this.total} ${step.name} · ${step.agentId}`;
    const model = proxyActivities<Activities>(agentActivityOptions(step, `${label} (model)`));
    const tools = proxyActivities<Activities>(agentActivityOptions(step, `${label} (tool)`));
    const { agentId: _agentId, recordSession, ...fields } = request;
    const loop = await runLlmAgentLoop(
      { agentId: step.agentId, config: result.config, context: { ...fields, session: result.session } },
      {
        callModel: (call) => model.callModel(call),
        callTool: (call) => tools.callTool(call),
        // A tool approval pauses inside the step: the answer decides the call, it is not the step's output.
        askToolApproval: async (action) => toolApprovalDecision(await this.waitForHuman(step, action, request.input, record, false)),
      },
    );
    if (recordSession) await this.recordInSession(step, position, request.input, loop.output, step.agentId);
    return loop.output;
  }

  private agentRequest(step: AgentStep, input: unknown): AgentStepRequest {
    // Only the activity's argument changes, which replay does not compare: no engine change.
    const emptyTranscript = this.start.newSession === true && !this.sessionWritten;
    this.sessionWritten = true;
    return {
      runId: this.start.runId,
      project: this.start.project,
      step: step.name,
      task: this.start.task,
      state: this.start.state,
      input,
      action: step.action,
      steps: { ...this.run.outputs },
      sessionId: this.start.sessionId,
      agentId: step.agentId,
      // A reviewed answer is recorded once the human has decided (recordInSession).
      recordSession: !step.requireApproval,
      ...(emptyTranscript ? { emptyTranscript } : {}),
    };
  }

  /**
   * Appends a human-decided output to the session transcript; idempotent by (runId, step). Returns
   * nothing when the entry is carried by the run's next activity (no promise, see execute), else the
   * append's local activity.
   */
  private recordInSession(step: Step, position: number, input: unknown, output: unknown, agentId: string | null): Promise<void> | undefined {
    const entry = { runId: this.start.runId, step: step.name, agentId, input: input ?? null, output: output ?? null, at: new Date().toISOString() };
    this.sessionWritten = true;
    // Carried by the next agent step or the settle's read-model write: one local activity fewer.
    const carry = this.recorder.carry;
    if (carry && changeApplies(sessionAppendCarriedChange)) {
      carry.add(entry);
      return undefined;
    }
    return this.appendSession(step, position, entry);
  }

  private async appendSession(step: Step, position: number, entry: SessionEntry): Promise<void> {
    const retry = { initialInterval: '1s', maximumInterval: '1m' } as const;
    // Unbounded retries let a write the store can never take keep a run `running` for ever; the
    // bound only adds fields to the scheduling command, so recorded histories replay unchanged.
    const bounded = changeApplies(sessionAppendBoundedPatch);
    const options = {
      startToCloseTimeout: '30s',
      retry: bounded ? { ...retry, maximumAttempts: sessionAppendAttempts, nonRetryableErrorTypes: nonRetryableTypes } : retry,
      summary: `${position}/${this.total} ${step.name} · session`,
    } as const;
    // A short idempotent store write: as a local activity it runs inside the workflow task that
    // resumed the run, saving an activity and a workflow-task dispatch (~25 ms of the resume leg).
    // Runs recorded before the patch replay with the regular activity they scheduled.
    const { appendSessionEntry } = changeApplies(sessionAppendLocalPatch) ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
    try {
      await appendSessionEntry({ project: this.start.project, sessionId: this.start.sessionId, entry });
    } catch (error) {
      if (isCancellation(error) || !bounded) throw error;
      const cause = error instanceof ActivityFailure ? error.cause : error;
      throw new RunFailure('store_write_failed', `the session entry of step "${step.name}" could not be stored: ${cause instanceof Error ? cause.message : String(cause)}`, step.name);
    }
  }
}

function withoutQuorum(action: Extract<PendingAction, { type: 'confirmation' }>): PendingAction {
  const { quorum: _quorum, ...asked } = action;
  return asked;
}

/** A step's retry and timeout become the activity's options; the summary names it in the Web UI. */
export function agentActivityOptions(step: AgentStep, summary: string): ActivityOptions {
  const retry = step.retry ?? defaultRetry;
  const backoff = durationOf(retry.backoff, step, 'retry.backoff');
  return {
    startToCloseTimeout: step.timeout === undefined ? defaultStepTimeoutMs : durationOf(step.timeout, step, 'timeout'),
    heartbeatTimeout: agentHeartbeatTimeout,
    retry: {
      maximumAttempts: retry.attempts,
      initialInterval: backoff,
      // The server's default cap is 100 × the backoff, which past ~2.9 years overflows its clock
      // (a workflow task that fails for ever); cap it there instead. Shorter backoffs keep the default.
      ...(backoff * 100 > maxDurationMs ? { maximumInterval: maxDurationMs } : {}),
      backoffCoefficient: retry.backoffCoefficient,
      nonRetryableErrorTypes: nonRetryableTypes,
    },
    summary,
  };
}

/**
 * Milliseconds for Temporal. The API only accepts durations this reads; a value it cannot read
 * (stored before that check) fails the run instead of failing every workflow task. Every duration
 * that ran before maps to the same milliseconds, so the scheduled commands are unchanged.
 */
function durationOf(duration: unknown, step: Step, field: string): number {
  const ms = temporalMs(duration);
  if (ms === null) throw new RunFailure('invalid_definition', `step "${step.name}" has ${field} ${JSON.stringify(duration)}, which is not a duration`, step.name);
  return ms;
}

/** The run's error for a step that failed after its retries; null for anything unrecognised (a bug: rethrown). */
function stepFailure(error: unknown, step: Step): RunFailure | null {
  if (error instanceof RunFailure) return error;
  if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure)) return null;
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type && passThroughCodes.has(cause.type)) return new RunFailure(cause.type, cause.message, step.name);
  return new RunFailure('step_failed', cause?.message ?? error.message, step.name);
}
