import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables in migrations/; Kysely checks every query against them.

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb columns are written as JSON text (pg would turn a JS array into a Postgres array). */
type Json = ColumnType<unknown, string | null, string | null>;

export interface DefinitionsTable {
  project: string;
  id: string;
  name: string;
  description: string | null;
  agent: string | null;
  pause_timeout: Json;
  remind_after: ColumnType<unknown, string | null | undefined, string | null>;
  remind_every: ColumnType<unknown, string | null | undefined, string | null>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DefinitionStepsTable {
  project: string;
  definition_id: string;
  id: string;
  name: string;
  step_order: number;
  type: 'agent' | 'approval' | 'input';
  body: ColumnType<Record<string, unknown>, string, string>;
}

export interface AgentsTable {
  project: string;
  id: string;
  kind: 'http' | 'llm';
  description: string | null;
  config: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionEntriesTable {
  project: string;
  session_id: string;
  run_id: string;
  step: string;
  agent_id: string | null;
  input: Json;
  output: Json;
  at: string;
  seq: Generated<string>;
}

export interface RunsTable {
  project: string;
  run_id: string;
  definition_id: string;
  agent: string | null;
  session_id: string;
  status: 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
  current_step_order: number;
  pending_action: Json;
  snapshot: ColumnType<Record<string, unknown>, string, string>;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The run this one was forked from; null (absent on insert) for runs that were started. */
  parent_run_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface WebhooksTable {
  id: string;
  project: string;
  url: string;
  events: ColumnType<string[], string, string>;
  secret: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEventsTable {
  id: string;
  project: string;
  run_id: string;
  run_version: number;
  type: string;
  snapshot: ColumnType<Record<string, unknown>, string, string>;
  occurred_at: Timestamp;
  enqueued_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  webhook_id: string;
  event_id: string;
  run_id: string;
  run_version: number;
  status: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  claimed_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  claim_token: string | null;
  last_response_status: number | null;
  last_error: string | null;
  enqueued_at: Timestamp;
  last_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface JobsTable {
  name: string;
  done_at: Timestamp;
}

export interface MigrationsTable {
  name: string;
  applied_at: Timestamp;
}

export interface Database {
  definitions: DefinitionsTable;
  definition_steps: DefinitionStepsTable;
  agents: AgentsTable;
  session_entries: SessionEntriesTable;
  runs: RunsTable;
  baton_jobs: JobsTable;
  webhooks: WebhooksTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  baton_migrations: MigrationsTable;
  project_settings: ProjectSettingsTable;
}

export interface ProjectSettingsTable {
  project: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Timestamp;
}

/** JSON text for a jsonb column; undefined and null both store SQL NULL. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
