import type { Insertable, Kysely } from 'kysely';
import type { SessionEntry } from '../domain/agent.ts';
import type { SessionMemory } from '../domain/session-memory.ts';
import { toJson, type Database, type SessionEntriesTable } from './database.ts';
import { prepareQuery, type PreparedQuery } from './prepared-query.ts';

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

export type { SessionMemory } from '../domain/session-memory.ts';

interface EntryRow {
  run_id: string;
  step: string;
  agent_id: string | null;
  input: unknown;
  output: unknown;
  at: string;
}

function entryOf(row: EntryRow): SessionEntry {
  return { runId: row.run_id, step: row.step, agentId: row.agent_id, input: row.input ?? null, output: row.output ?? null, at: row.at };
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
  // A human answer's entry carried into the next agent step, stored as that step reads its
  // transcript: the entries inserted (a retried attempt's are already there: no row comes back)
  // and the rows the statement's snapshot saw, which cannot include the ones it inserts.
  const storeAndSelect = new Map<number, PreparedQuery<Record<string, unknown>, EntryRow>>();
  const storeAndSelectOf = (count: number) => {
    let query = storeAndSelect.get(count);
    if (!query) {
      query = prepareQuery<Record<string, unknown>, EntryRow>(db, (p: Record<string, unknown>) => {
        const rows = Array.from({ length: count }, (_, i) => ({
          project: p.project as string, session_id: p.session_id as string, run_id: p[`run_id_${i}`] as string, step: p[`step_${i}`] as string,
          agent_id: p[`agent_id_${i}`] as string | null, input: p[`input_${i}`] as string | null, output: p[`output_${i}`] as string | null, at: p[`at_${i}`] as string,
        }));
        return db
          .with('stored', (q) => q.insertInto('session_entries').values(rows).onConflict((oc) => oc.columns(['project', 'session_id', 'run_id', 'step']).doNothing()).returningAll())
          .selectFrom('session_entries')
          .selectAll()
          .where('project', '=', p.project as string)
          .where('session_id', '=', p.session_id as string)
          .unionAll((q) => q.selectFrom('stored').selectAll())
          .orderBy('seq');
      });
      storeAndSelect.set(count, query);
    }
    return query;
  };
  const refusedOr = (error: unknown): unknown => {
    const sqlState = refusedValueState(error);
    return sqlState ? new SessionWriteRefused(`the session store refused the entry (SQLSTATE ${sqlState}): ${(error as Error).message}`, sqlState) : error;
  };
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
        throw refusedOr(error);
      }
    },

    async list(project, sessionId) {
      const { rows } = await selectEntries.execute({ project, sessionId });
      return rows.map(entryOf);
    },

    async appendAndList(project, sessionId, entries) {
      if (entries.length === 0) return await this.list(project, sessionId);
      const params: Record<string, unknown> = { project, session_id: sessionId };
      entries.forEach((entry, i) => {
        Object.assign(params, {
          [`run_id_${i}`]: entry.runId, [`step_${i}`]: entry.step, [`agent_id_${i}`]: entry.agentId,
          [`input_${i}`]: storableJson(entry.input), [`output_${i}`]: storableJson(entry.output), [`at_${i}`]: entry.at,
        });
      });
      try {
        const { rows } = await storeAndSelectOf(entries.length).execute(params);
        return rows.map(entryOf);
      } catch (error) {
        throw refusedOr(error);
      }
    },
  };
}
