-- Helpers for pgTAP files, in the style of supabase-test-helpers: make users, act as
-- them the way PostgREST does, and check that RLS is on. Installed by supakit into each
-- pgTAP file's own database (schema `tests`), never into a migrated schema.
-- `authenticate_as` sets the role and claims for the rest of the transaction only,
-- so a file that ends in `rollback` leaves nothing behind.

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role, postgres;

-- A user as Supabase Auth makes one (explicit id, aud, role); `identifier` names it in the test.
create or replace function tests.create_supabase_user(
  identifier text, email text default null, phone text default null, metadata jsonb default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  new_id uuid := gen_random_uuid();
begin
  insert into auth.users (id, aud, role, email, phone, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
  values (
    new_id, 'authenticated', 'authenticated',
    coalesce(create_supabase_user.email, create_supabase_user.identifier || '@test.local'),
    create_supabase_user.phone,
    pg_catalog.jsonb_build_object('test_identifier', create_supabase_user.identifier)
      || coalesce(create_supabase_user.metadata, '{}'::jsonb),
    '{"provider": "email", "providers": ["email"]}'::jsonb,
    pg_catalog.now()
  );
  return new_id;
end;
$$;

-- The id of the user made with `identifier`; an error names it when there is none.
create or replace function tests.get_supabase_uid(identifier text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  found uuid;
begin
  select u.id into found from auth.users u
  where u.raw_user_meta_data ->> 'test_identifier' = get_supabase_uid.identifier
  limit 1;
  if found is null then
    raise exception 'tests.get_supabase_uid: no user made with identifier %', identifier;
  end if;
  return found;
end;
$$;

-- The user's row and claims, as tests.authenticate_as and friends need them.
create or replace function tests.get_supabase_user(identifier text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'id', u.id, 'email', u.email, 'phone', u.phone,
    'raw_user_meta_data', u.raw_user_meta_data, 'raw_app_meta_data', u.raw_app_meta_data
  )
  from auth.users u
  where u.id = tests.get_supabase_uid(get_supabase_user.identifier);
$$;

-- Act as the user for the rest of the transaction: role `authenticated` and the JWT
-- claims PostgREST would set from their access token.
create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
as $$
declare
  found jsonb := tests.get_supabase_user(identifier);
begin
  perform pg_catalog.set_config('role', 'authenticated', true);
  perform pg_catalog.set_config('request.jwt.claims', pg_catalog.jsonb_build_object(
    'sub', found ->> 'id', 'role', 'authenticated', 'aud', 'authenticated',
    'email', found ->> 'email', 'phone', found ->> 'phone',
    'user_metadata', found -> 'raw_user_meta_data', 'app_metadata', found -> 'raw_app_meta_data'
  )::text, true);
end;
$$;

-- Act as the service role (bypasses RLS) for the rest of the transaction.
create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
as $$
begin
  perform pg_catalog.set_config('role', 'service_role', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role": "service_role"}', true);
end;
$$;

-- Back to an anonymous caller (the anon key) for the rest of the transaction.
create or replace function tests.clear_authentication()
returns void
language plpgsql
as $$
begin
  perform pg_catalog.set_config('role', 'anon', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role": "anon"}', true);
end;
$$;

-- A pgTAP assertion: every table of `schema_name` has row level security on.
-- pgTAP resolves its own helpers through the search path, so this one keeps the
-- caller's (no `set search_path`; it is not security definer).
create or replace function tests.rls_enabled(schema_name text)
returns text
language sql
stable
as $$
  select extensions.is(
    (select pg_catalog.array_agg(c.relname::text order by c.relname)
     from pg_catalog.pg_class c
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = rls_enabled.schema_name and c.relkind in ('r', 'p') and not c.relrowsecurity),
    null::text[],
    pg_catalog.format('every table in schema %s has row level security on', rls_enabled.schema_name)
  );
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role, postgres;
