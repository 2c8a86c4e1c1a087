import type { Insertable, Kysely } from 'kysely';
import type { SessionEntry } from '../domain/agent.ts';
import { toJson, type Database, type SessionEntriesTable } from './database.ts';
import { prepareQuery } from './prepared-query.ts';

/**
 * A session entry PostgreSQL refuses however often it is retried (a NUL in an id, a value deeper
 * than the server's stack): the activity reports it as non-retryable instead of retrying.
 */
export class SessionWriteRefused extends Error {
  readonly sqlState: string;
  constructor(message: string, sqlState: string) {
    super(message);
    this.name = 'SessionWriteRefused';
    this.sqlState = sqlState;
  }
}

// Class 22 (data exception: bad bytes, bad JSON) and 54 (program limit: too deep, too long) never pass on retry.
const refusedValueClasses = ['22', '54'];

/** The SQLSTATE of an error that retrying the same write can never get past, or null. */
export function refusedValueState(error: unknown): string | null {
  const sqlState = (error as { code?: unknown } | null)?.code;
  return typeof sqlState === 'string' && refusedValueClasses.includes(sqlState.slice(0, 2)) ? sqlState : null;
}

/**
 * JSON text PostgreSQL's jsonb accepts: U+0000 and unpaired surrogates (which JSON.stringify
 * writes as \u escapes) become U+FFFD. The transcript is context for later agents, so one
 * replaced character is better than a run that cannot record its step.
 */
export function storableJson(value: unknown): string | null {
  const json = toJson(value);
  // An escape counts only after an even run of backslashes (`\\u0000` is a backslash and "u0000").
  return json === null ? null : json.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi, '$1\\ufffd');
}

/** The transcript agents see of earlier steps in the same session; the activities call exactly this. */
export interface SessionMemory {
  /** Idempotent by (runId, step): a retried activity's second append of the same step is a no-op. */
  append(project: string, sessionId: string, entry: SessionEntry): Promise<void>;
  /** Oldest first. */
  list(project: string, sessionId: string): Promise<SessionEntry[]>;
}

export function createSessionMemory(db: Kysely<Database>): SessionMemory {
  // Both run on every agent step: built and compiled once (see prepareQuery).
  const insertEntry = prepareQuery(db, (p: Insertable<SessionEntriesTable>) =>
    db
      .insertInto('session_entries')
      .values({ project: p.project, session_id: p.session_id, run_id: p.run_id, step: p.step, agent_id: p.agent_id, input: p.input, output: p.output, at: p.at })
      .onConflict((oc) => oc.columns(['project', 'session_id', 'run_id', 'step']).doNothing()),
  );
  const selectEntries = prepareQuery(db, (p: { project: string; sessionId: string }) =>
    db
      .selectFrom('session_entries')
      .selectAll()
      .where('project', '=', p.project)
      .where('session_id', '=', p.sessionId)
      // Insertion order: the order in which steps finished, even when clocks disagree.
      .orderBy('seq'),
  );
  return {
    async append(project, sessionId, entry) {
      try {
        await insertEntry.execute({
          project,
          session_id: sessionId,
          run_id: entry.runId,
          step: entry.step,
          agent_id: entry.agentId,
          input: storableJson(entry.input),
          output: storableJson(entry.output),
          at: entry.at,
        });
      } catch (error) {
        const sqlState = refusedValueState(error);
        if (sqlState) {
          throw new SessionWriteRefused(`the session store refused the entry (SQLSTATE ${sqlState}): ${(error as Error).message}`, sqlState);
        }
        throw error;
      }
    },

    async list(project, sessionId) {
      const { rows } = await selectEntries.execute({ project, sessionId });
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
