-- depends: 0004_subscriptions

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- projects: belong to one organization and go with it. Soft-deletable: a deleted
-- project keeps its row with deleted_at and deleted_by set (deleted_by becomes
-- null if that profile is removed).
create table public.projects (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  deleted_at timestamptz,
  deleted_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- All of an organization's projects (trash included), and the cascade from it.
create index projects_organization_id_idx on public.projects (organization_id);
-- An organization's live projects: what lists and policies ask for most.
create index projects_organization_id_live_idx on public.projects (organization_id)
  where deleted_at is null;
-- The `on delete set null` from profiles looks rows up by deleted_by; only
-- soft-deleted rows have one, so the index holds only those.
create index projects_deleted_by_idx on public.projects (deleted_by)
  where deleted_by is not null;

alter table public.projects enable row level security;
