-- depends: 0001_foundation

-- Creating a foreign key locks the referenced table: fail fast, never queue behind traffic.
set local lock_timeout = '5s';

-- profiles: one row per auth user with an email, created and kept in sync by
-- triggers on auth.users (sql/functions/020_profiles_from_auth_users.sql); it
-- disappears with its auth user. Emails are unique.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  name text,
  avatar_url text,
  role public.user_role not null default 'member',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_email_key unique (email)
);

alter table public.profiles enable row level security;

-- Auth users that exist before this migration (a Supabase project adopting this
-- schema) get their profile here; from now on the triggers create them. Same
-- rule as the trigger: users without an email get none. An email held by two
-- auth users (possible on Supabase with SSO) profiles the first one only.
insert into public.profiles (id, email, name)
select u.id, u.email, nullif(btrim(u.raw_user_meta_data ->> 'name'), '')
from auth.users as u
where u.email is not null
order by u.created_at, u.id
on conflict do nothing;
