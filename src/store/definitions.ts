import type { Kysely } from 'kysely';
import type { Definition } from '../domain/definition.ts';
import type {
  DefinitionCreate,
  DefinitionPatch,
  ExampleDefinition,
  PageQuery,
  SpringPage,
} from '../domain/definition-input.ts';
import type { Database } from './database.ts';
import { toJson } from './database.ts';
import { conflictOnDuplicate } from './database-errors.ts';
import { createDefinitionStepRepository, type DefinitionStepRepository } from './definition-steps.ts';
import { prepareQuery } from './prepared-query.ts';
import {
  defaultStepName,
  definitionFromRow,
  iso,
  newDefinitionId,
  newStepId,
  stepFromInput,
  stepRow,
  stepsByDefinition,
  workflowNotFound,
  type Db,
} from './definition-rows.ts';

const copySuffix = ' (Copy)';
const nameMax = 200;

/** Workflow definitions of a project; another project's id is simply not found. */
export interface DefinitionRepository extends DefinitionStepRepository {
  create(project: string, input: DefinitionCreate): Promise<Definition>;
  /** With its steps ascending by stepOrder. */
  get(project: string, id: string): Promise<Definition>;
  /** Oldest first; `page` is 0-based. */
  list(project: string, page: PageQuery): Promise<SpringPage<Definition>>;
  /** Fields present in the patch change (null clears); an empty patch changes nothing. */
  update(project: string, id: string, patch: DefinitionPatch): Promise<Definition>;
  /** Removes the definition and its steps. Runs in flight keep their snapshot. */
  delete(project: string, id: string): Promise<void>;
  /** The definition published under an agent slug, or null. */
  findByAgent(project: string, agent: string): Promise<Definition | null>;
  /** Which state of a definition is current (one row read, no steps); null when there is none. */
  stamp(project: string, id: string): Promise<DefinitionStamp | null>;
  /** The same for the definition published under an agent slug. */
  stampByAgent(project: string, agent: string): Promise<DefinitionStamp | null>;
  /** A new definition named name + " (Copy)" with every step copied under new ids; not published under the agent slug. */
  clone(project: string, id: string): Promise<Definition>;
  /** Inserts a built-in example under its stable id unless one exists; an existing one (maybe edited) is kept. */
  upsertExample(project: string, example: ExampleDefinition): Promise<{ definition: Definition; created: boolean }>;
}

/**
 * Names one state of a definition: every change (steps included) bumps `version`, and a definition
 * deleted and created again under its id (a built-in example) has new timestamps.
 */
