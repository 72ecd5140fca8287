-- Undo 0018_audit_write_path: the action check as a list again, the BRIN on every partition.
set local lock_timeout = '5s';

-- supakit-lint: ignore drop-index-without-concurrently -- the default partition holds few rows or none; lock_timeout above fails fast instead of queueing
drop index private.audit_logs_default_created_at_idx;
-- supakit-lint: ignore index-without-concurrently -- a partitioned index cannot be built concurrently; lock_timeout above fails fast instead of queueing
create index audit_logs_created_at_idx on public.audit_logs using brin (created_at);

alter table public.audit_logs drop constraint audit_logs_action_check;
alter table public.audit_logs add constraint audit_logs_action_check check (
  action in ('create', 'update', 'delete', 'soft_delete', 'restore', 'purge',
             'login', 'logout', 'invite', 'remove')
) not valid;
drop type private.audit_action;
