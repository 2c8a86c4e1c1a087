// N-of-M approvals: an approval step with a quorum resolves once `required` different people (by
// label) chose its counted option. Pure and free of zod: the workflow, the resume check and the
// definition checks all use it, so what the API accepts is what the engine runs.
import type { Actor } from './actor.ts';
import type { QuorumProgress } from './pending-action.ts';

/** An approval step's quorum as defined (step.ts holds its schema). */
export interface QuorumDefinition {
  required: number;
  approvers?: string[] | undefined;
  option?: string | undefined;
  otherAnswerEnds?: boolean | undefined;
}

/** The option that counts toward the quorum: the step's own choice, else `approve` when offered, else the first option. */
export function countedOption(options: readonly string[], quorum: Pick<QuorumDefinition, 'option'>): string {
  return quorum.option ?? (options.includes('approve') ? 'approve' : options[0]!);
}

/** Why a quorum cannot run with these options; empty when it can. */
export function quorumProblems(options: readonly string[], quorum: QuorumDefinition): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  if (quorum.option !== undefined && !options.includes(quorum.option)) {
    problems.push({ path: ['quorum', 'option'], message: `"${quorum.option}" is not one of the step's options (${options.join(', ')})` });
  }
  if (quorum.approvers) {
    if (quorum.required > quorum.approvers.length) {
      problems.push({ path: ['quorum', 'required'], message: `${quorum.required} approvals are required but only ${quorum.approvers.length} approvers are listed` });
    }
    const seen = new Set<string>();
    quorum.approvers.forEach((label, index) => {
      if (seen.has(label)) problems.push({ path: ['quorum', 'approvers', index], message: `"${label}" is listed twice` });
      seen.add(label);
    });
  }
  return problems;
}

/** The pending action's progress before anyone answered. */
export function initialProgress(options: readonly string[], quorum: QuorumDefinition): QuorumProgress {
  return {
    required: quorum.required,
    option: countedOption(options, quorum),
    otherAnswerEnds: quorum.otherAnswerEnds ?? true,
    ...(quorum.approvers ? { approvers: [...quorum.approvers] } : {}),
    answers: [],
    remaining: quorum.required,
  };
}

export type QuorumOutcome =
  /** The step ends with `output`: the counted option once the quorum is met, or the answer that ended it. */
  | { kind: 'resolved'; output: string }
  /** Still waiting: the progress with this answer in it. */
  | { kind: 'partial'; progress: QuorumProgress };

/** What one accepted answer (`input`, an option, from `by`, who has a label) does to the quorum. */
export function applyQuorumAnswer(progress: QuorumProgress, answer: { by: Actor; input: string; at: string }): QuorumOutcome {
  const answers = [...progress.answers, { by: answer.by, input: answer.input, at: answer.at }];
  const counted = answers.filter((entry) => entry.input === progress.option).length;
  const remaining = Math.max(0, progress.required - counted);
  if (remaining === 0) return { kind: 'resolved', output: progress.option };
  if (answer.input !== progress.option) {
    if (progress.otherAnswerEnds) return { kind: 'resolved', output: answer.input };
    // Listed approvers too few to still meet the quorum: waiting could only end in the pause timeout.
    if (progress.approvers && unanswered(progress.approvers, answers).length < remaining) return { kind: 'resolved', output: answer.input };
  }
  return { kind: 'partial', progress: { ...progress, answers, remaining } };
}

/** Whether `label` already answered: a person counts once, whichever way (API or inbox) they answered. */
export function hasAnswered(progress: Pick<QuorumProgress, 'answers'>, label: string): boolean {
  return progress.answers.some((entry) => entry.by.label === label);
}

function unanswered(approvers: readonly string[], answers: ReadonlyArray<{ by: Actor }>): string[] {
  return approvers.filter((label) => !answers.some((entry) => entry.by.label === label));
}
