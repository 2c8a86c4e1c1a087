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
// workflow task's 10 s timeout; after that the worker keeps trying it in the background (for 15
// minutes, newest state per run, without holding any activation), so a run's last settle is not
// left stale in lists once the store is back. Until it lands, the run's next settle or a GET of the
// run rewrites the row whole. Session entries carried into a settle still go by the local
// activity: they must be stored or fail the run.
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

/** Pauses between background rounds for writes the sink handed over (the last one repeats). */
export const runRecordCatchUpDelaysMs: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000];
/** How long a handed-over write is tried in the background before it is given up. */
export const runRecordCatchUpForMs = 15 * 60_000;
/** Runs whose writes wait in the background at most; past it the oldest is given up. */
export const runRecordCatchUpMaxRuns = 10_000;

export interface RunRecordSinkOptions {
  onRunFailed?: RunFailedListener;
  /** Told when a write is given up for good (a value the store refuses, or still failing after its time in the background). */
  onWriteFailed?: (snapshot: RunSnapshot, error: unknown) => void;
  /** Told when a write failed through its 8 s and goes on in the background. */
  onWriteDeferred?: (snapshot: RunSnapshot, error: unknown) => void;
  /** Told when a write that went on in the background landed. */
  onCaughtUp?: (snapshot: RunSnapshot) => void;
  retryDelaysMs?: readonly number[];
  budgetMs?: number;
  catchUpDelaysMs?: readonly number[];
  catchUpForMs?: number;
  catchUpMaxRuns?: number;
}

export function createRunRecordSinks(runs: RunRecordStore, options: RunRecordSinkOptions = {}): InjectedSinks<RunRecordSinks> {
  const delays = options.retryDelaysMs ?? runRecordSinkRetryDelaysMs;
  const budgetMs = options.budgetMs ?? runRecordSinkBudgetMs;
  const catchUp = new RunRecordCatchUp(runs, options);
  return {
    readModel: {
      record: {
        async fn(_info, snapshot, notice) {
          const deadline = Date.now() + budgetMs;
          for (let attempt = 0; ; attempt++) {
            try {
              await beforeDeadline(writeRunRecord(runs, snapshot, notice, options.onRunFailed), deadline);
              catchUp.landed(snapshot);
              return;
            } catch (error) {
              const pause = delays[Math.min(attempt, delays.length - 1)] ?? 0;
              // A value the store refuses stays refused: no point in trying again.
              if (refusedValueState(error)) {
                options.onWriteFailed?.(snapshot, error);
                return;
              }
              if (Date.now() + pause >= deadline) {
                options.onWriteDeferred?.(snapshot, error);
                catchUp.add(snapshot, notice);
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

interface PendingWrite {
  snapshot: RunSnapshot;
  notice: RunNotice | null;
  giveUpAt: number;
}

/**
 * The writes the sink handed over, the newest state of each run, tried in rounds until each lands,
 * is refused, or its time is up. Held in this process only: a worker that stops drops them (each
 * run's next settle or GET still rewrites its row). Its timer never keeps the process alive.
 */
class RunRecordCatchUp {
  readonly #pending = new Map<string, PendingWrite>();
  readonly #runs: RunRecordStore;
  readonly #options: RunRecordSinkOptions;
  #timer: NodeJS.Timeout | undefined;
  #round = 0;

  constructor(runs: RunRecordStore, options: RunRecordSinkOptions) {
    this.#runs = runs;
    this.#options = options;
  }

  add(snapshot: RunSnapshot, notice: RunNotice | null): void {
    const key = keyOf(snapshot);
    const known = this.#pending.get(key);
    if (known && known.snapshot.version > snapshot.version) return;
    // Re-inserted: the map's order is the order in which runs last handed a write over.
    this.#pending.delete(key);
    this.#pending.set(key, { snapshot, notice, giveUpAt: Date.now() + (this.#options.catchUpForMs ?? runRecordCatchUpForMs) });
    const max = this.#options.catchUpMaxRuns ?? runRecordCatchUpMaxRuns;
    for (const [oldest, write] of this.#pending) {
      if (this.#pending.size <= max) break;
      this.#pending.delete(oldest);
      this.#options.onWriteFailed?.(write.snapshot, new Error(`more than ${max} runs wait for the read model`));
    }
    this.#schedule();
  }

  /** A newer (or the same) state of the run landed directly: an older one waiting here is moot. */
  landed(snapshot: RunSnapshot): void {
    const known = this.#pending.get(keyOf(snapshot));
    if (known && known.snapshot.version <= snapshot.version) this.#pending.delete(keyOf(snapshot));
  }

  #schedule(): void {
    if (this.#timer || this.#pending.size === 0) return;
    const delays = this.#options.catchUpDelaysMs ?? runRecordCatchUpDelaysMs;
    this.#timer = setTimeout(() => void this.#tryAll(), delays[Math.min(this.#round, delays.length - 1)] ?? 0);
    this.#timer.unref();
  }

  /**
   * One round. The first write that fails for any reason but a refused value ends the trying: the
   * store is still unavailable, and with no query timeout each further try could hold the round for
   * the whole budget (10,000 runs × 8 s). The rest wait for the next round; those past their time
   * are given up untried.
   */
  async #tryAll(): Promise<void> {
    let landedAny = false;
    let unavailable: { error: unknown } | undefined;
    for (const [key, write] of [...this.#pending]) {
      if (this.#pending.get(key) !== write) continue;
      if (unavailable) {
        if (Date.now() >= write.giveUpAt) this.#giveUp(key, write, unavailable.error);
        continue;
      }
      try {
        // A hung write (the pool has no query timeout) must not hold up the round past the budget.
        await beforeDeadline(writeRunRecord(this.#runs, write.snapshot, write.notice, this.#options.onRunFailed), Date.now() + (this.#options.budgetMs ?? runRecordSinkBudgetMs));
        if (this.#pending.get(key) === write) this.#pending.delete(key);
        landedAny = true;
        this.#options.onCaughtUp?.(write.snapshot);
      } catch (error) {
        if (this.#pending.get(key) !== write) continue;
        const refused = refusedValueState(error) !== null;
        if (refused || Date.now() >= write.giveUpAt) this.#giveUp(key, write, error);
        if (!refused) unavailable = { error };
      }
    }
    // The store answers again: the next round (if any is left) comes soon.
    this.#round = landedAny ? 0 : this.#round + 1;
    this.#timer = undefined;
    this.#schedule();
  }

  #giveUp(key: string, write: PendingWrite, error: unknown): void {
    this.#pending.delete(key);
    this.#options.onWriteFailed?.(write.snapshot, error);
  }
}

function keyOf(snapshot: RunSnapshot): string {
  return `${snapshot.project}\u0000${snapshot.runId}`;
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
