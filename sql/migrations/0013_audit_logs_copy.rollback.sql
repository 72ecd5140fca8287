-- Undo 0013_audit_logs_copy: the table of 0006-0009 again, aside in the private
-- schema and empty, as 0011 left it once copied; 0011's rollback moves every entry
-- back into it.
set lock_timeout = '5s';

create table private.audit_logs_0009 (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references public.organizations (id) on delete set null,
  user_id uuid references public.profiles (id) on delete set null,
  action text not null,
  entity_type text not null,
  entity_id text,
  old_values jsonb,
  new_values jsonb,
  ip_address text,
  user_agent text,
  created_at timestamptz not null default now(),
  changed_keys text[],
  constraint audit_logs_0009_action_check check (
    action in ('create', 'update', 'delete', 'soft_delete', 'restore', 'purge',
               'login', 'logout', 'invite', 'remove')
  )
);
create index audit_logs_0009_user_id_idx on private.audit_logs_0009 (user_id);
create index audit_logs_0009_entity_idx on private.audit_logs_0009 (entity_type, entity_id);
create index audit_logs_0009_created_at_idx on private.audit_logs_0009 (created_at);
create index audit_logs_0009_organization_keyset_idx
  on private.audit_logs_0009 (organization_id, created_at desc, id desc);
alter table private.audit_logs_0009 enable row level security;
