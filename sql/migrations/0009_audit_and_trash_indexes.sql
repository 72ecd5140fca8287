-- depends: 0008_audit_changed_keys
-- transactional: false

-- Built concurrently (autocommit, hence its own file): both tables take writes.

-- An organization's log, newest first, paged by (created_at, id): the keyset that
-- list_audit_logs walks. It also serves plain organization_id lookups, so the
-- single-column index goes.
create index concurrently if not exists audit_logs_organization_keyset_idx
  on public.audit_logs (organization_id, created_at desc, id desc);
drop index concurrently if exists public.audit_logs_organization_id_idx;

-- An organization's trash, oldest first: what empty_trash and the trash view read.
create index concurrently if not exists projects_organization_id_trash_idx
  on public.projects (organization_id, deleted_at) where deleted_at is not null;
