// What the run shows outside its own state: search attributes for list/count, and the Web UI's
// current details while a human is asked something.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { PendingAction } from '../domain/pending-action.ts';
import type { RunSnapshot, RunStatus } from '../domain/run.ts';
import { statusKey, stepOrderKey, updatedAtKey } from './search-attribute-keys.ts';

export class RunPublisher {
  // RunService starts runs with these values set, so the first step start is the first change.
  private status: RunStatus = 'running';
  private stepOrder = 0;
  /**
   * Upsert only when the run pauses or ends: with the read model serving lists, the attributes are
   * for engineers in the Web UI, and each upsert is a history event and server work.
   */
  settlesOnly = false;

  /** Upserts BatonStatus / BatonStepOrder / BatonUpdatedAt when status or step changed (one history event each time). */
  publish(snapshot: RunSnapshot): void {
    if (this.settlesOnly && snapshot.status === 'running') return;
    if (snapshot.status === this.status && snapshot.currentStepOrder === this.stepOrder) return;
    this.status = snapshot.status;
    this.stepOrder = snapshot.currentStepOrder;
    upsertSearchAttributes([
      { key: statusKey, value: snapshot.status },
      { key: stepOrderKey, value: snapshot.currentStepOrder },
      { key: updatedAtKey, value: new Date(snapshot.updatedAt) },
    ]);
  }

  showPending(action: PendingAction): void {
    setCurrentDetails(describePendingAction(action));
  }

  clearPending(): void {
    setCurrentDetails('');
  }
}

/** Markdown for the Web UI: which step waits, for what, and how to answer. */
export function describePendingAction(action: PendingAction): string {
  const lines = [`**Waiting for ${action.type.replace('_', ' ')}** on step \`${action.step}\``, '', action.message];
  if (action.type === 'confirmation' || action.type === 'tool_approval') lines.push('', `Options: ${action.options.map((option) => `\`${option}\``).join(', ')}`);
  if (action.type === 'confirmation' && action.quorum) {
    const { required, option, remaining, answers } = action.quorum;
    lines.push('', `Needs ${required} people to answer \`${option}\`, ${remaining} more: ${answers.length ? answers.map((answer) => `${answer.by.label ?? '?'} answered \`${answer.input}\``).join(', ') : 'no answers yet'}`);
  }
  if (action.type === 'tool_approval') lines.push('', `Tool \`${action.tool.name}\` with \`${JSON.stringify(action.tool.arguments)}\``);
  if (action.type === 'review') lines.push('', `Proposed output: \`${JSON.stringify(action.proposedOutput)}\``);
  if (action.type === 'input' && action.schema) lines.push('', `Schema: \`${JSON.stringify(action.schema)}\``);
  return lines.join('\n');
}
