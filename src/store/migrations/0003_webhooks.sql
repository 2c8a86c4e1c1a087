-- Webhooks: URLs a project's run events (a run paused or ended) are POSTed to, and the outbox of
-- their deliveries. The outbox rows are written in the same transaction as the run's read-model
-- row, so an event is never lost between the run settling and the sender seeing it, even across
-- restarts; the sender (in every API process) claims due rows, sends them and records the outcome.
create table webhooks (
  id text primary key,
  project text not null,
  url text not null,
  -- The subscribed event types, a JSON array such as ["run.paused", "run.completed"].
  events jsonb not null,
  -- The HMAC-SHA256 key of X-Baton-Signature: kept, since every delivery is signed with it.
  secret text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index webhooks_project on webhooks (project, created_at, id);

-- One row per run event some webhook subscribed to. The id is derived from the run, its snapshot
-- version and the event type, so enqueuing the same event again is a no-op.
create table webhook_events (
  id text primary key,
  project text not null,
  run_id text not null,
  run_version integer not null,
  type text not null,
  -- The run as it was when the event happened: every attempt sends this, whatever the run did since.
  snapshot jsonb not null,
  -- When the run reached this state (the snapshot's updatedAt).
  occurred_at timestamptz not null,
  enqueued_at timestamptz not null
);

-- One row per (webhook, event): pending until a 2xx answer (delivered) or the retry period ends (failed).
create table webhook_deliveries (
  webhook_id text not null references webhooks (id) on delete cascade,
  event_id text not null references webhook_events (id) on delete cascade,
  run_id text not null,
  run_version integer not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  -- Due time of the next attempt; null once delivered or failed.
  next_attempt_at timestamptz,
  -- A sender working on the row: others leave it alone until claimed_until (a lease that outlives one attempt).
  claimed_until timestamptz,
  claim_token text,
  last_response_status integer,
  last_error text,
  enqueued_at timestamptz not null,
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  primary key (webhook_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
-- A run's events reach a webhook in order: the claim looks for an earlier pending event of the same run.
create index webhook_deliveries_run_order on webhook_deliveries (webhook_id, run_id, run_version) where status = 'pending';
create index webhook_deliveries_recent on webhook_deliveries (webhook_id, enqueued_at desc, run_version desc, event_id desc);
create index webhook_deliveries_event on webhook_deliveries (event_id);
create index webhook_events_enqueued on webhook_events (enqueued_at);
