-- Forked runs: a run started from a step of another run names that run, so the parent's detail can
-- list its forks. Null for runs that were started, not forked.
alter table runs add column parent_run_id text;
-- The forks of one run, oldest first (a parent and its forks are always of the same project).
create index runs_parent on runs (project, parent_run_id, created_at, run_id) where parent_run_id is not null;
