-- Membership helpers for policies and RPCs. They answer "which organizations may
-- the caller see (or write, or administer)" as a set, so a policy reads
--   organization_id = any (array(select private.my_org_ids()))
-- which Postgres evaluates once per statement (an InitPlan), not once per row, and
-- whose result is a value an index scan can use. (`organization_id in (select ...)`
-- is also evaluated once, but as a hashed SubPlan filter: a policy is never turned
-- into a join, so every row of the table is read. bench/rls.py shows both.)
-- security definer: they read organization_members past its own RLS (a policy on
-- that table asking that table would recurse). stable, search_path pinned.
-- They live in `private`, which PostgREST does not expose.

grant usage on schema private to authenticated, service_role;

-- Organizations the caller belongs to, optionally only with one of `roles`.
-- PL/pgSQL, not SQL: a SQL function with `set search_path` is never inlined, and its
-- query is planned again in every statement that calls it; PL/pgSQL keeps the plan
-- for the session. Every listing pays this once, so it shows in bench/load.py.
create or replace function private.my_org_ids(roles public.user_role[] default null)
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- Read once: in a filter, auth.uid() parses the JWT claims again for every row scanned.
  caller uuid := auth.uid();
begin
  return query
    select m.organization_id
    from public.organization_members m
    where m.user_id = caller
      and (roles is null or m.role = any (roles));
end;
$$;

-- People who share at least one organization with the caller (the caller included).
-- PL/pgSQL for the same reason as my_org_ids: its plan is kept for the session.
create or replace function private.co_member_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();  -- read once, as in my_org_ids
begin
  return query
    select distinct other.user_id
    from public.organization_members mine
    join public.organization_members other on other.organization_id = mine.organization_id
    where mine.user_id = caller;
end;
$$;

-- For RPCs: the caller must belong to `org` (else "not found": no existence oracle
-- for outsiders) and hold one of `roles` (else "permission denied", naming `action`).
create or replace function private.require_org_role(org uuid, roles public.user_role[], action text)
returns public.user_role
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  held public.user_role;
begin
  if caller is null then
    raise exception 'sign in to %', action using errcode = '42501';
  end if;
  select m.role into held
  from public.organization_members m
  where m.organization_id = org and m.user_id = caller;
  if held is null then
    raise exception 'organization % not found', org
      using errcode = 'PT404', hint = 'it does not exist, or you are not a member';
  end if;
  if not held = any (roles) then
    raise exception 'your role in this organization (%) cannot %', held, action
      using errcode = '42501', hint = pg_catalog.format('this needs the role %s', pg_catalog.array_to_string(roles, ' or '));
  end if;
  return held;
end;
$$;

-- Whether the caller holds one of `roles` in `org` (for RPCs that must not reveal
-- whether something exists to outsiders).
create or replace function private.has_role_in(org uuid, roles public.user_role[])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.organization_members m
    where m.organization_id = org and m.user_id = (select auth.uid()) and m.role = any (roles)
  )
$$;

-- The caller is the service role (the JWT's role claim, which PostgREST verified):
-- back office and provisioning, which act for no user.
create or replace function private.is_service_role()
returns boolean
language sql
stable
set search_path = ''
as $$ select coalesce(auth.role() = 'service_role', false) $$;

revoke execute on function private.is_service_role() from public, anon;
revoke execute on function private.has_role_in(uuid, public.user_role[]) from public, anon, authenticated, service_role;
revoke execute on function private.my_org_ids(public.user_role[]) from public, anon;
revoke execute on function private.co_member_ids() from public, anon;
revoke execute on function private.require_org_role(uuid, public.user_role[], text) from public, anon, authenticated;
grant execute on function private.my_org_ids(public.user_role[]) to authenticated;
grant execute on function private.co_member_ids() to authenticated;
