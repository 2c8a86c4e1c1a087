import { ApplicationFailure } from '@temporalio/common';
import type { RunSnapshot } from '../domain/run.ts';
import { refusedValueState } from '../store/sessions.ts';

/** The read model's write, as the activity needs it (src/store/runs.ts implements it). */
export interface RunRecordStore {
  record(snapshot: RunSnapshot): Promise<boolean>;
}

export function createRunRecordActivities(runs: RunRecordStore) {
  return {
    /** Writes the run's snapshot to the read model; an older or repeated version is a no-op. */
    async recordRun(snapshot: RunSnapshot): Promise<void> {
      try {
        await runs.record(snapshot);
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
