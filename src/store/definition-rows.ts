import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { newUlid } from '../domain/new-ulid.ts';
import type { Definition } from '../domain/definition.ts';
import { durationSchema, temporalMs } from '../domain/duration.ts';
import { BatonError } from '../domain/errors.ts';
import { stepSchema, type Step } from '../domain/step.ts';
import type { StepInput } from '../domain/definition-input.ts';
import type { Database, DefinitionStepsTable, DefinitionsTable } from './database.ts';

// Row <-> domain mapping shared by the definition and step repositories.

export type Db = Kysely<Database> | Transaction<Database>;

/** `wf-` and 12 hex digits: short like the specification's `wf-3a7bc9`, 48 random bits per project. */
export function newDefinitionId(): string {
  return `wf-${randomBytes(6).toString('hex')}`;
}

export function newStepId(): string {
  return `st-${newUlid().toLowerCase()}`;
}

export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function stepFromRow(row: Selectable<DefinitionStepsTable>): Step {
  return stepSchema.parse(withReadableDurations({ ...row.body, id: row.id, name: row.name, stepOrder: row.step_order, type: row.type }));
}

/**
 * Durations stored before the schema refused white space, zero or huge values ("5 s", 0) read as
 * the milliseconds the workflow runs them with, so such a definition still loads and runs.
 */
function withReadableDurations(body: Record<string, unknown>): Record<string, unknown> {
  const readable = (value: unknown) => (value === undefined || value === 'never' || durationSchema.safeParse(value).success ? value : (temporalMs(value) ?? value));
  const retry = body.retry as Record<string, unknown> | undefined;
  return {
    ...body,
    ...(body.timeout === undefined ? {} : { timeout: readable(body.timeout) }),
    ...(body.pauseTimeout === undefined ? {} : { pauseTimeout: readable(body.pauseTimeout) }),
    ...(retry && typeof retry === 'object' && retry.backoff !== undefined ? { retry: { ...retry, backoff: readable(retry.backoff) } } : {}),
  };
}

export function definitionFromRow(row: Selectable<DefinitionsTable>, steps: Step[]): Definition {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description,
    agent: row.agent,
    steps,
    pauseTimeout: (row.pause_timeout ?? null) as Definition['pauseTimeout'],
    remindAfter: (row.remind_after ?? null) as Definition['remindAfter'],
    remindEvery: (row.remind_every ?? null) as Definition['remindEvery'],
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A complete, validated step from what the caller sent plus the place the store chose for it. */
export function stepFromInput(input: StepInput, place: { id: string; name: string; stepOrder: number }): Step {
  const { name: _name, stepOrder: _order, ...rest } = input;
  return stepSchema.parse({ ...rest, type: input.type ?? 'agent', ...place });
}

export function stepRow(project: string, definitionId: string, step: Step): DefinitionStepRowInsert {
  const { id, name, stepOrder, type, ...body } = step;
  return { project, definition_id: definitionId, id, name, step_order: stepOrder, type, body: JSON.stringify(body) };
}
export interface DefinitionStepRowInsert {
  project: string;
  definition_id: string;
  id: string;
  name: string;
  step_order: number;
  type: Step['type'];
  body: string;
}

/** `step-{order}`, or `step-{order}-2`, `-3`, … when an inserted step already took that name. */
export function defaultStepName(order: number, taken: ReadonlySet<string>): string {
  const base = `step-${order}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function workflowNotFound(id: string): BatonError {
  return new BatonError('workflow_not_found', `No workflow ${JSON.stringify(id)} in this project.`, { id });
}

/** Steps of the given definitions, each list ascending by stepOrder. */
export async function stepsByDefinition(db: Db, project: string, ids: string[]): Promise<Map<string, Step[]>> {
  const byDefinition = new Map<string, Step[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byDefinition;
  const rows = await db
    .selectFrom('definition_steps')
    .selectAll()
    .where('project', '=', project)
    .where('definition_id', 'in', ids)
    .orderBy('definition_id')
    .orderBy('step_order')
    .execute();
  for (const row of rows) byDefinition.get(row.definition_id)?.push(stepFromRow(row));
  return byDefinition;
}

/** Locks the definition row for the rest of the transaction, so step edits on it run one at a time. */
export async function lockDefinition(trx: Transaction<Database>, project: string, id: string): Promise<void> {
  const row = await trx
    .selectFrom('definitions')
    .select('id')
    .where('project', '=', project)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw workflowNotFound(id);
}

/** Every change, step changes included, bumps the version a run snapshot records. */
export async function touchDefinition(trx: Transaction<Database>, project: string, id: string): Promise<void> {
  await trx
    .updateTable('definitions')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() }))
    .where('project', '=', project)
    .where('id', '=', id)
    .execute();
}
