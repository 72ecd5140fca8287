-- Undo 0008_audit_changed_keys.
set local lock_timeout = '5s';
alter table public.audit_logs drop column if exists changed_keys;
