// Writes the run to the store's read model (lists, counts, inbox, live events, webhooks) at start
// and at each settle, as a local activity: it runs inside the workflow task that reached the
// settle, so a run pays a store write there and no extra workflow task.
import { isCancellation, log, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { RunNotice } from '../domain/webhook.ts';
import { changeApplies, type EngineChange } from './engine-revision.ts';
import type { RunState } from './run-state.ts';

/** patched() id: the run records itself in the read model, and search attributes change only at settles. */
export const runReadModelPatch = 'run-read-model' satisfies EngineChange;

const { recordRun } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  // About a minute of a store that is down; then the run goes on and the next settle writes again.
  retry: { initialInterval: '200ms', maximumInterval: '10s', maximumAttempts: 10 },
  summary: 'read model',
});

export class RunRecorder {
  /** False when replaying a run recorded before the read model: it never wrote one. */
  readonly enabled: boolean;

  constructor() {
    this.enabled = changeApplies(runReadModelPatch);
  }

  /**
   * Records the run as it stands; settled waiters are answered only once this returns. A `notice`
   * makes the webhook event of a still-paused run that notice rather than `run.paused`.
   */
  async record(run: RunState, notice?: RunNotice): Promise<void> {
    if (!this.enabled) return;
    const version = run.snapshot.version;
    try {
      // Runs without a notice schedule exactly the arguments they always did.
      await (notice ? recordRun(run.snapshot, notice) : recordRun(run.snapshot));
    } catch (error) {
      if (isCancellation(error)) throw error;
      // A stale row is better than a run held back by its projection: the next settle rewrites it whole.
      log.warn('the run read model could not be written; it catches up at the next settle', { runId: run.snapshot.runId, version, error: error instanceof Error ? error.message : String(error) });
    }
    run.recorded(version);
  }
}
