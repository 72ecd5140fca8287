-- Undo 0006_audit_logs.
-- Views over the audit log are repeatable objects in sql/functions that no
-- migration owns: cascade removes them with the table.
-- Dropping takes ACCESS EXCLUSIVE locks on the tables (and, through foreign keys and
-- triggers, on their parents): fail fast, never queue behind traffic.
set local lock_timeout = '5s';
drop table if exists public.audit_logs cascade;
