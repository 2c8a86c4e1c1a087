-- Definitions, their steps, stored agents and session transcripts. Every table is keyed by
-- project first: no query reaches a row without naming its project.

create table definitions (
  project text not null,
  id text not null,
  name text not null,
  description text,
  agent text,
  pause_timeout jsonb,
  version integer not null default 1,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (project, id)
);
-- An agent slug publishes one definition at POST /v1/agents/{agent}/workflow.
create unique index definitions_project_agent on definitions (project, agent) where agent is not null;
create index definitions_project_created on definitions (project, created_at, id);

create table definition_steps (
  project text not null,
  definition_id text not null,
  id text not null,
  name text not null,
  step_order integer not null check (step_order >= 1),
  type text not null check (type in ('agent', 'approval', 'input')),
  -- Everything else of the step (agentId, action, message, options, retry, next, ...).
  body jsonb not null,
  primary key (project, id),
  foreign key (project, definition_id) references definitions (project, id) on delete cascade,
  constraint definition_steps_name unique (project, definition_id, name),
  -- Deferred so inserting or removing a step can renumber the ones after it in one statement.
  constraint definition_steps_order unique (project, definition_id, step_order) deferrable initially deferred
);

create table agents (
  project text not null,
  id text not null,
  kind text not null check (kind in ('http', 'llm')),
  description text,
  config jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (project, id)
);

create table session_entries (
  project text not null,
  session_id text not null,
  run_id text not null,
  step text not null,
  agent_id text,
  input jsonb,
  output jsonb,
  -- Kept as written by the activity, so a transcript reads back exactly as it was appended.
  at text not null,
  seq bigserial not null,
  -- One entry per run and step: a retried activity appends nothing new.
  primary key (project, session_id, run_id, step)
);
create index session_entries_order on session_entries (project, session_id, seq);
