// A human answer's session entry no longer costs a local activity of its own (one more workflow
// activation on the resume leg): it rides with the run's next activity, the next agent step's
// runAgentStep or the settle's recordRun, which stores it before its own work. An entry leaves
// the carry only once an activity that carried it succeeded; if carrying fails, the entry is stored
// the way it was before (appendSeparately), and a store that cannot take it fails the run.
import { ActivityFailure, isCancellation, proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { SessionEntry } from '../domain/agent.ts';
import type { CarriedSession } from '../domain/session-append.ts';
import { RunFailure } from './run-failure.ts';

export { sessionAppendFailedType } from '../domain/session-append.ts';

// As the separate append since session-append-bounded-retry: about five minutes of a store that is down.
const appendOptions: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['store_write_failed'] },
};

export class SessionCarry {
  private readonly project: string;
  private readonly sessionId: string;
  private entries: SessionEntry[] = [];

  constructor(project: string, sessionId: string) {
    this.project = project;
    this.sessionId = sessionId;
  }

  add(entry: SessionEntry): void {
    this.entries.push(entry);
  }

  /** What the next activity should store first; undefined when nothing waits. */
  pending(): CarriedSession | undefined {
    return this.entries.length === 0 ? undefined : { project: this.project, sessionId: this.sessionId, entries: [...this.entries] };
  }

  /** An activity that carried `carried` succeeded: those entries are stored. */
  stored(carried: CarriedSession): void {
    this.entries = this.entries.filter((entry) => !carried.entries.includes(entry));
  }

  /** Stores what waits with the bounded local activity it had before; a store that cannot take it fails the run. */
  async flush(summary: string): Promise<void> {
    const carried = this.pending();
    if (!carried) return;
    for (const entry of carried.entries) {
      try {
        await appendSeparately({ project: this.project, sessionId: this.sessionId, entry }, summary);
      } catch (error) {
        // The run fails with store_write_failed: nothing is left to carry into its last settle.
        if (error instanceof RunFailure) this.entries = [];
        throw error;
      }
      this.stored({ ...carried, entries: [entry] });
    }
  }
}

/** The session append as its own bounded local activity; fails the run with store_write_failed when it cannot. */
export async function appendSeparately(request: { project: string; sessionId: string; entry: SessionEntry }, summary: string): Promise<void> {
  try {
    await proxyLocalActivities<Activities>({ ...appendOptions, summary }).appendSessionEntry(request);
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = error instanceof ActivityFailure ? error.cause : error;
    throw new RunFailure('store_write_failed', `the session entry of step "${request.entry.step}" could not be stored: ${cause instanceof Error ? cause.message : String(cause)}`, request.entry.step);
  }
}
