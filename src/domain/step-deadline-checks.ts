// Checks of a step's deadline actions (remindAfter, remindEvery, onTimeout) as a workflow is
// built, so every value the API accepts runs: an onTimeout answer passes the same check a human's
// resume does, and a goto names a step the workflow has.
import { checkResume } from '../workflows/resume-check.ts';
import type { PendingAction } from './pending-action.ts';
import type { Step } from './step.ts';

/** Whether the step pauses for a human: approval and input steps, and agent steps with requireApproval. */
export function asksHuman(step: Step): boolean {
  return step.type !== 'agent' || step.requireApproval;
}

/** Why the step's deadline actions cannot run in a workflow with steps named `stepNames`; empty when they can. */
export function deadlineProblems(step: Step, stepNames: ReadonlySet<string>): string[] {
  const fields = (['remindAfter', 'remindEvery', 'onTimeout'] as const).filter((field) => step[field] !== undefined);
  if (fields.length === 0) return [];
  if (!asksHuman(step)) return [`${fields.join(', ')} only apply to steps that pause for a human (approval, input, or an agent step with requireApproval)`];
  const onTimeout = step.onTimeout;
  if (onTimeout === undefined || onTimeout === 'fail') return [];
  if ('goto' in onTimeout) {
    return stepNames.has(onTimeout.goto) || onTimeout.goto === step.name ? [] : [`onTimeout.goto names no step of this workflow: ${JSON.stringify(onTimeout.goto)} (add that step first)`];
  }
  const rejection = checkResume({ project: '', status: 'paused', pendingAction: questionOf(step) }, { step: step.name, input: onTimeout.answer }, undefined);
  return rejection ? [`onTimeout.answer is not an answer this step accepts: ${rejection.message}`] : [];
}

/** The question the step asks, as far as an answer's check reads it. */
function questionOf(step: Step): PendingAction {
  switch (step.type) {
    case 'approval':
      return { step: step.name, type: 'confirmation', message: '', options: step.options };
    case 'input':
      return { step: step.name, type: 'input', message: '', ...(step.schema ? { schema: step.schema } : {}) };
    case 'agent':
      return { step: step.name, type: 'review', message: '', proposedOutput: null };
  }
}
