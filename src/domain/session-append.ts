// Shared by the activities and the workflow bundle, so free of zod and Node modules.
import type { SessionEntry } from './agent.ts';

/** Session entries a run's next activity stores before its own work (see src/workflows/session-carry.ts). */
export interface CarriedSession {
  project: string;
  sessionId: string;
  /** Oldest first: stored in this order, each idempotent by (runId, step). */
  entries: SessionEntry[];
}

/**
 * The failure type of an agent step whose carried entries could not be stored: the step's own
 * retries are the agent's, so the workflow stores them with the session append's own retries
 * instead (a refused value fails the run there), then runs the step again.
 */
export const sessionAppendFailedType = 'session_append_failed';
