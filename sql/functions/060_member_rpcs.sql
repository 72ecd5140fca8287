-- Membership RPCs. Nobody joins an organization without consenting to it: admins
-- invite (sql/functions/070_invitation_rpcs.sql) and the invitee accepts; direct adds
-- are for the service role only (back office, SCIM-style provisioning). Admins change
-- roles and remove members; any member can leave. Each raises a clear error when the
-- organization or the member is missing or the caller may not act (PostgREST would
-- report an update that RLS filtered out as a success with no rows). The last-admin
-- rule is enforced below them, by private.keep_an_admin, whatever the path.

-- Add an existing user, by id or by email, with a role (default member): the service
-- role only. An admin calling it gets 42501 pointing at invite_member: putting someone
-- into an organization (where they may become its last admin and be unable to leave)
-- needs their consent.
create or replace function public.add_member(
  organization_id uuid,
  user_id uuid default null,
  email text default null,
  role public.user_role default 'member'
)
returns public.organization_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  target uuid;
  added public.organization_members;
begin
  if not private.is_service_role() then
    -- Outsiders learn nothing (PT404, as for an unknown organization); members learn
    -- that adding needs the invitee's consent.
    perform private.require_org_role(add_member.organization_id, '{admin}', 'add members');
    raise exception 'adding someone to an organization needs their consent: invite them instead'
      using errcode = '42501',
            hint = 'invite_member(organization_id, email, role) creates an invitation the person accepts; '
                   'direct adds are for the service role';
  end if;
  if (add_member.user_id is null) = (add_member.email is null) then
    raise exception 'give either user_id or email' using errcode = '22023';
  end if;
  if not exists (select 1 from public.organizations o where o.id = add_member.organization_id) then
    raise exception 'organization % not found', add_member.organization_id using errcode = 'PT404';
  end if;
  select p.id into target
  from public.profiles p
  where p.id = add_member.user_id
     or pg_catalog.lower(p.email) = pg_catalog.lower(pg_catalog.btrim(add_member.email));
  if target is null then
    raise exception 'no user with %', coalesce('id ' || add_member.user_id::text, 'email ' || private.preview(add_member.email))
      using errcode = 'PT404', hint = 'invite the address instead: invite_member';
  end if;
  insert into public.organization_members (organization_id, user_id, role)
  values (add_member.organization_id, target, coalesce(add_member.role, 'member'))
  returning * into added;
  return added;
exception
  when unique_violation then
    raise exception 'that user is already a member of this organization' using errcode = '23505';
end;
$$;

-- Change a member's role.
create or replace function public.change_member_role(organization_id uuid, user_id uuid, role public.user_role)
returns public.organization_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed public.organization_members;
begin
  perform private.require_org_role(change_member_role.organization_id, '{admin}', 'change roles');
  if change_member_role.role is null then
    raise exception 'role must be admin, member or viewer' using errcode = '22023';
  end if;
  update public.organization_members m
  set role = change_member_role.role
  where m.organization_id = change_member_role.organization_id and m.user_id = change_member_role.user_id
  returning * into changed;
  if changed is null then
    raise exception 'user % is not a member of this organization', change_member_role.user_id using errcode = 'PT404';
  end if;
  return changed;
end;
$$;

-- Remove a member (admins), or yourself (anyone: leaving).
create or replace function public.remove_member(organization_id uuid, user_id uuid)
returns public.organization_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed public.organization_members;
begin
  if auth.uid() is null then
    raise exception 'sign in to remove members' using errcode = '42501';
  end if;
  if remove_member.user_id is null then
    raise exception 'give the user_id of the member to remove' using errcode = '22023';
  end if;
  if remove_member.user_id is distinct from auth.uid() then
    perform private.require_org_role(remove_member.organization_id, '{admin}', 'remove members');
  else
    perform private.require_org_role(remove_member.organization_id, '{admin,member,viewer}', 'leave');
  end if;
  delete from public.organization_members m
  where m.organization_id = remove_member.organization_id and m.user_id = remove_member.user_id
  returning * into removed;
  if removed is null then
    raise exception 'user % is not a member of this organization', remove_member.user_id using errcode = 'PT404';
  end if;
  return removed;
end;
$$;

-- Leave an organization (its last admin cannot: hand the role over first).
create or replace function public.leave_organization(organization_id uuid)
returns public.organization_members
language sql
security invoker
set search_path = ''
as $$
  select * from public.remove_member(leave_organization.organization_id, auth.uid())
$$;

revoke execute on function public.add_member(uuid, uuid, text, public.user_role) from public, anon;
revoke execute on function public.change_member_role(uuid, uuid, public.user_role) from public, anon;
revoke execute on function public.remove_member(uuid, uuid) from public, anon;
revoke execute on function public.leave_organization(uuid) from public, anon;
grant execute on function public.add_member(uuid, uuid, text, public.user_role) to authenticated, service_role;
grant execute on function public.change_member_role(uuid, uuid, public.user_role) to authenticated;
grant execute on function public.remove_member(uuid, uuid) to authenticated;
grant execute on function public.leave_organization(uuid) to authenticated;
