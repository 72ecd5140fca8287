-- Supabase compatibility bootstrap.
--
-- On plain Postgres, create exactly what a Supabase project already has and our
-- schema relies on: the API roles, the `auth` schema with `auth.users` and the
-- claim helpers, and Supabase's default privileges on `public`. This is
-- environment, not schema: it is never part of the versioned migrations, and
-- supakit skips it where `auth.users` exists without our marker (a real project).
-- Every statement is idempotent.

-- The API roles. `authenticator` is the only one that logs in (PostgREST); it
-- switches to the role named in the JWT, so it must not inherit their rights.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Supabase's migrating role: `postgres` is not a superuser there (`supabase_admin`
-- is), so a migration that needs one fails on deploy; where we create `postgres`
-- (a cluster initialised with superuser `supabase_admin`: the local stack, the test
-- backends) it has exactly Supabase's attributes, and fails the same way here. An
-- existing `postgres` (plain Postgres, where it is the superuser) keeps what it is:
-- a role cannot drop its own superuser. `supabase_auth_admin` owns the `auth` tables
-- (GoTrue's migrations run as it), so `postgres` may use them but not alter them.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'postgres') then
    create role postgres login nosuperuser createrole createdb replication bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin noinherit createrole login noreplication;
  end if;
end
$$;

grant anon, authenticated, service_role to postgres;
-- Unqualified names reach the extensions (pgcrypto's crypt, pgTAP), as on Supabase.
alter role postgres set search_path = "$user", public, extensions;

-- `postgres` creates the project's schemas and owns `public`, as on Supabase; run by
-- a superuser only (a role cannot give away what it does not own).
do $$
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    execute format('grant all on database %I to postgres', current_database());
    alter schema public owner to postgres;
  end if;
end
$$;

-- Supabase's bounds on API work: a runaway request is cancelled, and one waiting for a
-- lock gives up, instead of holding a connection of the pool. PostgREST applies the
-- settings of the role it switches to (anon, authenticated) for each request.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

create schema if not exists auth;
comment on schema auth is 'supakit compat bootstrap: stands in for Supabase Auth';
grant usage on schema auth to anon, authenticated, service_role;

-- Supabase Auth's tables as GoTrue's own migrations leave them (supabase/auth,
-- migrations/): the same columns, defaults and constraints, so a row written by
-- supakit's local auth server or by a test looks like one written by GoTrue, and
-- the schema's triggers face what they face on Supabase. GoTrue sets id, aud,
-- role and the timestamps itself: none has a default. Only the tables of the
-- password flows are here (no MFA, SAML, flow state or OAuth tables).
create table if not exists auth.users (
  instance_id uuid null,
  id uuid not null,
  aud varchar(255) null,
  role varchar(255) null,
  email varchar(255) null,
  encrypted_password varchar(255) null,
  email_confirmed_at timestamptz null,
  invited_at timestamptz null,
  confirmation_token varchar(255) null,
  confirmation_sent_at timestamptz null,
  recovery_token varchar(255) null,
  recovery_sent_at timestamptz null,
  email_change_token_new varchar(255) null,
  email_change varchar(255) null,
  email_change_sent_at timestamptz null,
  last_sign_in_at timestamptz null,
  raw_app_meta_data jsonb null,
  raw_user_meta_data jsonb null,
  is_super_admin boolean null,
  created_at timestamptz null,
  updated_at timestamptz null,
  phone text null default null,
  phone_confirmed_at timestamptz null default null,
  phone_change text null default '',
  phone_change_token varchar(255) null default '',
  phone_change_sent_at timestamptz null default null,
  email_change_token_current varchar(255) null default '',
  email_change_confirm_status smallint default 0
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
  banned_until timestamptz null,
  reauthentication_token varchar(255) null default '',
  reauthentication_sent_at timestamptz null default null,
  is_sso_user boolean not null default false,
  deleted_at timestamptz null,
  is_anonymous boolean not null default false,
  constraint users_pkey primary key (id)
);

-- A database bootstrapped by an older supakit has a simpler auth.users (defaults
-- on id, aud, role; a plain unique email): bring it to GoTrue's shape.
alter table auth.users
  alter column id drop default,
  alter column aud drop default,
  alter column role drop default,
  alter column raw_app_meta_data drop not null,
  alter column raw_app_meta_data drop default,
  alter column raw_user_meta_data drop not null,
  alter column raw_user_meta_data drop default,
  alter column created_at drop not null,
  alter column created_at drop default,
  alter column updated_at drop not null,
  alter column updated_at drop default,
  add column if not exists instance_id uuid null,
  add column if not exists invited_at timestamptz null,
  add column if not exists confirmation_token varchar(255) null,
  add column if not exists confirmation_sent_at timestamptz null,
  add column if not exists recovery_token varchar(255) null,
  add column if not exists recovery_sent_at timestamptz null,
  add column if not exists email_change_token_new varchar(255) null,
  add column if not exists email_change varchar(255) null,
  add column if not exists email_change_sent_at timestamptz null,
  add column if not exists is_super_admin boolean null,
  add column if not exists phone_confirmed_at timestamptz null default null,
  add column if not exists phone_change text null default '',
  add column if not exists phone_change_token varchar(255) null default '',
  add column if not exists phone_change_sent_at timestamptz null default null,
  add column if not exists email_change_token_current varchar(255) null default '',
  add column if not exists email_change_confirm_status smallint default 0
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
  add column if not exists banned_until timestamptz null,
  add column if not exists reauthentication_token varchar(255) null default '',
  add column if not exists reauthentication_sent_at timestamptz null default null,
  add column if not exists is_sso_user boolean not null default false,
  add column if not exists deleted_at timestamptz null,
  add column if not exists is_anonymous boolean not null default false,
  add column if not exists confirmed_at timestamptz
    generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  drop constraint if exists users_email_key;

-- SSO accounts may share an email; every other account's email is unique.
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
comment on column auth.users.is_sso_user is
  'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'users_phone_key'
                 and conrelid = 'auth.users'::regclass) then
    alter table auth.users add constraint users_phone_key unique (phone);
  end if;
end
$$;
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token)
  where confirmation_token !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx on auth.users (recovery_token)
  where recovery_token !~ '^[0-9 ]*$';

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz null,
  created_at timestamptz null,
  updated_at timestamptz null,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid() primary key,
  constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
