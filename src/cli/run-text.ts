import type { PendingAction, QuorumProgress } from '../domain/pending-action.ts';
import type { V1Answer, V1Run, V1RunList } from '../domain/v1-api.ts';

// How `baton runs` shows runs to a person; `--json` prints the API's answer instead. Messages,
// outputs and arguments come from tenants' runs, so control characters are never written as is.

const stepOutputChars = 80;
const listQuestionChars = 60;
const blockChars = 2_000;

const spacing = new Set(['\t', '\n', '\r']);

/** Drops terminal control characters (escape sequences included); keeps line breaks when asked. */
function printable(text: string, keepLines = false): string {
  return text.replace(/\p{Cc}/gu, (char) => (keepLines && char === '\n' ? char : spacing.has(char) ? ' ' : ''));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A value on one line: strings as they are, anything else as compact JSON. */
export function oneLine(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return truncate(printable(text).replace(/ {2,}/g, ' ').trim(), max);
}

/** A value as an indented block: pretty JSON, cut after blockChars. */
function block(value: unknown, indent: string): string {
  const text = typeof value === 'string' ? printable(value, true) : (JSON.stringify(value, null, 2) ?? String(value));
  const cut = text.length > blockChars ? `${text.slice(0, blockChars)}\n… (cut; --json shows all of it)` : text;
  return cut.split('\n').map((line) => `${indent}${line}`).join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

/** The question with its options, if it has some: `message [option|option]`. */
function question(action: PendingAction): string {
  const options = action.type === 'confirmation' || action.type === 'tool_approval' ? ` [${action.options.join('|')}]` : '';
  return `${action.message}${options}`;
}

/** What a paused run asks, in a table cell: `step: message [option|option]`, cut to fit. */
export function questionSummary(action: PendingAction): string {
  return oneLine(`${action.step}: ${question(action)}`, listQuestionChars);
}

/** `baton runs list`: one row per run; `questions` holds what each paused run shown asks. */
export function formatRunList(page: V1RunList, questions: ReadonlyMap<string, string>): string {
  const rows = [['RUN', 'STATUS', 'AGENT', 'STEP', 'UPDATED', 'ASKS'], ...page.data.map((run) => [
    run.run_id, run.status, run.agent ?? '-', String(run.current_step_order), run.updated_at, questions.get(run.run_id) ?? '',
  ])];
  const lines = table(rows);
  if (page.data.length === 0) lines.push('(no runs)');
  if (page.next_cursor) lines.push(`next page: --cursor ${page.next_cursor}`);
  return lines.join('\n');
}

/** The pending action of a paused run: the question, what the answer may be, and how to give it. */
export function formatPendingAction(runId: string, action: PendingAction): string[] {
  const lines = [`Waiting at step ${action.step} (${action.type}):`, block(action.message, '  ')];
  switch (action.type) {
    case 'confirmation':
      lines.push(`  Options: ${action.options.map((option) => printable(option)).join(', ')}`);
      if (action.quorum) lines.push(...formatQuorum(action.quorum));
      break;
    case 'tool_approval':
      lines.push(
        `  Tool: ${printable(action.tool.name)}`, '  Arguments:', block(action.tool.arguments, '    '),
        `  Options: ${action.options.map((option) => printable(option)).join(', ')} (or {"decision": "approve", "arguments": {...}} to run it with edited arguments)`,
      );
      break;
    case 'review':
      lines.push('  Proposed output (send it back unchanged to accept it, or send a replacement):', block(action.proposedOutput, '    '));
      break;
    case 'input':
      if (action.schema) lines.push('  The answer must match this JSON Schema:', block(action.schema, '    '));
      break;
  }
  if (action.expiresAt !== undefined) lines.push(action.expiresAt === null ? '  Deadline: none (waits until answered)' : `  Deadline: ${action.expiresAt} (then the step's onTimeout applies)`);
  if (action.reminders !== undefined) lines.push(`  Reminded: ${action.reminders} time${action.reminders === 1 ? '' : 's'}, last at ${action.remindedAt ?? '?'}`);
  lines.push(`  Answer with: baton runs resume ${runId} --step ${printable(action.step)} --input ${exampleAnswer(action)}`);
  return lines;
}

/** An approval step's quorum: what counts, who may answer, who has, how many are still needed. */
function formatQuorum(quorum: QuorumProgress): string[] {
  const who = quorum.approvers ? `of ${quorum.approvers.map((label) => printable(label)).join(', ')}` : 'people (by API key label)';
  const lines = [`  Needs ${quorum.required} different ${who} to answer ${printable(quorum.option)}; ${quorum.otherAnswerEnds ? 'another option ends the step at once' : 'other options only count as that person\'s answer'}`];
  for (const answer of quorum.answers) lines.push(`    ${answeredBy(answer.by)}: ${printable(answer.input)} at ${answer.at}`);
  lines.push(`  Still needed: ${quorum.remaining}`);
  return lines;
}

/** A quorum's progress on one line: `1 of 2 approve (alice); 1 more needed`. */
function quorumSummary(quorum: QuorumProgress): string {
  const counted = quorum.answers.filter((answer) => answer.input === quorum.option).map((answer) => printable(answer.by.label ?? '?'));
  return `${counted.length} of ${quorum.required} ${printable(quorum.option)}${counted.length ? ` (${counted.join(', ')})` : ''}; ${quorum.remaining} more needed`;
}

/** A ready-to-paste `--input` for the action: its first option, the proposed output as it is, or a placeholder. */
function exampleAnswer(action: PendingAction): string {
  const quoted = (text: string) => `'${printable(text).replaceAll('\'', '\'\\\'\'')}'`;
  if ((action.type === 'confirmation' || action.type === 'tool_approval') && action.options[0] !== undefined) return quoted(action.options[0]);
  const proposed = action.type === 'review' ? JSON.stringify(action.proposedOutput) : undefined;
  return proposed !== undefined && proposed.length <= 200 ? quoted(proposed) : '<JSON or text>';
}

/** Who answered, for a person: the label (the API key's), and through what. */
function answeredBy(by: V1Answer['answeredBy']): string {
  return by.label === null ? `${by.via} (no label)` : `${printable(by.label)} (${by.via})`;
}

/** The audit trail: each answer with its step, who gave it and when, then the comment if there is one. */
export function formatAnswers(answers: readonly V1Answer[]): string[] {
  const lines = ['Answers:'];
  answers.forEach((answer, index) => {
    lines.push(`  ${index + 1}. ${printable(answer.step)} (${answer.type}): ${oneLine(answer.input, stepOutputChars)}`);
    lines.push(`     by ${answeredBy(answer.answeredBy)} at ${answer.answeredAt}`);
    if (answer.comment !== null) lines.push('     Comment:', block(answer.comment, '       '));
  });
  return lines;
}

/** `baton runs get`: status, steps, the answers given, then the result, the error or the question the run waits on. */
export function formatRun(run: V1Run): string {
  const { output } = run;
  const lines = [`Run     ${run.run_id}`, `Status  ${output.status}`];
  if (output.forkedFrom) lines.push(`Forked  from ${printable(output.forkedFrom.runId)} at step ${printable(output.forkedFrom.step)}`);
  if (output.forks?.length) lines.push(`Forks   ${output.forks.map((id) => printable(id)).join(', ')}`);
  if (output.error) lines.push(`Error   ${oneLine(`${output.error.code}: ${output.error.message}`, 500)}${output.error.step ? ` (step ${output.error.step})` : ''}`);
  lines.push('', output.steps.length === 0 ? 'Steps: none yet' : 'Steps:');
  if (output.steps.length > 0) {
    lines.push(...table(output.steps.map((step, index) => [
      `  ${index + 1}.`, printable(step.name), step.origin ? `${step.status} (${step.origin})` : step.status, step.output === undefined || step.output === null ? '' : oneLine(step.output, stepOutputChars),
    ])));
  }
  if (output.answers?.length) lines.push('', ...formatAnswers(output.answers));
  if (output.status === 'completed') lines.push('', 'Result:', block(output.result, '  '));
  if (output.pendingAction) lines.push('', ...formatPendingAction(run.run_id, output.pendingAction));
  return lines.join('\n');
}

/** Where a run is, on one line: its status and what it asks, why it failed, or its result. */
export function runState(run: V1Run): string {
  const { output } = run;
  let state: string = output.status;
  if (output.pendingAction) {
    state += ` at step ${printable(output.pendingAction.step)}: ${oneLine(question(output.pendingAction), 120)}`;
    if (output.pendingAction.type === 'confirmation' && output.pendingAction.quorum) state += ` — ${quorumSummary(output.pendingAction.quorum)}`;
  }
  else if (output.error) state += `: ${oneLine(`${output.error.code}: ${output.error.message}`, 200)}`;
  else if (output.status === 'completed') state += `, result ${oneLine(output.result, 120)}`;
  return state;
}

/** After a resume or cancel: one line saying what was done and where the run is now. */
export function formatOutcome(done: string, run: V1Run): string {
  return `${done}; now ${runState(run)}`;
}

/** `baton runs watch`: one line per change, with the time it arrived. */
export function formatRunEvent(run: V1Run, at: Date): string {
  return `${at.toISOString()}  ${printable(run.run_id)}  ${runState(run)}`;
}
