import type { Kysely, Selectable } from 'kysely';
import { agentSchema, patchedAgentSchema, type Agent, type AgentCreate, type AgentPatch } from '../domain/agent.ts';
import { BatonError } from '../domain/errors.ts';
import { applyMergePatch } from '../domain/json-merge-patch.ts';
import type { AgentsTable, Database } from './database.ts';
import { conflictOnDuplicate } from './database-errors.ts';

/** A stored agent: http or llm. Function agents live in the worker's registry, never here. */
export type StoredAgent = Extract<Agent, { kind: 'http' | 'llm' }>;

/** http and llm agents of a project, by slug. */
export interface AgentRepository {
  /** A duplicate id is a conflict. */
  create(project: string, input: AgentCreate): Promise<StoredAgent>;
  get(project: string, id: string): Promise<StoredAgent>;
  /** The agent, or null when this project stores none by that id. */
  find(project: string, id: string): Promise<StoredAgent | null>;
  /** Every stored agent of the project, by id. */
  list(project: string): Promise<StoredAgent[]>;
  /**
   * Applies a JSON Merge Patch to the stored agent; the result must be a valid agent of the same id
   * and kind (400 otherwise, 409 for another id or kind). `check` sees the merged agent before it
   * is written and may throw to refuse it; nothing changes then.
   */
  update(project: string, id: string, patch: AgentPatch, check?: (next: StoredAgent) => void): Promise<StoredAgent>;
  delete(project: string, id: string): Promise<void>;
}

function agentFromRow(row: Selectable<AgentsTable>): StoredAgent {
  return agentSchema.parse({ id: row.id, kind: row.kind, description: row.description, config: row.config }) as StoredAgent;
}

function agentNotFound(id: string): BatonError {
  return new BatonError('agent_not_found', `No agent ${JSON.stringify(id)} in this project.`, { id });
}

export function createAgentRepository(db: Kysely<Database>): AgentRepository {
  async function find(project: string, id: string): Promise<StoredAgent | null> {
    const row = await db.selectFrom('agents').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
    return row ? agentFromRow(row) : null;
  }

  return {
    async create(project, input) {
      const now = new Date();
      await conflictOnDuplicate(
        () =>
          db
            .insertInto('agents')
            .values({
              project,
              id: input.id,
              kind: input.kind,
              description: input.description ?? null,
              config: JSON.stringify(input.config),
              created_at: now,
              updated_at: now,
            })
            .execute(),
        `An agent ${JSON.stringify(input.id)} already exists.`,
        { id: input.id },
      );
      return { ...input, description: input.description ?? null };
    },

    async get(project, id) {
      const agent = await find(project, id);
      if (!agent) throw agentNotFound(id);
      return agent;
    },

    find,

    async list(project) {
      const rows = await db.selectFrom('agents').selectAll().where('project', '=', project).orderBy('id').execute();
      return rows.map(agentFromRow);
    },

    async update(project, id, patch, check) {
      return db.transaction().execute(async (trx) => {
        // Locked, so two patches of one agent merge one after the other instead of losing one.
        const row = await trx.selectFrom('agents').selectAll().where('project', '=', project).where('id', '=', id).forUpdate().executeTakeFirst();
        if (!row) throw agentNotFound(id);
        const current = agentFromRow(row);
        for (const field of ['id', 'kind'] as const) {
          if (patch[field] !== undefined && patch[field] !== current[field]) {
            throw new BatonError('conflict', `An agent's ${field} never changes: this one is ${JSON.stringify(current[field])}.`, { field });
          }
        }
        const merged = patchedAgentSchema.safeParse(applyMergePatch(current, patch));
        if (!merged.success) {
          throw new BatonError('invalid_request', `The patched agent is not a valid ${current.kind} agent.`, merged.error.issues);
        }
        const agent = merged.data;
        check?.(agent);
        await trx
          .updateTable('agents')
          .set({ description: agent.description ?? null, config: JSON.stringify(agent.config), updated_at: new Date() })
          .where('project', '=', project)
          .where('id', '=', id)
          .execute();
        return { ...agent, description: agent.description ?? null };
      });
    },

    async delete(project, id) {
      const deleted = await db.deleteFrom('agents').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw agentNotFound(id);
    },
  };
}
