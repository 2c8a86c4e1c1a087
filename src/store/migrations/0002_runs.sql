-- The run read model: one row per run, written by the run's workflow at start and at each settle
-- (paused, completed, failed, cancelled) and by the API when it applies an answer. Temporal stays
-- the source of truth; lists, counts, the inbox, live events and webhooks read this table.
create table runs (
  project text not null,
  run_id text not null,
  definition_id text not null,
  agent text,
  session_id text not null,
  status text not null check (status in ('running', 'paused', 'completed', 'failed', 'cancelled')),
  current_step_order integer not null,
  pending_action jsonb,
  -- The whole run snapshot as the workflow last recorded it (steps, answers, result, error).
  snapshot jsonb not null,
  -- The snapshot's version: a write only lands when it is newer, so retried and late writes are harmless.
  version integer not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (project, run_id)
);
-- Newest first, with the run id breaking ties: the keyset every list pages on.
create index runs_newest on runs (project, created_at desc, run_id desc);
create index runs_status_newest on runs (project, status, created_at desc, run_id desc);
create index runs_definition_newest on runs (project, definition_id, created_at desc, run_id desc);

-- One-time jobs (the backfill of runs started before the read model existed), done once per database.
create table baton_jobs (
  name text primary key,
  done_at timestamptz not null
);
