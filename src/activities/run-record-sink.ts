// The read model's write at a settle as a workflow sink instead of a local activity. The worker
// calls a sink after the workflow activation that made the call and awaits it before the
// activation's completion goes to Temporal, so a settle's answer (the Update's result, in that same
// completion) still reaches a caller only after its row is written. What it saves is the local
// activity's round trip: a scheduling command, an activity run, a marker event and one more
// activation of the workflow, twice per approval cycle.
//
// Sinks are not called while a worker replays history (a resumed run that left the cache does not
// write its old states again), not retried by Temporal and not in the run's history. A write that
// fails (or hangs: the pool has no query timeout) is retried here for up to 8 s, inside the
// workflow task's 10 s timeout; after that the row stays stale until the run's next settle (or a
// GET of the run) rewrites it whole, as after a local activity's last attempt. Session entries carried into a settle still go by the local activity: they must be
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

/** Pauses between attempts (the last one repeats). */
export const runRecordSinkRetryDelaysMs: readonly number[] = [100, 300, 1_000, 2_000];
/** How long a write may hold its activation, attempts and pauses together: under the workflow task's 10 s timeout. */
export const runRecordSinkBudgetMs = 8_000;

export interface RunRecordSinkOptions {
  onRunFailed?: RunFailedListener;
  /** Told when a write is given up (after its retries, or at once for a value the store refuses). */
  onWriteFailed?: (snapshot: RunSnapshot, error: unknown) => void;
  retryDelaysMs?: readonly number[];
  budgetMs?: number;
}

export function createRunRecordSinks(runs: RunRecordStore, options: RunRecordSinkOptions = {}): InjectedSinks<RunRecordSinks> {
  const delays = options.retryDelaysMs ?? runRecordSinkRetryDelaysMs;
  const budgetMs = options.budgetMs ?? runRecordSinkBudgetMs;
  return {
    readModel: {
      record: {
        async fn(_info, snapshot, notice) {
          const deadline = Date.now() + budgetMs;
          for (let attempt = 0; ; attempt++) {
            try {
              await beforeDeadline(writeRunRecord(runs, snapshot, notice, options.onRunFailed), deadline);
              return;
            } catch (error) {
              const pause = delays[Math.min(attempt, delays.length - 1)] ?? 0;
              // A value the store refuses stays refused: no point in trying again.
              if (refusedValueState(error) || Date.now() + pause >= deadline) {
                options.onWriteFailed?.(snapshot, error);
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, pause));
            }
          }
        },
        callDuringReplay: false,
      },
    },
  };
}

/** `write`, or a rejection once `deadline` (epoch ms) passes; the write itself may still land later (harmless: versioned). */
async function beforeDeadline(write: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the read model write did not answer in time')), Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([write, late]);
  } finally {
    clearTimeout(timer);
  }
}
