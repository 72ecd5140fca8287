-- Organization RPCs. Creating an organization is three writes that must happen
-- together (the organization, its first admin, its trial), so it is one function
-- and one transaction, never a client-side sequence. Organizations are created
-- nowhere else: there is no insert policy on public.organizations.

-- The organization, the caller as its admin, and a subscription trialing for 14 days.
-- One trial per user at a time: while the caller administers an organization whose
-- subscription is trialing, a new organization is created without a subscription
-- (billing creates it when the customer subscribes), so 200 calls are not 200 trials.
-- A taken slug is a 409 (23505); a malformed slug or name a 400 (23514) that says
-- which rule failed, quoting at most a short prefix of the input. Either way nothing
-- is created.
create or replace function public.create_organization(name text, slug text)
returns public.organizations
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  created public.organizations;
  failed text;
begin
  if caller is null then
    raise exception 'sign in to create an organization' using errcode = '42501';
  end if;
  if not exists (select 1 from public.profiles p where p.id = caller) then
    raise exception 'your account has no profile yet: an email address is needed to create an organization'
      using errcode = 'P0001';
  end if;
  begin
    insert into public.organizations (name, slug)
    values (create_organization.name, create_organization.slug)
    returning * into created;
  exception
    when unique_violation then
      raise exception 'the slug "%" is taken', private.preview(create_organization.slug)
        using errcode = '23505', hint = 'choose another slug';
    when not_null_violation then
      raise exception 'an organization needs a name and a slug' using errcode = '23502';
    when check_violation then
      get stacked diagnostics failed = constraint_name;
      raise exception '%', case failed
          when 'organizations_slug_format' then pg_catalog.format(
            'invalid slug "%s": use 3 to 48 lower-case letters, digits and dashes, starting and ending with a letter or digit',
            private.preview(create_organization.slug))
          when 'organizations_slug_length' then pg_catalog.format(
            'invalid slug "%s": use 3 to 48 lower-case letters, digits and dashes, starting and ending with a letter or digit',
            private.preview(create_organization.slug))
          when 'organizations_name_not_blank' then 'the organization name must not be blank'
          when 'organizations_name_length' then 'the organization name is longer than 100 characters'
          else pg_catalog.format('the organization breaks the rule %s', failed)
        end
        using errcode = '23514';
  end;
  insert into public.organization_members (organization_id, user_id, role)
  values (created.id, caller, 'admin');
  if not exists (
    select 1
    from public.organization_members m
    join public.subscriptions s on s.organization_id = m.organization_id
    where m.user_id = caller and m.role = 'admin' and m.organization_id <> created.id and s.status = 'trialing'
  ) then
    insert into public.subscriptions (organization_id, status, current_period_start, current_period_end)
    values (created.id, 'trialing', pg_catalog.now(), pg_catalog.now() + interval '14 days');
  end if;
  return created;
end;
$$;

-- Delete an organization and everything in it: deliberate, never one stray request.
-- Admins (and the service role) only, naming the organization's slug as confirmation;
-- a REST DELETE on organizations is refused (sql/policies/organizations.sql). The
-- audit trail keeps the deletion: the organizations trigger records the deleted row
-- (entity_id is the organization's id, old_values its slug and name).
create or replace function public.delete_organization(organization_id uuid, confirm_slug text)
returns public.organizations
language plpgsql
security definer
set search_path = ''
as $$
declare
  found public.organizations;
begin
  if not private.is_service_role() then
    perform private.require_org_role(delete_organization.organization_id, '{admin}', 'delete the organization');
  end if;
  select * into found from public.organizations o where o.id = delete_organization.organization_id for update;
  if found is null then
    raise exception 'organization % not found', delete_organization.organization_id using errcode = 'PT404';
  end if;
  if delete_organization.confirm_slug is distinct from found.slug then
    raise exception 'confirm_slug "%" is not the slug of organization %', private.preview(delete_organization.confirm_slug), found.id
      using errcode = '22023', hint = 'deleting an organization removes everything in it: confirm with its slug, exactly';
  end if;
  delete from public.organizations o where o.id = found.id;
  return found;
end;
$$;

-- The caller's organizations, each with the caller's role in it. RLS does the
-- filtering: security invoker.
create or replace function public.my_organizations()
returns table (
  id uuid, name text, slug text, logo_url text, settings jsonb,
  role public.user_role, created_at timestamptz, updated_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  select o.id, o.name, o.slug, o.logo_url, o.settings, m.role, o.created_at, o.updated_at
  from public.organizations o
  join public.organization_members m on m.organization_id = o.id
  where m.user_id = (select auth.uid())  -- once per call, not per row scanned
  order by o.name, o.id
$$;

-- Whether the caller belongs to the organization.
create or replace function public.has_org_access(organization_id uuid)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
    select 1 from public.organization_members m
    where m.organization_id = has_org_access.organization_id and m.user_id = (select auth.uid())
  )
$$;

-- Whether the caller belongs to the organization with one of `roles`.
create or replace function public.has_org_role(organization_id uuid, roles public.user_role[])
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
    select 1 from public.organization_members m
    where m.organization_id = has_org_role.organization_id
      and m.user_id = (select auth.uid())
      and m.role = any (has_org_role.roles)
  )
$$;

-- Signed-in users only: Supabase's default privileges grant EXECUTE on new public
-- functions to anon, and Postgres grants it to public.
revoke execute on function public.create_organization(text, text) from public, anon;
revoke execute on function public.delete_organization(uuid, text) from public, anon;
revoke execute on function public.my_organizations() from public, anon;
revoke execute on function public.has_org_access(uuid) from public, anon;
revoke execute on function public.has_org_role(uuid, public.user_role[]) from public, anon;
grant execute on function public.create_organization(text, text) to authenticated;
grant execute on function public.delete_organization(uuid, text) to authenticated, service_role;
grant execute on function public.my_organizations() to authenticated;
grant execute on function public.has_org_access(uuid) to authenticated;
grant execute on function public.has_org_role(uuid, public.user_role[]) to authenticated;
