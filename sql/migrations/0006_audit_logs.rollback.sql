-- Undo 0006_audit_logs.
-- Views over the audit log are repeatable objects in sql/functions that no
-- migration owns: cascade removes them with the table.
drop table if exists public.audit_logs cascade;
