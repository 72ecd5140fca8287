-- depends: 0017_generated_functions

-- What every audit entry's insert pays for, once per statement (bench/audit.py,
-- `single_audited_vs_plain`):
-- - the action check as a cast to an enum of the actions instead of a list.
--   PostgreSQL reads a table's check expressions back from their stored text for
--   every statement, and the ten-element array constant cost a single-row write
--   more than its index did (a pattern instead costs every row of a bulk write
--   more). The column stays text (no rewrite, the API's type unchanged); the enum
--   lists the same ten actions, and an action it does not know is refused, named:
--   `invalid input value for enum private.audit_action: "..."`. A new action is
--   one `alter type private.audit_action add value`. Added `not valid` and left
--   so: every row there passed the list it replaces, and new rows are checked all
--   the same;
-- - the BRIN on created_at moves to the default partition, the only place a time
--   range is looked up inside a partition (private.create_audit_partition moves a
--   month's rows out of it; retention deletes from it). Monthly partitions are
--   read by organization (the keyset index) and dropped whole, so there the BRIN
--   was only a cost to every write.
set local lock_timeout = '5s';

create type private.audit_action as enum (
  'create', 'update', 'delete', 'soft_delete', 'restore', 'purge', 'login', 'logout', 'invite', 'remove'
);
alter table public.audit_logs drop constraint audit_logs_action_check;
alter table public.audit_logs
  add constraint audit_logs_action_check check (action::private.audit_action is not null) not valid;

-- supakit-lint: ignore drop-index-without-concurrently -- a partitioned index cannot be dropped concurrently; lock_timeout above fails fast instead of queueing
drop index public.audit_logs_created_at_idx;
-- supakit-lint: ignore index-without-concurrently -- the default partition holds only the rows of months with no partition yet: none, or a few
create index audit_logs_default_created_at_idx on private.audit_logs_default using brin (created_at);