create index if not exists identities_user_id_idx on auth.identities (user_id);
create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);

do $$
begin
  if to_regtype('auth.aal_level') is null then
    create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  end if;
end
$$;

create table if not exists auth.sessions (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz null,
  updated_at timestamptz null,
  factor_id uuid null,
  aal auth.aal_level null,
  not_after timestamptz null,
  refreshed_at timestamp without time zone null,
  user_agent text null,
  ip inet null,
  tag text null
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create index if not exists sessions_not_after_idx on auth.sessions (not_after desc);

create table if not exists auth.refresh_tokens (
  instance_id uuid null,
  id bigserial primary key,
  token varchar(255) null,
  user_id varchar(255) null,
  revoked boolean null,
  created_at timestamptz null,
  updated_at timestamptz null,
  parent varchar(255) null,
  session_id uuid null references auth.sessions (id) on delete cascade,
  constraint refresh_tokens_token_unique unique (token)
);
create index if not exists refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index if not exists refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_updated_at_idx on auth.refresh_tokens (updated_at desc);

-- How each session was authenticated: the `amr` claim of its access tokens.
create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid not null primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);

-- RLS on, no policy, no grant to an API role: as on Supabase, only the auth
-- server (and the database owner) reads these tables; hashes and tokens never
-- reach PostgREST's roles.
alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
alter table auth.mfa_amr_claims enable row level security;
revoke all on auth.users, auth.identities, auth.sessions, auth.refresh_tokens, auth.mfa_amr_claims from public, anon, authenticated;

-- GoTrue's tables belong to `supabase_auth_admin`; `postgres` reads and writes them
-- (sign-up triggers, seeds, supakit's local auth server) but cannot alter them.
alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter table auth.mfa_amr_claims owner to supabase_auth_admin;
alter type auth.aal_level owner to supabase_auth_admin;
grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;

-- bcrypt as GoTrue stores it ($2a$), through pgcrypto, in Supabase's `extensions` schema.
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
-- `postgres` may create (trusted) extensions there itself, as on Supabase.
grant usage, create on schema extensions to postgres;
create extension if not exists pgcrypto with schema extensions;

-- The claim helpers read PostgREST's per-request settings exactly as Supabase's
-- do: the JSON `request.jwt.claims`, falling back to the legacy per-claim GUCs.
create or replace function auth.jwt()
returns jsonb
language sql
stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create or replace function auth.uid()
returns uuid
language sql
stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql
stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email()
returns text
language sql
stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.email()
  to anon, authenticated, service_role, postgres;

-- Supabase's default privileges: whatever the migrating role creates in `public`
-- is granted to every API role. RLS, not a missing grant, is what protects rows.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public
  grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public
  grant all on functions to anon, authenticated, service_role;

-- The same for what `postgres` creates: it is the role that migrates (a superuser
-- may set another role's defaults; elsewhere the connecting role is `postgres`).
do $$
begin
  if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    alter default privileges for role postgres in schema public
      grant all on tables to anon, authenticated, service_role;
    alter default privileges for role postgres in schema public
      grant all on sequences to anon, authenticated, service_role;
    alter default privileges for role postgres in schema public
      grant all on functions to anon, authenticated, service_role;
  end if;
end
$$;
