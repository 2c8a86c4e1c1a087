// Each patched() id costs a run a marker event and an upsert of the TemporalChangeVersion search
// attribute the first time it is checked. So a run checks one id, its engine revision, which stands
// for a set of changes; runs recorded before a revision still check the ids they recorded. A run
// whose starter names its revision (RunStart.engineRevision) checks none: the name is in its input,
// which every replay reads, so it needs no marker at all.
import { patched } from '@temporalio/workflow';
// Internal to the SDK: the patch markers the history being replayed holds (see useStartRevision).
import { getActivator } from '@temporalio/workflow/lib/global-attributes.js';

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

/** The revision a starter names in a new run's input: the newest this build knows. */
export const newestEngineRevision: string = engineRevisions[0]!.id;

// The revision the run's starter named, when this worker takes it (set by useStartRevision). Module
// state is the run's own: the SDK gives every workflow execution its own instance of this module.
let named: (typeof engineRevisions)[number] | undefined;

/**
 * Called first thing in the workflow, before any changeApplies: takes the revision the run's input
 * names, unless the run's first workflow task recorded a revision marker, which a worker that does
 * not read the name (an older one, or one that does not know that revision) records instead. That
 * marker is visible here (the SDK notifies the patches a replayed workflow task holds before the
 * workflow function runs), so a replay follows whichever way the run was first executed.
 */
export function useStartRevision(engineRevision: string | undefined): void {
  const revision = engineRevision === undefined ? undefined : engineRevisions.find((entry) => entry.id === engineRevision);
  const marked = recordedPatches();
  named = revision && !engineRevisions.some((entry) => marked.has(entry.id)) ? revision : undefined;
}

function recordedPatches(): ReadonlySet<string> {
  return (getActivator() as unknown as { knownPresentPatches: ReadonlySet<string> }).knownPresentPatches;
}

/** Whether the run takes `change`; call it where the change applies, as one would call patched(). */
export function changeApplies(change: EngineChange): boolean {
  if (named) return named.changes.includes(change);
  for (const revision of engineRevisions) if (revision.changes.includes(change) && patched(revision.id)) return true;
  return patched(change);
}
