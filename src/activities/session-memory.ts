import type { SessionEntry } from '../domain/agent.ts';

/**
 * The session transcript the agent activities read and write. src/store implements it on
 * PGlite/PostgreSQL; createInMemorySessionMemory serves tests and single-process embeds.
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

/** A SessionMemory held in this process: lost on restart, so only for tests and throwaway runs. */
export function createInMemorySessionMemory(): SessionMemory {
  const sessions = new Map<string, SessionEntry[]>();
  // Projects are slugs (no NUL), so the pair maps to one key without collisions.
  const keyOf = (project: string, sessionId: string) => `${project}\u0000${sessionId}`;
  return {
    async append(project, sessionId, entry) {
      const entries = sessions.get(keyOf(project, sessionId)) ?? [];
      if (entries.some((known) => known.runId === entry.runId && known.step === entry.step)) return;
      entries.push(structuredClone(entry));
      sessions.set(keyOf(project, sessionId), entries);
    },
    async list(project, sessionId) {
      return structuredClone(sessions.get(keyOf(project, sessionId)) ?? []);
    },
    async appendAndList(project, sessionId, entries) {
      for (const entry of entries) await this.append(project, sessionId, entry);
      return await this.list(project, sessionId);
    },
  };
}
