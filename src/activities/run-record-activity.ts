import { ApplicationFailure } from '@temporalio/common';
import type { RunSnapshot } from '../domain/run.ts';
import type { CarriedSession } from '../domain/session-append.ts';
import type { RunNotice } from '../domain/webhook.ts';
import { refusedValueState } from '../store/sessions.ts';
import type { SessionMemory } from './session-memory.ts';

/** The read model's write, as the activity needs it (src/store/runs.ts implements it). */
export interface RunRecordStore {
  record(snapshot: RunSnapshot, notice?: RunNotice): Promise<boolean>;
}

/** A failed run's failure (its error names the step, code and message), once: when it lands. */
export type RunFailedListener = (snapshot: RunSnapshot) => void;

export function createRunRecordActivities(runs: RunRecordStore, onRunFailed?: RunFailedListener, sessions?: SessionMemory) {
  return {
    /**
     * Writes the run's snapshot to the read model; an older or repeated version is a no-op. A
     * `notice` is the webhook event the write announces instead of the status's (see RunNotice).
     * A `session` carries earlier answers' session entries, stored first (idempotent by (runId,
     * step)): an entry the store refuses fails as store_write_failed, any other failure is retried.
     */
    async recordRun(snapshot: RunSnapshot, notice?: RunNotice | null, session?: CarriedSession): Promise<void> {
      if (session) {
        if (!sessions) throw ApplicationFailure.create({ type: 'store_write_failed', nonRetryable: true, message: 'this worker has no session store for the carried session entries' });
        for (const entry of session.entries) {
          try {
            await sessions.append(session.project, session.sessionId, entry);
          } catch (error) {
            if (error instanceof Error && error.name === 'SessionWriteRefused') throw ApplicationFailure.create({ type: 'store_write_failed', nonRetryable: true, message: error.message });
            throw error;
          }
        }
      }
      try {
        await writeRunRecord(runs, snapshot, notice, onRunFailed);
      } catch (error) {
        const sqlState = refusedValueState(error);
        // A value the store refuses stays refused: no point in retrying it for a minute.
        if (sqlState) throw ApplicationFailure.create({ type: 'store_write_failed', nonRetryable: true, message: `the read model refused the run (SQLSTATE ${sqlState}): ${(error as Error).message}` });
        throw error;
      }
    },
  };
}

export type RunRecordActivities = ReturnType<typeof createRunRecordActivities>;

/** The read model's write, shared by the recordRun activity and the read-model sink. */
export async function writeRunRecord(runs: RunRecordStore, snapshot: RunSnapshot, notice: RunNotice | null | undefined, onRunFailed?: RunFailedListener): Promise<void> {
  // Only the write that lands tells: a retried activity or a replayed settle says nothing twice.
  if ((await runs.record(snapshot, notice ?? undefined)) && snapshot.status === 'failed') onRunFailed?.(snapshot);
}
