import type { Kysely } from 'kysely';
import type { StepInput } from '../domain/definition-input.ts';
import { BatonError } from '../domain/errors.ts';
import { deadlineProblems } from '../domain/step-deadline-checks.ts';
import type { Step } from '../domain/step.ts';
import type { Database } from './database.ts';
import {
  defaultStepName,
  lockDefinition,
  newStepId,
  stepFromInput,
  stepFromRow,
  stepRow,
  touchDefinition,
  workflowNotFound,
} from './definition-rows.ts';

/** Steps of one definition. Orders stay 1..n with no gaps: inserting shifts, removing closes up. */
export interface DefinitionStepRepository {
  /** Ascending by stepOrder; an unknown definition is workflow_not_found. */
  listSteps(project: string, definitionId: string): Promise<Step[]>;
  /**
   * Adds a step. No stepOrder, or one past the end, appends (n + 1); an existing order puts the
   * new step there and shifts that step and the later ones down by one. A name already used in
   * the definition is a conflict.
   */
  addStep(project: string, definitionId: string, input: StepInput): Promise<Step>;
  /** Removes a step and renumbers the later ones to close the gap. */
  removeStep(project: string, definitionId: string, stepId: string): Promise<void>;
}

export function createDefinitionStepRepository(db: Kysely<Database>): DefinitionStepRepository {
  return {
    async listSteps(project, definitionId) {
      const exists = await db
        .selectFrom('definitions')
        .select('id')
        .where('project', '=', project)
        .where('id', '=', definitionId)
        .executeTakeFirst();
      if (!exists) throw workflowNotFound(definitionId);
      const rows = await db
        .selectFrom('definition_steps')
        .selectAll()
        .where('project', '=', project)
        .where('definition_id', '=', definitionId)
        .orderBy('step_order')
        .execute();
      return rows.map(stepFromRow);
    },

    async addStep(project, definitionId, input) {
      return db.transaction().execute(async (trx) => {
        await lockDefinition(trx, project, definitionId);
        const existing = await trx
          .selectFrom('definition_steps')
          .select(['name', 'step_order'])
          .where('project', '=', project)
          .where('definition_id', '=', definitionId)
          .execute();
        const names = new Set(existing.map((row) => row.name));
        if (input.name !== undefined && names.has(input.name)) {
          throw new BatonError('conflict', `This workflow already has a step named ${JSON.stringify(input.name)}.`, { name: input.name });
        }
        const end = existing.length + 1;
        const stepOrder = Math.min(input.stepOrder ?? end, end);
        const step = stepFromInput(input, {
          id: newStepId(),
          name: input.name ?? defaultStepName(stepOrder, names),
          stepOrder,
        });
        const problems = deadlineProblems(step, names);
        if (problems.length > 0) throw new BatonError('invalid_request', problems.join('; '), { problems });
        if (stepOrder < end) {
          // The order constraint is deferred, so the shift may pass through duplicates mid-statement.
          await trx
            .updateTable('definition_steps')
            .set((eb) => ({ step_order: eb('step_order', '+', 1) }))
            .where('project', '=', project)
            .where('definition_id', '=', definitionId)
            .where('step_order', '>=', stepOrder)
            .execute();
        }
        await trx.insertInto('definition_steps').values(stepRow(project, definitionId, step)).execute();
        await touchDefinition(trx, project, definitionId);
        return step;
      });
    },

    async removeStep(project, definitionId, stepId) {
      await db.transaction().execute(async (trx) => {
        await lockDefinition(trx, project, definitionId);
        const removed = await trx
          .deleteFrom('definition_steps')
          .where('project', '=', project)
          .where('definition_id', '=', definitionId)
          .where('id', '=', stepId)
          .returning('step_order')
          .executeTakeFirst();
        if (!removed) {
          throw new BatonError('step_not_found', `Workflow ${JSON.stringify(definitionId)} has no step ${JSON.stringify(stepId)}.`, { id: stepId });
        }
        await trx
          .updateTable('definition_steps')
          .set((eb) => ({ step_order: eb('step_order', '-', 1) }))
          .where('project', '=', project)
          .where('definition_id', '=', definitionId)
          .where('step_order', '>', removed.step_order)
          .execute();
        await touchDefinition(trx, project, definitionId);
      });
    },
  };
}
