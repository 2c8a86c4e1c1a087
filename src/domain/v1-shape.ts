import type { AnswerRecord, RunSnapshot, RunSummary, StepRecord } from './run.ts';
import type { V1Answer, V1Run, V1RunListItem, V1Step } from './v1-api.ts';

/**
 * A human step (approval, input) waiting for its answer is described by `pendingAction`, not
 * listed in `steps`: the v1 specification's paused example lists only `classify`. Agent steps are listed
 * from the moment they start.
 */
function isUnansweredHumanStep(step: StepRecord): boolean {
  return step.type !== 'agent' && step.status === 'running';
}

// `?? null` keeps every documented key in the JSON even when the engine left a value undefined.
function toV1Step(step: StepRecord): V1Step {
  return { name: step.name, status: step.status, output: step.output ?? null, ...(step.origin ? { origin: step.origin } : {}) };
}

function toV1Answer(answer: AnswerRecord): V1Answer {
  return {
    step: answer.step,
    // The workflow records the pending action's own type, always one of these.
    type: answer.type as V1Answer['type'],
    input: answer.input ?? null,
    comment: answer.comment,
    answeredBy: answer.by,
    answeredAt: answer.at,
  };
}

/** The v1 body of a run: `{ output: { status, steps, result, pendingAction }, run_id }`. */
export function toV1Run(snapshot: RunSnapshot): V1Run {
  const output: V1Run['output'] = {
    status: snapshot.status,
    steps: snapshot.steps.filter((step) => !isUnansweredHumanStep(step)).map(toV1Step),
    result: snapshot.status === 'completed' ? (snapshot.result ?? null) : null,
    pendingAction: snapshot.status === 'paused' ? snapshot.pendingAction : null,
  };
  // Failed runs say why; a running one whose workflow task keeps failing, and a terminated one, too.
  if (snapshot.error) output.error = snapshot.error;
  // The audit trail, once there is one: until the first answer the body is exactly the specification's.
  if (snapshot.answers?.length) output.answers = snapshot.answers.map(toV1Answer);
  if (snapshot.forkedFrom) output.forkedFrom = snapshot.forkedFrom;
  return { output, run_id: snapshot.runId };
}

/** The v1 body of a run's GET: with the runs forked from it, which only the read model knows. */
export function toV1RunDetail(snapshot: RunSnapshot, forks: readonly string[]): V1Run {
  const body = toV1Run(snapshot);
  if (forks.length > 0) body.output.forks = [...forks];
  return body;
}

/** A list row, in the same snake case as `run_id`. */
export function toV1RunListItem(summary: RunSummary): V1RunListItem {
  return {
    run_id: summary.runId,
    status: summary.status,
    agent: summary.agent,
    definition_id: summary.definitionId,
    session_id: summary.sessionId,
    current_step_order: summary.currentStepOrder,
    created_at: summary.createdAt,
    updated_at: summary.updatedAt,
  };
}
