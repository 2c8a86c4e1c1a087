import type { SessionEntry } from '../domain/agent.ts';
import type { SessionMemory } from '../domain/session-memory.ts';

export type { SessionMemory } from '../domain/session-memory.ts';

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
