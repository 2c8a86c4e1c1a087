// Each patched() id costs a run a marker event and an upsert of the TemporalChangeVersion search
// attribute the first time it is checked. So a new run checks one id, its engine revision, which
// stands for a set of changes; runs recorded before a revision still check the ids they recorded.
import { patched } from '@temporalio/workflow';

/** The patched() ids of workflow changes (each keeps its own id: older histories recorded it). */
export type EngineChange =
  | 'session-append-local-activity'
  | 'session-append-bounded-retry'
  | 'run-read-model'
  | 'function-agent-local-activity'
  // A human step's deadline actions: reminders, onTimeout answer/goto, the deadline in the pending action.
  | 'human-step-deadline'
  // Approval steps with a quorum: several people answer before the step resolves.
  | 'approval-quorum'
  // A run forked from another run's step: starts at that step with the earlier outputs copied.
  | 'run-fork'
  // A session entry after a human answer rides with the run's next activity (agent step or settle).
  | 'session-append-carried'
  // A settle's read-model write without carried session entries goes through a sink, not a local activity.
  | 'read-model-sink';

/**
 * Engine revisions, newest first: a run that recorded a revision has every change it lists. A new
 * change gets its id above and a new revision at the top listing it and every earlier change.
 */
export const engineRevisions: ReadonlyArray<{ id: string; changes: readonly EngineChange[] }> = [
  {
    id: 'engine-revision-4',
    changes: ['session-append-local-activity', 'session-append-bounded-retry', 'run-read-model', 'function-agent-local-activity', 'human-step-deadline', 'approval-quorum', 'run-fork', 'session-append-carried', 'read-model-sink'],
  },
  {
    id: 'engine-revision-3',
    changes: ['session-append-local-activity', 'session-append-bounded-retry', 'run-read-model', 'function-agent-local-activity', 'human-step-deadline', 'approval-quorum', 'run-fork', 'session-append-carried'],
  },
  {
    id: 'engine-revision-2',
    changes: ['session-append-local-activity', 'session-append-bounded-retry', 'run-read-model', 'function-agent-local-activity', 'human-step-deadline', 'approval-quorum', 'run-fork'],
  },
  { id: 'engine-revision-1', changes: ['session-append-local-activity', 'session-append-bounded-retry', 'run-read-model', 'function-agent-local-activity'] },
];

/** Whether the run takes `change`; call it where the change applies, as one would call patched(). */
export function changeApplies(change: EngineChange): boolean {
  for (const revision of engineRevisions) if (revision.changes.includes(change) && patched(revision.id)) return true;
  return patched(change);
}
