import type { Kysely } from 'kysely';
import type { SessionEntry } from '../domain/agent.ts';
import { toJson, type Database } from './database.ts';

/** The transcript agents see of earlier steps in the same session; the activities call exactly this. */
export interface SessionMemory {
  /** Idempotent by (runId, step): a retried activity's second append of the same step is a no-op. */
  append(project: string, sessionId: string, entry: SessionEntry): Promise<void>;
  /** Oldest first. */
  list(project: string, sessionId: string): Promise<SessionEntry[]>;
}

export function createSessionMemory(db: Kysely<Database>): SessionMemory {
  return {
    async append(project, sessionId, entry) {
      await db
        .insertInto('session_entries')
        .values({
          project,
          session_id: sessionId,
          run_id: entry.runId,
          step: entry.step,
          agent_id: entry.agentId,
          input: toJson(entry.input),
          output: toJson(entry.output),
          at: entry.at,
        })
        .onConflict((oc) => oc.columns(['project', 'session_id', 'run_id', 'step']).doNothing())
        .execute();
    },

    async list(project, sessionId) {
      const rows = await db
        .selectFrom('session_entries')
        .selectAll()
        .where('project', '=', project)
        .where('session_id', '=', sessionId)
        // Insertion order: the order in which steps finished, even when clocks disagree.
        .orderBy('seq')
        .execute();
      return rows.map((row) => ({
        runId: row.run_id,
        step: row.step,
        agentId: row.agent_id,
        input: row.input ?? null,
        output: row.output ?? null,
        at: row.at,
      }));
    },
  };
}