export interface DefinitionStamp {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

function agentTaken(agent: string | null | undefined) {
  return [`Another workflow is already published as agent ${JSON.stringify(agent)}.`, { agent }] as const;
}

async function getDefinition(db: Db, project: string, id: string): Promise<Definition> {
  const row = await db.selectFrom('definitions').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
  if (!row) throw workflowNotFound(id);
  const steps = await stepsByDefinition(db, project, [id]);
  return definitionFromRow(row, steps.get(id) ?? []);
}

export function createDefinitionRepository(db: Kysely<Database>): DefinitionRepository {
  // Every start reads one of these stamps (the API's definition cache): built and compiled once (see prepareQuery).
  const stampColumns = ['id', 'version', 'created_at', 'updated_at'] as const;
  const stampById = prepareQuery(db, (p: { project: string; id: string }) => db.selectFrom('definitions').select(stampColumns).where('project', '=', p.project).where('id', '=', p.id));
  const stampByAgent = prepareQuery(db, (p: { project: string; agent: string }) => db.selectFrom('definitions').select(stampColumns).where('project', '=', p.project).where('agent', '=', p.agent));
  return {
    ...createDefinitionStepRepository(db),

    async create(project, input) {
      const now = new Date();
      const id = newDefinitionId();
      await conflictOnDuplicate(
        () =>
          db
            .insertInto('definitions')
            .values({
              project,
              id,
              name: input.name,
              description: input.description ?? null,
              agent: input.agent ?? null,
              pause_timeout: toJson(input.pauseTimeout),
              remind_after: toJson(input.remindAfter),
              remind_every: toJson(input.remindEvery),
              created_at: now,
              updated_at: now,
            })
            .execute(),
        ...agentTaken(input.agent),
      );
      return getDefinition(db, project, id);
    },

    get: (project, id) => getDefinition(db, project, id),

    async list(project, { page, size }) {
      const { total } = await db
        .selectFrom('definitions')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where('project', '=', project)
        .executeTakeFirstOrThrow();
      const totalElements = Number(total);
      const rows = await db
        .selectFrom('definitions')
        .selectAll()
        .where('project', '=', project)
        .orderBy('created_at')
        .orderBy('id')
        .limit(size)
        .offset(page * size)
        .execute();
      const steps = await stepsByDefinition(db, project, rows.map((row) => row.id));
      return {
        content: rows.map((row) => definitionFromRow(row, steps.get(row.id) ?? [])),
        totalElements,
        totalPages: Math.ceil(totalElements / size),
      };
    },

    async update(project, id, patch) {
      const changes = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.agent !== undefined && { agent: patch.agent }),
        ...(patch.pauseTimeout !== undefined && { pause_timeout: toJson(patch.pauseTimeout) }),
        ...(patch.remindAfter !== undefined && { remind_after: toJson(patch.remindAfter) }),
        ...(patch.remindEvery !== undefined && { remind_every: toJson(patch.remindEvery) }),
      };
      if (Object.keys(changes).length === 0) return getDefinition(db, project, id);
      const updated = await conflictOnDuplicate(
        () =>
          db
            .updateTable('definitions')
            .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: new Date() }))
            .where('project', '=', project)
            .where('id', '=', id)
            .executeTakeFirst(),
        ...agentTaken(patch.agent),
      );
      if (updated.numUpdatedRows === 0n) throw workflowNotFound(id);
      return getDefinition(db, project, id);
    },

    async delete(project, id) {
      const deleted = await db.deleteFrom('definitions').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw workflowNotFound(id);
    },

    async findByAgent(project, agent) {
      const row = await db.selectFrom('definitions').select('id').where('project', '=', project).where('agent', '=', agent).executeTakeFirst();
      return row ? getDefinition(db, project, row.id) : null;
    },

    async stamp(project, id) {
      const row = (await stampById.execute({ project, id })).rows[0];
      return row ? stampOf(row) : null;
    },

    async stampByAgent(project, agent) {
      const row = (await stampByAgent.execute({ project, agent })).rows[0];
      return row ? stampOf(row) : null;
    },

    async clone(project, id) {
      return db.transaction().execute(async (trx) => {
        const source = await getDefinition(trx, project, id);
        const now = new Date();
        const copyId = newDefinitionId();
        await trx
          .insertInto('definitions')
          .values({
            project,
            id: copyId,
            name: source.name.slice(0, nameMax - copySuffix.length) + copySuffix,
            description: source.description ?? null,
            // The slug publishes one definition only; the copy stays unpublished until given its own.
            agent: null,
            pause_timeout: toJson(source.pauseTimeout),
            remind_after: toJson(source.remindAfter),
            remind_every: toJson(source.remindEvery),
            created_at: now,
            updated_at: now,
          })
          .execute();
        if (source.steps.length > 0) {
          await trx
            .insertInto('definition_steps')
            .values(source.steps.map((step) => stepRow(project, copyId, { ...step, id: newStepId() })))
            .execute();
        }
        return getDefinition(trx, project, copyId);
      });
    },

    async upsertExample(project, example) {
      return db.transaction().execute(async (trx) => {
        const now = new Date();
        const inserted = await conflictOnDuplicate(
          () =>
            trx
              .insertInto('definitions')
              .values({
                project,
                id: example.id,
                name: example.name,
                description: example.description ?? null,
                agent: example.agent ?? null,
                pause_timeout: toJson(example.pauseTimeout),
                remind_after: toJson(example.remindAfter),
                remind_every: toJson(example.remindEvery),
                created_at: now,
                updated_at: now,
              })
              // Two processes starting at once: the second finds the row and leaves it.
              .onConflict((oc) => oc.columns(['project', 'id']).doNothing())
              .returning('id')
              .executeTakeFirst(),
          ...agentTaken(example.agent),
        );
        if (inserted) {
          const names = new Set<string>();
          const steps = example.steps.map((input, index) => {
            const name = input.name ?? defaultStepName(index + 1, names);
            names.add(name);
            return stepFromInput(input, { id: newStepId(), name, stepOrder: index + 1 });
          });
          if (steps.length > 0) {
            await conflictOnDuplicate(
              () => trx.insertInto('definition_steps').values(steps.map((step) => stepRow(project, example.id, step))).execute(),
              `Example ${example.id} repeats a step name.`,
            );
          }
        }
        return { definition: await getDefinition(trx, project, example.id), created: inserted !== undefined };
      });
    },
  };
}

function stampOf(row: { id: string; version: number; created_at: Date | string; updated_at: Date | string }): DefinitionStamp {
  return { id: row.id, version: row.version, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}
