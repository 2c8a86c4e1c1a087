// The read model's write at a settle as a workflow sink instead of a local activity. The worker
// calls a sink after the workflow activation that made the call and awaits it before the
// activation's completion goes to Temporal, so a settle's answer (the Update's result, in that same
// completion) still reaches a caller only after its row is written. What it saves is the local
// activity's round trip: a scheduling command, an activity run, a marker event and one more
// activation of the workflow, twice per approval cycle.
//
// Sinks are not called while a worker replays history (a resumed run that left the cache does not
// write its old states again), not retried by Temporal and not in the run's history. A write that
// fails is retried here for a few seconds, inside the workflow task's 10 s timeout; after that the
// row stays stale until the run's next settle rewrites it whole, as after a local activity's last
// attempt. Session entries carried into a settle still go by the local activity: they must be
// stored or fail the run.
import type { InjectedSinks } from '@temporalio/worker';
import type { Sinks } from '@temporalio/workflow';
import type { RunSnapshot } from '../domain/run.ts';
import type { RunNotice } from '../domain/webhook.ts';
import { refusedValueState } from '../store/sessions.ts';
import { type RunFailedListener, type RunRecordStore, writeRunRecord } from './run-record-activity.ts';

export interface RunRecordSinks extends Sinks {
  readModel: {
    /** Writes the run as it stands; `notice` as recordRun's. */
    record(snapshot: RunSnapshot, notice: RunNotice | null): void;
  };
}

/** Pauses between attempts: five attempts in about 3.5 s, well inside a workflow task's timeout. */
export const runRecordSinkRetryDelaysMs: readonly number[] = [100, 300, 1_000, 2_000];

export interface RunRecordSinkOptions {
  onRunFailed?: RunFailedListener;
  /** Told when a write is given up (after its retries, or at once for a value the store refuses). */
  onWriteFailed?: (snapshot: RunSnapshot, error: unknown) => void;
  retryDelaysMs?: readonly number[];
}

export function createRunRecordSinks(runs: RunRecordStore, options: RunRecordSinkOptions = {}): InjectedSinks<RunRecordSinks> {
  const delays = options.retryDelaysMs ?? runRecordSinkRetryDelaysMs;
  return {
    readModel: {
      record: {
        async fn(_info, snapshot, notice) {
          for (let attempt = 0; ; attempt++) {
            try {
              await writeRunRecord(runs, snapshot, notice, options.onRunFailed);
              return;
            } catch (error) {
              // A value the store refuses stays refused: no point in trying again.
              if (refusedValueState(error) || attempt >= delays.length) {
                options.onWriteFailed?.(snapshot, error);
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
            }
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
