import type { SessionEntry } from './agent.ts';

/**
 * The session transcript agents see of earlier steps in the same session: what the agent activities
 * read and write. src/store implements it on PGlite/PostgreSQL; createInMemorySessionMemory
 * (src/activities/session-memory.ts) serves tests and single-process embeds.
 */
export interface SessionMemory {
  /**
   * Idempotent by (runId, step): a retried activity's second append of the same step is a no-op.
   * An entry the store can never take rejects with an error named 'SessionWriteRefused'.
   */
  append(project: string, sessionId: string, entry: SessionEntry): Promise<void>;
  /** Oldest first. */
  list(project: string, sessionId: string): Promise<SessionEntry[]>;
  /** Appends `entries` in order, as append does, and answers the transcript with them (the store: in one statement). */
  appendAndList(project: string, sessionId: string, entries: readonly SessionEntry[]): Promise<SessionEntry[]>;
}
