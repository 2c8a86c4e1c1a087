import type { Kysely, Selectable } from 'kysely';
import { agentSchema, type Agent, type AgentCreate, type AgentPatch } from '../domain/agent.ts';
import { BatonError } from '../domain/errors.ts';
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
  /** The kind never changes; a config in the patch replaces the old one and must fit the kind. */
  update(project: string, id: string, patch: AgentPatch): Promise<StoredAgent>;
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

    async update(project, id, patch) {
      const current = await find(project, id);
      if (!current) throw agentNotFound(id);
      const next = agentSchema.safeParse({
        ...current,
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.config !== undefined && { config: patch.config }),
      });
      if (!next.success) {
        throw new BatonError('conflict', `That config does not fit a ${current.kind} agent.`, next.error.issues);
      }
      const agent = next.data as StoredAgent;
      const updated = await db
        .updateTable('agents')
        .set({ description: agent.description ?? null, config: JSON.stringify(agent.config), updated_at: new Date() })
        .where('project', '=', project)
        .where('id', '=', id)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw agentNotFound(id);
      return agent;
    },

    async delete(project, id) {
      const deleted = await db.deleteFrom('agents').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw agentNotFound(id);
    },
  };
}
