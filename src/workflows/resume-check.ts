// The resume Update's validator logic: pure and synchronous, so a rejected resume never reaches
// history. @cfworker/json-schema interprets schemas without code generation, which the workflow
// sandbox needs (no eval, deterministic).
import { inputSchemaValidator } from '../domain/input-schema.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { QuorumProgress } from '../domain/pending-action.ts';
import { hasAnswered } from '../domain/quorum.ts';
import type { RunSnapshot, RunStatus } from '../domain/run.ts';
import type { RunCaller } from './messages.ts';

export interface ResumeRejection {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface SchemaError {
  /** JSON pointer into the input, "#" for the input itself. */
  path: string;
  keyword: string;
  message: string;
}

/** Why `request` cannot resume `run` now, or null when it can. Checks run in the documented order. */
export function checkResume(
  run: Pick<RunSnapshot, 'project' | 'status' | 'pendingAction'>,
  request: unknown,
  caller: RunCaller | undefined,
): ResumeRejection | null {
  if (caller?.project !== undefined && caller.project !== run.project) return { code: 'run_not_found', message: 'run not found' };
  if (!isObject(request) || typeof request.step !== 'string' || request.step === '') {
    return { code: 'invalid_request', message: 'resume needs {step, input}' };
  }
  // The API checks these too; the Update has other clients (tctl, the Web UI), and the audit trail must hold only what it documents.
  if (request.comment !== undefined && !(typeof request.comment === 'string' && request.comment.length <= maxCommentChars)) {
    return { code: 'invalid_request', message: `comment must be text of at most ${maxCommentChars} characters` };
  }
  if (caller?.by !== undefined && !isActor(caller.by)) return { code: 'invalid_request', message: 'by must be {via: api|inbox|system, label: text or null}' };
  if (finishedStatuses.includes(run.status)) return { code: 'run_finished', message: `run is ${run.status}`, details: { status: run.status } };
  const pending = run.pendingAction;
  if (run.status !== 'paused' || !pending) return { code: 'run_not_paused', message: `run is ${run.status}, not paused`, details: { status: run.status } };
  if (request.step !== pending.step) {
    return { code: 'step_mismatch', message: `step "${pending.step}" is waiting, not "${request.step}"`, details: { expected: pending.step, received: request.step } };
  }
  if (pending.type === 'confirmation' && pending.quorum) {
    const refusal = quorumRejection(pending.quorum, caller?.by?.label ?? null);
    if (refusal) return refusal;
  }
  const input = request.input;
  if (input === undefined) return { code: 'invalid_resume_input', message: 'resume input is required' };
  switch (pending.type) {
    case 'confirmation':
    case 'tool_approval':
      return optionRejection(pending.options, input, pending.type === 'tool_approval');
    case 'input':
      return pending.schema ? schemaRejection(pending.schema, input) : null;
    case 'review':
      return null;
  }
}

// Spelled out rather than imported: the domain's run module pulls zod into the workflow bundle.
const finishedStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];
/** As resumeCommentSchema says. */
const maxCommentChars = 4000;
const actorVias: readonly unknown[] = ['api', 'inbox', 'system'];

function isActor(value: unknown): boolean {
  return isObject(value) && actorVias.includes(value.via) && (value.label === null || typeof value.label === 'string');
}

/** Who may answer a step with a quorum: people count by label (whichever way they answer), once each. */
function quorumRejection(quorum: QuorumProgress, label: string | null): ResumeRejection | null {
  if (label === null || label === '') {
    return {
      code: 'approver_label_required',
      message: `this step needs ${quorum.required} different people to approve and counts them by label: answer with an API key that has a label (key:project:label in BATON_API_KEYS), or as an inbox user with one`,
    };
  }
  if (quorum.approvers && !quorum.approvers.includes(label)) {
    return { code: 'not_an_approver', message: `"${label}" is not one of this step's approvers (${quorum.approvers.join(', ')})`, details: { label, approvers: quorum.approvers } };
  }
  if (hasAnswered(quorum, label)) {
    const earlier = quorum.answers.find((entry) => entry.by.label === label)!;
    return { code: 'already_answered', message: `"${label}" already answered this step ("${earlier.input}" at ${earlier.at}); each person counts once`, details: { label, input: earlier.input, at: earlier.at, remaining: quorum.remaining } };
  }
  return null;
}

function optionRejection(options: string[], input: unknown, allowsDecisionObject: boolean): ResumeRejection | null {
  if (typeof input === 'string' && options.includes(input)) return null;
  // tool_approval also takes {decision, arguments} so an operator can approve edited arguments.
  if (allowsDecisionObject && isObject(input) && typeof input.decision === 'string' && options.includes(input.decision)) return null;
  return { code: 'invalid_resume_input', message: `input must be one of: ${options.join(', ')}`, details: { options } };
}

function schemaRejection(schema: Record<string, unknown>, input: unknown): ResumeRejection | null {
  let result: ReturnType<ReturnType<typeof inputSchemaValidator>['validate']>;
  try {
    result = inputSchemaValidator(schema).validate(input);
  } catch (error) {
    // Schemas are checked when the step is added; one stored before that check must still answer, not throw.
    return { code: 'invalid_resume_input', message: `the step's schema cannot check this input: ${(error as Error).message.split('\n')[0]}` };
  }
  if (result.valid) return null;
  const errors: SchemaError[] = result.errors.map((error) => ({ path: error.instanceLocation, keyword: error.keyword, message: error.error }));
  return { code: 'invalid_resume_input', message: 'input does not match the step schema', details: { errors } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
