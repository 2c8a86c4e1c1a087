-- A project's own defaults for human steps (pause timeout, reminders), set through the API. One row
-- per project that set anything; a project without a row uses the server's defaults.
create table project_settings (
  project text primary key,
  -- The fields the project set, a JSON object such as {"pauseTimeout": "2d", "remindAfter": "4h"}.
  settings jsonb not null,
  updated_at timestamptz not null
);

-- A workflow's reminders of its human steps, unless a step sets its own (JSON like pause_timeout).
alter table definitions add column remind_after jsonb;
alter table definitions add column remind_every jsonb;
