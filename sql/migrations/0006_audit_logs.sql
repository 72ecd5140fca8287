-- depends: 0005_projects

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- audit_logs: an append-only record of who did what to which entity. Rows outlive
-- their organization and user (the references become null), and action is one
-- of a fixed list.
create table public.audit_logs (
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
  constraint audit_logs_action_check check (
    action in ('create', 'update', 'delete', 'soft_delete', 'restore', 'purge',
               'login', 'logout', 'invite', 'remove')
  )
);

create index audit_logs_organization_id_idx on public.audit_logs (organization_id);
create index audit_logs_user_id_idx on public.audit_logs (user_id);
create index audit_logs_entity_idx on public.audit_logs (entity_type, entity_id);
create index audit_logs_created_at_idx on public.audit_logs (created_at);

alter table public.audit_logs enable row level security;
