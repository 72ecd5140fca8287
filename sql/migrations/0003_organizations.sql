-- depends: 0002_profiles

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- organizations: the tenant. Its slug is its URL name: 3-48 characters of
-- lower-case letters, digits and dashes, starting and ending with a letter or
-- digit, unique. Its name is not blank and at most 100 characters; settings is a
-- JSON object.
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null,
  logo_url text,
  settings jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint organizations_slug_key unique (slug),
  constraint organizations_slug_format check (slug ~ '^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$'),
  constraint organizations_name_not_blank check (name ~ '[^[:space:]]'),
  constraint organizations_name_length check (char_length(name) <= 100),
  constraint organizations_settings_is_object check (jsonb_typeof(settings) = 'object')
);

alter table public.organizations enable row level security;

-- organization_members: a profile belongs to an organization at most once, with
-- one role; a membership goes when either its organization or its profile goes.
create table public.organization_members (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role public.user_role not null default 'member',
  created_at timestamptz not null default now(),
  constraint organization_members_organization_id_user_id_key unique (organization_id, user_id)
);

-- Lookups by organization_id use the unique (organization_id, user_id) index, whose
-- leading column it is: a separate index on organization_id alone would duplicate
-- it. Lookups by user_id (and the cascade from profiles) need their own index.
create index organization_members_user_id_idx on public.organization_members (user_id);

alter table public.organization_members enable row level security;
