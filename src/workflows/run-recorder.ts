// Writes the run to the store's read model (lists, counts, inbox, live events, webhooks) at start
// and at each settle, inside the workflow task that reached the settle: through the worker's
// read-model sink (see src/activities/run-record-sink.ts), or as a local activity when session
// entries ride with the write or the run started before the sink.
import { isCancellation, log, proxyLocalActivities, proxySinks } from '@temporalio/workflow';
import type { Activities, RunRecordSinks } from '../activities/index.ts';
import type { RunSnapshot } from '../domain/run.ts';
import type { RunNotice } from '../domain/webhook.ts';
import { changeApplies, type EngineChange } from './engine-revision.ts';
import type { RunState } from './run-state.ts';
import { SessionCarry } from './session-carry.ts';

/** patched() id: the run records itself in the read model, and search attributes change only at settles. */
export const runReadModelPatch = 'run-read-model' satisfies EngineChange;

const { recordRun } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  // About a minute of a store that is down; then the run goes on and the next settle writes again.
  retry: { initialInterval: '200ms', maximumInterval: '10s', maximumAttempts: 10 },
  summary: 'read model',
});

const { readModel } = proxySinks<RunRecordSinks>();

/** patched() id: a settle's write without carried session entries goes through the read-model sink. */
export const readModelSinkChange = 'read-model-sink' satisfies EngineChange;

export class RunRecorder {
  /** False when replaying a run recorded before the read model: it never wrote one. */
  readonly enabled: boolean;
  /** Session entries waiting for the run's next activity; null without the read model (nothing to carry them). */
  readonly carry: SessionCarry | null;
  /** Whether writes go through the sink: decided once, at the run's start, so its history stays one kind. */
  private readonly viaSink: boolean;

  constructor(project: string, sessionId: string) {
    this.enabled = changeApplies(runReadModelPatch);
    this.carry = this.enabled ? new SessionCarry(project, sessionId) : null;
    this.viaSink = this.enabled && changeApplies(readModelSinkChange);
  }

  /**
   * Records the run as it stands; settled waiters are answered only once this returns. A `notice`
   * makes the write announce that webhook event instead of the status's. Without one the activity
   * gets the one argument it always had, so recorded histories replay unchanged. Session entries
   * that wait are stored by the same write, first; if they cannot be, they are stored on their own
   * and a store that cannot take them fails the run (RunFailure store_write_failed).
   */
  async record(run: RunState, notice?: RunNotice): Promise<void> {
    if (!this.enabled) return;
    const version = run.snapshot.version;
    const carried = this.carry?.pending();
    if (this.viaSink && !carried) {
      // The worker writes it before this activation's completion (and any settle answered in it)
      // leaves. A copy: the SDK keeps the arguments until the activation ends, and the run may
      // change again before that (a start's write, then its first step).
      readModel.record(JSON.parse(JSON.stringify(run.snapshot)) as RunSnapshot, notice ?? null);
      run.recorded(version);
      return;
    }
    try {
      if (carried) await recordRun(run.snapshot, notice ?? null, carried);
      else await (notice === undefined ? recordRun(run.snapshot) : recordRun(run.snapshot, notice));
      if (carried) this.carry!.stored(carried);
    } catch (error) {
      if (isCancellation(error)) throw error;
      if (carried) {
        // Whichever write failed, the entries go first; then the run's own write once more.
        await this.carry!.flush('session');
        return await this.record(run, notice);
      }
      // A stale row is better than a run held back by its projection: the next settle rewrites it whole.
      log.warn('the run read model could not be written; it catches up at the next settle', { runId: run.snapshot.runId, version, error: error instanceof Error ? error.message : String(error) });
    }
    run.recorded(version);
  }
}
