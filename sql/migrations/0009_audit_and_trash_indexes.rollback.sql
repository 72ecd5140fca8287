-- transactional: false
-- Undo 0009_audit_and_trash_indexes.
drop index concurrently if exists public.projects_organization_id_trash_idx;
create index concurrently if not exists audit_logs_organization_id_idx on public.audit_logs (organization_id);
drop index concurrently if exists public.audit_logs_organization_keyset_idx;
